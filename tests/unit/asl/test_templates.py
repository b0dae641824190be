"""Payload templates and path reads, with the cause texts AWS records for missing paths."""

from __future__ import annotations

import pytest

from stepline.asl.errors import StatesResultPathMatchFailure, StatesRuntime
from stepline.asl.jsonpath import InvalidPath, compile_path, compile_reference_path
from stepline.asl.scope import JSON, Scope
from stepline.asl.templates import assign_result, compile_template, read_field

INPUT: JSON = {"int-literal": 0, "items": [{"id": 1}, {"id": 2}], "name": "n"}


def scope(data: JSON = INPUT) -> Scope:
    return Scope(data, {"Execution": {"Input": data, "Name": "run"}}, {"counter": 3})


def evaluate(template: JSON) -> JSON:
    return compile_template(template, "Parameters").evaluate(scope())


def runtime_cause(template: JSON, data: JSON = INPUT) -> str:
    with pytest.raises(StatesRuntime) as caught:
        compile_template(template, "Parameters").evaluate(scope(data))
    assert caught.value.error == "States.Runtime"
    return caught.value.cause


def test_paths_fill_keys_that_lose_their_suffix() -> None:
    template = {
        "name.$": "$.name",
        "run.$": "$$.Execution.Name",
        "counter.$": "$counter",
        "ids.$": "$.items[*].id",
        "none.$": "$.items[?(@.id > 5)]",
        "literal": "$.name",
    }
    assert evaluate(template) == {
        "name": "n",
        "run": "run",
        "counter": 3,
        "ids": [1, 2],
        "none": [],
        "literal": "$.name",
    }


def test_nested_objects_and_arrays_are_evaluated() -> None:
    template = {"outer": {"inner.$": "$.name", "list": [1, {"deep.$": "$.int-literal"}, [2]]}}
    assert evaluate(template) == {"outer": {"inner": "n", "list": [1, {"deep": 0}, [2]]}}
    assert evaluate([{"a.$": "$.name"}, "b"]) == [{"a": "n"}, "b"]


def test_constant_subtrees_are_returned_as_they_are() -> None:
    constant = {"keep": [1, 2]}
    template = {"dynamic.$": "$.name", "constant": constant}
    result = evaluate(template)
    assert result["constant"] is constant
    whole = {"a": [{"b": 1}]}
    compiled = compile_template(whole, "ResultSelector")
    assert compiled.is_constant
    assert compiled.field == "ResultSelector"
    assert compiled.evaluate(scope()) is whole
    assert compile_template("text", "Parameters").evaluate(scope()) == "text"


def test_a_missing_path_fails_with_the_field_and_the_input() -> None:
    assert runtime_cause({"value.$": "$.no_such_jsonpath"}) == (
        "The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be found"
        """ in the input '{"int-literal":0,"items":[{"id":1},{"id":2}],"name":"n"}'"""
    )
    assert runtime_cause(
        {"value.$": "$$.Execution.Input.no_such_jsonpath"}, {"int-literal": 0}
    ) == (
        "The JSONPath '$$.Execution.Input.no_such_jsonpath' specified for the field 'value.$'"
        """ could not be found in the input '{"int-literal":0}'"""
    )
    assert runtime_cause({"a": [{"address.$": "$.application.address"}]}, {"flagged": False}) == (
        "The JSONPath '$.application.address' specified for the field 'address.$'"
        """ could not be found in the input '{"flagged":false}'"""
    )


@pytest.mark.parametrize("value", [1, None, ["$.a"], {"p": "$.a"}])
def test_a_suffixed_key_needs_a_string(value: JSON) -> None:
    with pytest.raises(InvalidPath):
        compile_template({"key.$": value}, "Parameters")


def test_invalid_paths_fail_at_compile_time() -> None:
    with pytest.raises(InvalidPath):
        compile_template({"outer": {"key.$": "$.a["}}, "Parameters")


def test_intrinsic_calls_are_evaluated() -> None:
    intrinsics = pytest.importorskip("stepline.asl.intrinsics")
    assert hasattr(intrinsics, "compile_intrinsic")
    template = {"text.$": "States.Format('id {}', $.items[0].id)", "n.$": "States.MathAdd(1, 2)"}
    assert evaluate(template) == {"text": "id 1", "n": 3}


def test_an_intrinsic_reading_a_missing_path_names_the_call_and_its_argument() -> None:
    pytest.importorskip("stepline.asl.intrinsics")
    assert runtime_cause({"v.$": "States.Format('{}', $.nope)"}, {"a": 1}) == (
        "The function 'States.Format('{}', $.nope)' had the following error:"
        """ The JsonPath argument for the field '$.nope' could not be found in the input"""
        """ '{"a":1}'"""
    )


@pytest.mark.parametrize(
    ("field", "cause"),
    [
        (
            "InputPath",
            "Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']",
        ),
        (
            "OutputPath",
            "Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']",
        ),
        (
            "ErrorPath",
            "The JSONPath '$.NoSuchInputPath' specified for the field 'ErrorPath' could not be"
            """ found in the input '{"int-literal":0}'""",
        ),
        (
            "CausePath",
            "The JSONPath '$.NoSuchInputPath' specified for the field 'CausePath' could not be"
            """ found in the input '{"int-literal":0}'""",
        ),
        (
            "SecondsPath",
            "The SecondsPath parameter does not reference an input value: $.NoSuchInputPath",
        ),
    ],
)
def test_read_field_words_the_failure_for_its_field(field: str, cause: str) -> None:
    path = compile_path("$.NoSuchInputPath")
    with pytest.raises(StatesRuntime) as caught:
        read_field(path, scope({"int-literal": 0}), field)
    assert caught.value.cause == cause


def test_read_field_returns_what_the_path_names() -> None:
    assert read_field(compile_path("$.items[1].id"), scope(), "ItemsPath") == 2


def test_read_field_quotes_jayway_for_nested_misses() -> None:
    with pytest.raises(StatesRuntime) as caught:
        read_field(compile_path("$.a.b"), scope({}), "ItemsPath")
    assert caught.value.cause == "Invalid path '$.a.b' : Missing property in path $['a']"


def test_assign_result_places_the_value() -> None:
    path = compile_reference_path("$.result")
    assert assign_result(path, {"a": 1}, 2) == {"a": 1, "result": 2}


def test_assign_result_fails_on_a_non_object() -> None:
    with pytest.raises(StatesResultPathMatchFailure) as caught:
        assign_result(compile_reference_path("$.a.b"), {"a": "s"}, 1)
    assert caught.value.error == "States.ResultPathMatchFailure"
    assert caught.value.cause == """Unable to apply ResultPath '$.a.b' to input '{"a":"s"}'"""
