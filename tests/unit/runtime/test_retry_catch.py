"""Retry back-off read from the FakeClock, and Catch with its ResultPath, Output and Assign."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stepline.runtime import (
    ExecutionResult,
    FakeClock,
    FunctionRegistry,
    LambdaContext,
    compile_definition,
    run_execution,
)

FUNCTION = "arn:aws:lambda:us-east-1:111111111111:function:"


class Unlucky(Exception):
    pass


class Flaky:
    """Fails its first ``failures`` calls, then returns the events it saw."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.events: list[Any] = []

    def __call__(self, event: Any, context: LambdaContext) -> Any:
        self.events.append(event)
        if len(self.events) <= self.failures:
            raise Unlucky(f"call {len(self.events)}")
        return {"calls": len(self.events)}


def run(
    state: dict[str, Any], handler: Any, input_value: Any = None, **others: Any
) -> tuple[ExecutionResult, FakeClock]:
    states: dict[str, Any] = {
        "T": {"Type": "Task", "Resource": FUNCTION + "f", "End": True, **state},
        **others,
    }
    if '"Caught"' in json.dumps(state):
        states["Caught"] = {"Type": "Pass", "End": True}
    definition = {"StartAt": "T", "States": states}
    clock = FakeClock()
    result = run_execution(
        compile_definition(definition),
        json.dumps(input_value if input_value is not None else {"n": 1}),
        functions=FunctionRegistry({"f": handler}),
        clock=clock,
    )
    return result, clock


def scheduled(result: ExecutionResult) -> int:
    return sum(event["type"] == "LambdaFunctionScheduled" for event in result.history())


CATCH_TO_CAUGHT = [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]


# Retry ----------------------------------------------------------------------------------------


def test_retry_defaults_are_three_attempts_one_second_doubling() -> None:
    result, clock = run(
        {"Retry": [{"ErrorEquals": ["Unlucky"]}], "Catch": CATCH_TO_CAUGHT}, Flaky(99)
    )
    assert clock.slept == [1, 2, 4]
    assert scheduled(result) == 4
    assert result.output_value["Error"] == "Unlucky"


def test_retry_backoff_is_capped_by_max_delay_seconds() -> None:
    retrier = {
        "ErrorEquals": ["States.ALL"],
        "IntervalSeconds": 3,
        "MaxAttempts": 3,
        "BackoffRate": 2,
        "MaxDelaySeconds": 5,
    }
    result, clock = run({"Retry": [retrier]}, Flaky(99))
    assert clock.slept == [3, 5, 5]
    assert result.error == "Unlucky"
    assert json.loads(result.cause or "")["errorMessage"] == "call 4"


def test_retry_with_full_jitter_waits_at_most_the_backoff() -> None:
    retrier = {
        "ErrorEquals": ["States.ALL"],
        "IntervalSeconds": 10,
        "MaxAttempts": 3,
        "BackoffRate": 2,
        "JitterStrategy": "FULL",
    }
    _, clock = run({"Retry": [retrier]}, Flaky(99))
    assert len(clock.slept) == 3
    for attempt, delay in enumerate(clock.slept):
        assert 0 <= delay <= 10 * 2**attempt


def test_retry_succeeds_once_the_function_does() -> None:
    result, clock = run({"Retry": [{"ErrorEquals": ["Unlucky"], "BackoffRate": 1.5}]}, Flaky(2))
    assert result.status == "SUCCEEDED"
    assert result.output_value == {"calls": 3}
    assert clock.slept == [1, 1.5]


def test_max_attempts_zero_never_retries() -> None:
    result, clock = run({"Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}]}, Flaky(1))
    assert result.error == "Unlucky"
    assert clock.slept == []
    assert scheduled(result) == 1


def test_retry_count_in_the_context_object_counts_retries() -> None:
    handler = Flaky(2)
    state = {
        "Parameters": {"retry.$": "$$.State.RetryCount"},
        "Retry": [{"ErrorEquals": ["Unlucky"], "IntervalSeconds": 1}],
    }
    result, _ = run(state, handler)
    assert result.status == "SUCCEEDED"
    assert handler.events == [{"retry": 0}, {"retry": 1}, {"retry": 2}]


def test_the_first_matching_retrier_decides_even_when_exhausted() -> None:
    retriers = [
        {"ErrorEquals": ["Unlucky"], "MaxAttempts": 1},
        {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5},
    ]
    result, clock = run({"Retry": retriers}, Flaky(99))
    assert result.error == "Unlucky"
    assert clock.slept == [1]


def test_a_retrier_for_another_error_does_not_retry() -> None:
    result, clock = run({"Retry": [{"ErrorEquals": ["Other"]}]}, Flaky(1))
    assert result.error == "Unlucky"
    assert clock.slept == []


def test_states_task_failed_retries_a_function_error() -> None:
    result, clock = run({"Retry": [{"ErrorEquals": ["States.TaskFailed"]}]}, Flaky(1))
    assert result.status == "SUCCEEDED"
    assert clock.slept == [1]


# Catch ----------------------------------------------------------------------------------------


def test_catch_without_result_path_outputs_the_error() -> None:
    result, _ = run({"Catch": CATCH_TO_CAUGHT}, Flaky(1))
    assert result.status == "SUCCEEDED"
    output = result.output_value
    assert set(output) == {"Error", "Cause"}
    assert output["Error"] == "Unlucky"
    assert json.loads(output["Cause"])["errorMessage"] == "call 1"
    assert [event["type"] for event in result.history()][4:] == [
        "LambdaFunctionFailed",
        "TaskStateExited",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]


def test_catch_result_path_places_the_error_in_the_input() -> None:
    catcher = {"ErrorEquals": ["Unlucky"], "ResultPath": "$.error", "Next": "Caught"}
    result, _ = run({"Catch": [catcher]}, Flaky(1), {"n": 7})
    output = result.output_value
    assert output["n"] == 7
    assert output["error"]["Error"] == "Unlucky"


def test_catch_result_path_null_keeps_the_input() -> None:
    catcher = {"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "Caught"}
    result, _ = run({"Catch": [catcher]}, Flaky(1), {"n": 7})
    assert result.output_value == {"n": 7}


def test_the_first_matching_catcher_is_taken() -> None:
    catchers = [
        {"ErrorEquals": ["Other"], "Next": "Other"},
        {"ErrorEquals": ["Unlucky"], "ResultPath": "$.e", "Next": "Caught"},
        {"ErrorEquals": ["States.ALL"], "Next": "Other"},
    ]
    other = {"Other": {"Type": "Fail", "Error": "Wrong"}}
    result, _ = run({"Catch": catchers}, Flaky(1), **other)
    assert result.status == "SUCCEEDED"


def test_catch_assign_sees_the_error_output_as_dollar() -> None:
    catcher = {
        "ErrorEquals": ["States.ALL"],
        "Assign": {"failure.$": "$.Error"},
        "ResultPath": None,
        "Next": "Reader",
    }
    reader = {"Reader": {"Type": "Pass", "Parameters": {"seen.$": "$failure"}, "End": True}}
    result, _ = run({"Catch": [catcher]}, Flaky(1), **reader)
    assert result.output_value == {"seen": "Unlucky"}
    exited = next(e for e in result.history() if e["type"] == "TaskStateExited")
    assert exited["stateExitedEventDetails"]["assignedVariables"] == {"failure": '"Unlucky"'}


def test_retry_then_catch() -> None:
    state = {"Retry": [{"ErrorEquals": ["Unlucky"], "MaxAttempts": 2}], "Catch": CATCH_TO_CAUGHT}
    result, clock = run(state, Flaky(99))
    assert result.status == "SUCCEEDED"
    assert clock.slept == [1, 2]
    assert scheduled(result) == 3


def test_states_all_does_not_catch_states_runtime() -> None:
    state = {"InputPath": "$.missing", "Catch": CATCH_TO_CAUGHT}
    result, _ = run(state, Flaky(0))
    assert result.status == "FAILED"
    assert result.error == "States.Runtime"


def test_states_all_does_not_retry_states_runtime() -> None:
    state = {"InputPath": "$.missing", "Retry": [{"ErrorEquals": ["States.ALL"]}]}
    result, clock = run(state, Flaky(0))
    assert result.error == "States.Runtime"
    assert clock.slept == []


def jsonata_run(catcher: dict[str, Any], **others: Any) -> ExecutionResult:
    state = {"QueryLanguage": "JSONata", "Catch": [{"ErrorEquals": ["States.ALL"], **catcher}]}
    result, _ = run(state, Flaky(1), {"n": 3}, **others)
    return result


def test_jsonata_catch_output_and_assign() -> None:
    reader = {
        "Reader": {
            "Type": "Pass",
            "QueryLanguage": "JSONata",
            "Output": {"input": "{% $states.input %}", "var": "{% $kind %}"},
            "End": True,
        }
    }
    catcher = {
        "Output": {"error": "{% $states.errorOutput.Error %}", "n": "{% $states.input.n %}"},
        "Assign": {"kind": "{% $states.errorOutput.Error %}"},
        "Next": "Reader",
    }
    result = jsonata_run(catcher, **reader)
    assert result.output_value == {"input": {"error": "Unlucky", "n": 3}, "var": "Unlucky"}


def test_jsonata_catch_without_output_gives_the_error_output() -> None:
    result = jsonata_run({"Next": "Caught"})
    assert result.output_value["Error"] == "Unlucky"


@pytest.mark.parametrize("error_equals", [["States.ALL"], ["States.TaskFailed"], ["Unlucky"]])
def test_error_names_that_match_a_function_error(error_equals: list[str]) -> None:
    catcher = {"ErrorEquals": error_equals, "Next": "Caught"}
    result, _ = run({"Catch": [catcher]}, Flaky(1))
    assert result.status == "SUCCEEDED"
