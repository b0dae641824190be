"""A failing intrinsic call in a payload template: ``States.Runtime`` with the cause AWS records.

The texts were recorded on AWS (us-east-1): the cause names the whole expression as written and,
for a path argument naming nothing, that path and the input it was read from.
"""

from __future__ import annotations

from typing import Any

import pytest

from stepline.asl import jsontext
from stepline.asl.errors import StatesRuntime, error_matches
from stepline.asl.scope import JSON, Scope
from stepline.asl.templates import compile_template
from stepline.runtime import (
    ExecutionResult,
    FakeClock,
    FunctionRegistry,
    compile_definition,
    run_execution,
)

OTHER: JSON = {"other": 1}


def evaluate(expression: str, data: JSON = OTHER, field: str = "Parameters") -> JSON:
    template = compile_template({"v.$": expression}, field)
    return template.evaluate(Scope(data, {"State": {"Name": "P"}}, {"var": {"a": 1}}))


def runtime_cause(expression: str, data: JSON = OTHER, field: str = "Parameters") -> str:
    with pytest.raises(StatesRuntime) as caught:
        evaluate(expression, data, field)
    assert caught.value.error == "States.Runtime"
    return caught.value.cause


def missing(expression: str, path: str, data: JSON = OTHER) -> str:
    return (
        f"The function '{expression}' had the following error: The JsonPath argument for the"
        f" field '{path}' could not be found in the input '{jsontext.dumps(data)}'"
    )


@pytest.mark.parametrize(
    ("expression", "path", "data"),
    [
        ("States.Format('{}', $.nope)", "$.nope", OTHER),
        ("States.Format('{}',$.nope)", "$.nope", OTHER),
        ("States.Format('{} {}', $.other, $.a.b)", "$.a.b", OTHER),
        ("States.Format('{}', States.Format('{}', $.nope))", "$.nope", OTHER),
        ("States.Format('{}', $.items[5])", "$.items[5]", {"items": [1, 2]}),
        ("States.Format('{}', $.items[5].x)", "$.items[5].x", {"items": [1]}),
        ("States.Format('{}', $.other[0])", "$.other[0]", OTHER),
        ("States.Format('{}', $[0].nope)", "$[0].nope", [{"other": 1}]),
        ("States.Format('{}', $$.Nope.Deep)", "$$.Nope.Deep", OTHER),
        ("States.Format('{}', $var.nope)", "$var.nope", OTHER),
        ("States.ArrayLength($.nope)", "$.nope", OTHER),
        ("States.Array(1, $.nope)", "$.nope", OTHER),
        ("States.JsonToString($.nope)", "$.nope", OTHER),
        ("States.StringToJson($.nope)", "$.nope", OTHER),
        ("States.MathAdd($.nope, 1)", "$.nope", OTHER),
        ("States.ArrayContains($.nope, 1)", "$.nope", OTHER),
        ("States.JsonMerge($.nope, $.other, false)", "$.nope", OTHER),
    ],
)
def test_a_path_argument_naming_nothing_fails_the_state(
    expression: str, path: str, data: JSON
) -> None:
    assert runtime_cause(expression, data) == missing(expression, path, data)


def test_every_template_field_fails_the_same_way() -> None:
    for field in ("ResultSelector", "ItemSelector", "Assign"):
        assert runtime_cause("States.MathAdd($.nope, 1)", field=field) == missing(
            "States.MathAdd($.nope, 1)", "$.nope"
        )


def test_present_nulls_and_empty_wildcards_are_values() -> None:
    assert evaluate("States.Format('{}', $.nul)", {"nul": None}) == {"v": "null"}
    assert evaluate("States.ArrayLength($.items[*].nope)", {"items": [1, 2]}) == {"v": 0}
    assert evaluate("States.JsonToString($)") == {"v": '{"other":1}'}


def test_invalid_arguments_name_the_call_and_keep_the_detail() -> None:
    assert runtime_cause("States.MathAdd($.other, 'one')") == (
        "The function 'States.MathAdd($.other, 'one')' had the following error:"
        " Invalid arguments in States.MathAdd: the second argument must be a number, got string"
    )
    assert runtime_cause("States.Format('{}', States.ArrayGetItem($.list, 3))", {"list": []}) == (
        "The function 'States.Format('{}', States.ArrayGetItem($.list, 3))' had the following"
        " error: Invalid arguments in States.ArrayGetItem: the index 3 is out of bounds for an"
        " array of length 0"
    )


def test_the_failure_is_not_matched_by_wildcards() -> None:
    assert not error_matches(["States.ALL"], "States.Runtime")
    assert not error_matches(["States.TaskFailed"], "States.Runtime")
    assert error_matches(["States.Runtime"], "States.Runtime")


# --- through a whole execution --------------------------------------------------------------

PREFIX = "An error occurred while executing the state 'P' (entered at the event id #2). "
FUNCTION = "arn:aws:lambda:us-east-1:111111111111:function:echo"


def echo(event: Any, _context: Any) -> Any:
    return event


def execute(error_equals: list[str] | None, parameters: dict[str, Any]) -> ExecutionResult:
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": FUNCTION,
        "Parameters": parameters,
        "End": True,
    }
    states: dict[str, Any] = {"P": state}
    if error_equals is not None:
        state["Catch"] = [{"ErrorEquals": error_equals, "Next": "Caught"}]
        states["Caught"] = {"Type": "Pass", "End": True}
    definition = {"StartAt": "P", "States": states}
    plan = compile_definition(definition)
    functions = FunctionRegistry({"echo": echo})
    return run_execution(plan, '{"other":1}', functions=functions, clock=FakeClock())


MISSING = {"v.$": "States.Format('{}', $.nope)"}
MISSING_CAUSE = PREFIX + missing("States.Format('{}', $.nope)", "$.nope")


@pytest.mark.parametrize("error_equals", [None, ["States.ALL"], ["States.TaskFailed"]])
def test_an_execution_fails_with_the_recorded_error_and_cause(
    error_equals: list[str] | None,
) -> None:
    result = execute(error_equals, MISSING)
    assert (result.status, result.error, result.cause) == (
        "FAILED",
        "States.Runtime",
        MISSING_CAUSE,
    )


def test_an_execution_fails_on_invalid_arguments() -> None:
    result = execute(["States.ALL"], {"v.$": "States.MathAdd($.other, 'x')"})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.cause == PREFIX + (
        "The function 'States.MathAdd($.other, 'x')' had the following error:"
        " Invalid arguments in States.MathAdd: the second argument must be a number, got string"
    )


def test_a_catcher_naming_states_runtime_catches_it() -> None:
    result = execute(["States.Runtime"], MISSING)
    assert result.status == "SUCCEEDED"
    assert result.output_value == {"Error": "States.Runtime", "Cause": MISSING_CAUSE}


def test_a_call_that_succeeds_fills_its_key() -> None:
    result = execute(["States.ALL"], {"v.$": "States.Format('n={}', $.other)"})
    assert result.output_value == {"v": "n=1"}
