"""Whole executions: variables, the context object, history ids, quotas, invalid definitions."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from stepline.runtime import (
    ExecutionResult,
    FakeClock,
    InvalidDefinitionError,
    SystemClock,
    compile_definition,
    run_execution,
)


def execute(definition: dict[str, Any], input_value: Any = None, **options: Any) -> ExecutionResult:
    input_text = json.dumps(input_value if input_value is not None else {})
    options.setdefault("clock", FakeClock())
    return run_execution(compile_definition(definition), input_text, **options)


def exited(result: ExecutionResult, name: str) -> dict[str, Any]:
    for event in result.history():
        if event["type"].endswith("StateExited"):
            details: dict[str, Any] = event["stateExitedEventDetails"]
            if details["name"] == name:
                return details
    raise AssertionError(f"no Exited event for {name}")


# Variables ------------------------------------------------------------------------------------


def test_jsonpath_assign_reads_the_result_and_later_states_read_the_variable() -> None:
    definition = {
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Pass",
                "Result": {"n": 5},
                "Assign": {"saved.$": "$.n", "literal": "x"},
                "ResultPath": None,
                "Next": "B",
            },
            "B": {
                "Type": "Pass",
                "Parameters": {"saved.$": "$saved", "lit.$": "$literal"},
                "End": True,
            },
        },
    }
    result = execute(definition)
    assert result.output_value == {"saved": 5, "lit": "x"}
    details = exited(result, "A")
    assert details["assignedVariables"] == {"literal": '"x"', "saved": "5"}
    assert details["assignedVariablesDetails"] == {"truncated": False}
    assert "assignedVariables" not in exited(result, "B")


def test_assignments_in_one_state_see_the_values_from_before_it() -> None:
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Assign": {"a": 1}, "Next": "B"},
            "B": {"Type": "Pass", "Assign": {"a": 2, "old.$": "$a"}, "Next": "C"},
            "C": {"Type": "Pass", "Parameters": {"a.$": "$a", "old.$": "$old"}, "End": True},
        },
    }
    assert execute(definition).output_value == {"a": 2, "old": 1}


def test_jsonata_assign_and_output_see_the_variables_from_before_the_state() -> None:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Assign": {"n": 1}, "Next": "B"},
            "B": {
                "Type": "Pass",
                "Assign": {"n": "{% $n + 1 %}"},
                "Output": "{% $n %}",
                "Next": "C",
            },
            "C": {"Type": "Pass", "Output": "{% [$states.input, $n] %}", "End": True},
        },
    }
    result = execute(definition)
    assert result.output_value == [1, 2]
    assert exited(result, "B")["assignedVariables"] == {"n": "2"}


def test_inner_states_read_outer_variables_but_their_assignments_do_not_leak() -> None:
    inner = {
        "StartAt": "I",
        "States": {
            "I": {
                "Type": "Pass",
                "Parameters": {"outer.$": "$outer", "item.$": "$"},
                "Assign": {"inner": 1},
                "End": True,
            }
        },
    }
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Assign": {"outer": "o"}, "Next": "M"},
            "M": {"Type": "Map", "ItemProcessor": inner, "ItemsPath": "$.items", "Next": "P"},
            "P": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "Q",
                        "States": {
                            "Q": {"Type": "Pass", "Parameters": {"o.$": "$outer"}, "End": True}
                        },
                    }
                ],
                "Next": "Check",
            },
            "Check": {
                "Type": "Pass",
                "QueryLanguage": "JSONata",
                "Output": "{% $exists($inner) %}",
                "End": True,
            },
        },
    }
    result = execute(definition, {"items": [7]})
    assert exited(result, "M")["output"] == '[{"outer":"o","item":7}]'
    assert exited(result, "P")["output"] == '[{"o":"o"}]'
    assert result.output_value is False


def test_map_and_parallel_assign_from_their_results() -> None:
    definition = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": 3, "End": True}}}
                ],
                "Assign": {"first.$": "$[0]"},
                "Next": "Read",
            },
            "Read": {"Type": "Pass", "Parameters": {"first.$": "$first"}, "End": True},
        },
    }
    assert execute(definition).output_value == {"first": 3}


# Context object -------------------------------------------------------------------------------


def test_context_object_fields() -> None:
    definition = {
        "StartAt": "Here",
        "States": {
            "Here": {
                "Type": "Pass",
                "Parameters": {
                    "name.$": "$$.Execution.Name",
                    "id.$": "$$.Execution.Id",
                    "input.$": "$$.Execution.Input",
                    "start.$": "$$.Execution.StartTime",
                    "state.$": "$$.State.Name",
                    "entered.$": "$$.State.EnteredTime",
                    "machine.$": "$$.StateMachine.Name",
                    "context.$": "$$",
                },
                "End": True,
            }
        },
    }
    clock = FakeClock(datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC))
    result = execute(
        definition, {"a": 1}, clock=clock, execution_name="run-1", state_machine_name="Machine"
    )
    output = result.output_value
    assert output["name"] == "run-1"
    assert output["id"] == "arn:aws:states:us-east-1:111111111111:execution:Machine:run-1"
    assert result.execution_arn == output["id"]
    assert output["input"] == {"a": 1}
    assert output["start"] == output["entered"] == "2024-05-06T07:08:09.123Z"
    assert output["state"] == "Here"
    assert output["machine"] == "Machine"
    # AWS gives RetryCount only to states that can retry.
    assert "RetryCount" not in output["context"]["State"]


def test_express_executions_have_express_arns() -> None:
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    plan = compile_definition(definition, state_machine_type="EXPRESS")
    result = run_execution(plan, clock=FakeClock(), execution_name="e", state_machine_name="M")
    # As recorded on AWS: express:<state machine>:<name>:<generated id>.
    prefix = "arn:aws:states:us-east-1:111111111111:express:M:e:"
    assert result.execution_arn.startswith(prefix)
    assert uuid.UUID(result.execution_arn.removeprefix(prefix))
    assert result.output_value == {}


def test_an_execution_without_a_name_gets_a_unique_one() -> None:
    definition = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Parameters": {"n.$": "$$.Execution.Name"}, "End": True}},
    }
    plan = compile_definition(definition)
    first = run_execution(plan, "{}", clock=SystemClock()).output_value
    second = run_execution(plan, "{}").output_value
    assert first["n"] != second["n"]


# History --------------------------------------------------------------------------------------


def test_history_ids_chain_through_a_simple_machine() -> None:
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Next": "B"},
            "B": {"Type": "Wait", "Seconds": 3, "Next": "C"},
            "C": {"Type": "Succeed"},
        },
    }
    result = execute(definition, role_arn="arn:aws:iam::111111111111:role/r")
    events = result.history()
    assert [(e["id"], e["previousEventId"], e["type"]) for e in events] == [
        (1, 0, "ExecutionStarted"),
        (2, 0, "PassStateEntered"),
        (3, 2, "PassStateExited"),
        (4, 3, "WaitStateEntered"),
        (5, 4, "WaitStateExited"),
        (6, 5, "SucceedStateEntered"),
        (7, 6, "SucceedStateExited"),
        (8, 7, "ExecutionSucceeded"),
    ]
    assert events[0]["executionStartedEventDetails"] == {
        "input": "{}",
        "inputDetails": {"truncated": False},
        "roleArn": "arn:aws:iam::111111111111:role/r",
    }
    assert events[-1]["executionSucceededEventDetails"] == {
        "output": "{}",
        "outputDetails": {"truncated": False},
    }
    assert all(isinstance(event["timestamp"], datetime) for event in events)


def test_the_input_text_is_kept_while_it_passes_through_unchanged() -> None:
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Next": "B"},
            "B": {"Type": "Pass", "Result": {"a": 1}, "ResultPath": "$", "End": True},
        },
    }
    result = run_execution(compile_definition(definition), '{ "a" : 1 }', clock=FakeClock())
    events = result.history()
    assert events[1]["stateEnteredEventDetails"]["input"] == '{ "a" : 1 }'
    assert events[2]["stateExitedEventDetails"]["output"] == '{ "a" : 1 }'
    assert events[3]["stateEnteredEventDetails"]["input"] == '{ "a" : 1 }'
    # A value computed anew (even an equal one) is written compactly.
    assert result.output == '{"a":1}'


def test_a_parallel_result_joins_its_branches_texts() -> None:
    def branch(name: str) -> dict[str, Any]:
        return {"StartAt": name, "States": {name: {"Type": "Pass", "End": True}}}

    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {"Type": "Parallel", "Branches": [branch("L"), branch("R")], "End": True}
        },
    }
    result = run_execution(compile_definition(definition), "[1, 2]", clock=FakeClock())
    assert result.output == "[[1, 2],[1, 2]]"
    assert result.output_value == [[1, 2], [1, 2]]


def test_no_input_means_an_empty_object() -> None:
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}
    result = run_execution(compile_definition(definition), clock=FakeClock())
    assert result.output == "{}"


# Payload quota --------------------------------------------------------------------------------


def test_a_state_output_over_256_kib_fails_with_data_limit_exceeded() -> None:
    definition = {"StartAt": "Big", "States": {"Big": {"Type": "Pass", "End": True}}}
    result = execute(definition, {"s": "x" * (256 * 1024)})
    assert result.status == "FAILED"
    assert result.error == "States.DataLimitExceeded"
    assert result.cause == (
        "The state/task 'Big' returned a result with a size exceeding the maximum number of "
        "bytes service limit."
    )


def test_a_state_output_just_under_the_quota_passes() -> None:
    definition = {"StartAt": "Big", "States": {"Big": {"Type": "Pass", "End": True}}}
    # '"' + text + '"' is the whole output: 2 bytes of quotes.
    result = execute(definition, "x" * (256 * 1024 - 2))
    assert result.status == "SUCCEEDED"


# Definitions ----------------------------------------------------------------------------------


def test_an_invalid_definition_is_refused_with_every_problem() -> None:
    with pytest.raises(InvalidDefinitionError) as raised:
        compile_definition({"StartAt": "Missing", "States": {"A": {"Type": "Pass"}}})
    error = raised.value
    assert error.message.startswith("Invalid State Machine Definition: ")
    assert len(error.diagnostics) >= 2
    assert "MISSING_TRANSITION_TARGET" in error.message


def test_a_definition_may_be_given_as_json_text() -> None:
    text = '{"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": 1, "End": true}}}'
    result = run_execution(compile_definition(text), "{}", clock=FakeClock())
    assert result.output == "1"


def test_substitutions_replace_placeholders_before_validation() -> None:
    text = '{"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "${V}", "End": true}}}'
    plan = compile_definition(text, substitutions={"V": "value"})
    assert run_execution(plan, "{}", clock=FakeClock()).output == '"value"'
