"""Task states calling in-process Lambda-style functions: results, events, errors, timeouts."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
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

INVOKE = "arn:aws:states:::lambda:invoke"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:111111111111:function:"


def execute(
    definition: dict[str, Any], input_value: Any = None, **handlers: Any
) -> ExecutionResult:
    input_text = json.dumps(input_value if input_value is not None else {})
    registry = FunctionRegistry(handlers)
    return run_execution(
        compile_definition(definition), input_text, functions=registry, clock=FakeClock()
    )


def task(state: dict[str, Any], **rest: dict[str, Any]) -> dict[str, Any]:
    states: dict[str, Any] = {"T": {"Type": "Task", "End": True, **state}, **rest}
    return {"StartAt": "T", "States": states}


def types(result: ExecutionResult) -> list[str]:
    return [event["type"] for event in result.history()]


def double(event: Any, context: LambdaContext) -> Any:
    return {"doubled": event["n"] * 2, "function": context.function_name}


class Unlucky(Exception):
    pass


def unlucky(event: Any, context: LambdaContext) -> Any:
    raise Unlucky("no luck today")


# Results and events ---------------------------------------------------------------------------


def test_function_arn_task_returns_the_handler_result() -> None:
    result = execute(task({"Resource": FUNCTION_ARN + "double"}), {"n": 21}, double=double)
    assert result.status == "SUCCEEDED"
    assert result.output_value == {"doubled": 42, "function": "double"}
    events = result.history()
    assert types(result) == [
        "ExecutionStarted",
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    assert events[2]["lambdaFunctionScheduledEventDetails"] == {
        "input": '{"n":21}',
        "inputDetails": {"truncated": False},
        "resource": FUNCTION_ARN + "double",
    }
    succeeded = events[4]["lambdaFunctionSucceededEventDetails"]
    assert json.loads(succeeded["output"]) == {"doubled": 42, "function": "double"}


def test_function_arn_task_with_parameters_and_result_selector() -> None:
    state = {
        "Resource": FUNCTION_ARN + "double",
        "Parameters": {"n.$": "$.value"},
        "ResultSelector": {"d.$": "$.doubled"},
        "ResultPath": "$.out",
    }
    result = execute(task(state), {"value": 2}, double=double)
    assert result.output_value == {"value": 2, "out": {"d": 4}}


def test_lambda_invoke_task_returns_lambdas_invoke_response() -> None:
    state = {"Resource": INVOKE, "Parameters": {"FunctionName": "double", "Payload.$": "$"}}
    result = execute(task(state), {"n": 1}, double=double)
    assert result.status == "SUCCEEDED"
    response = result.output_value
    assert response["Payload"] == {"doubled": 2, "function": "double"}
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert types(result)[2:5] == ["TaskScheduled", "TaskStarted", "TaskSucceeded"]
    scheduled = result.history()[2]["taskScheduledEventDetails"]
    assert scheduled == {
        "parameters": '{"FunctionName":"double","Payload":{"n":1}}',
        "region": "us-east-1",
        "resource": "invoke",
        "resourceType": "lambda",
    }
    assert result.history()[3]["taskStartedEventDetails"] == {
        "resource": "invoke",
        "resourceType": "lambda",
    }


def test_lambda_invoke_accepts_a_function_arn_as_function_name() -> None:
    state = {
        "Resource": INVOKE,
        "Parameters": {"FunctionName": FUNCTION_ARN + "double:$LATEST", "Payload": {"n": 5}},
        "OutputPath": "$.Payload.doubled",
    }
    assert execute(task(state), double=double).output_value == 10


def test_lambda_invoke_without_function_name_fails() -> None:
    result = execute(task({"Resource": INVOKE, "Parameters": {"Payload": {}}}))
    assert result.status == "FAILED"
    assert result.error == "States.Runtime"


def test_jsonata_task_arguments_output_and_assign() -> None:
    state = {
        "QueryLanguage": "JSONata",
        "Resource": INVOKE,
        "Arguments": {"FunctionName": "double", "Payload": {"n": "{% $states.input.v %}"}},
        "Assign": {"last": "{% $states.result.Payload.doubled %}"},
        "Output": "{% $states.result.Payload.doubled + 1 %}",
    }
    result = execute(task(state), {"v": 4}, double=double)
    assert result.output_value == 9
    exited = result.history()[-2]["stateExitedEventDetails"]
    assert exited["assignedVariables"] == {"last": "8"}


def test_jsonata_task_without_arguments_sends_its_input() -> None:
    state = {"QueryLanguage": "JSONata", "Resource": FUNCTION_ARN + "double"}
    result = execute(task(state), {"n": 3}, double=double)
    assert result.output_value == {"doubled": 6, "function": "double"}


def test_handler_cannot_change_the_executions_values() -> None:
    def mutate(event: Any, context: LambdaContext) -> Any:
        event["n"] = "changed"
        return None

    state = {"Resource": FUNCTION_ARN + "mutate", "ResultPath": None}
    result = execute(task(state), {"n": 1}, mutate=mutate)
    assert result.output_value == {"n": 1}


# Errors ---------------------------------------------------------------------------------------


def test_handler_exception_fails_with_its_class_name_and_lambdas_cause() -> None:
    result = execute(task({"Resource": FUNCTION_ARN + "unlucky"}), unlucky=unlucky)
    assert result.status == "FAILED"
    assert result.error == "Unlucky"
    cause = json.loads(result.cause or "")
    assert cause["errorMessage"] == "no luck today"
    assert cause["errorType"] == "Unlucky"
    assert set(cause) == {"errorMessage", "errorType", "requestId", "stackTrace"}
    failed = result.history()[4]
    assert failed["type"] == "LambdaFunctionFailed"
    assert failed["lambdaFunctionFailedEventDetails"]["error"] == "Unlucky"


def test_function_arn_cause_is_spaced_as_the_python_runtime_writes_it() -> None:
    result = execute(task({"Resource": FUNCTION_ARN + "unlucky"}), unlucky=unlucky)
    assert (result.cause or "").startswith(
        '{"errorMessage": "no luck today", "errorType": "Unlucky", "requestId": "'
    )


def test_lambda_invoke_cause_is_compact_json() -> None:
    state = {"Resource": INVOKE, "Parameters": {"FunctionName": "unlucky"}}
    result = execute(task(state), unlucky=unlucky)
    assert (result.cause or "").startswith(
        '{"errorMessage":"no luck today","errorType":"Unlucky","requestId":"'
    )


def test_lambda_invoke_handler_exception_records_task_failed() -> None:
    state = {"Resource": INVOKE, "Parameters": {"FunctionName": "unlucky"}}
    result = execute(task(state), unlucky=unlucky)
    assert result.error == "Unlucky"
    failed = result.history()[4]
    assert failed["type"] == "TaskFailed"
    details = failed["taskFailedEventDetails"]
    assert details["error"] == "Unlucky"
    assert (details["resource"], details["resourceType"]) == ("invoke", "lambda")


@pytest.mark.parametrize(
    "state",
    [
        {"Resource": FUNCTION_ARN + "missing"},
        {"Resource": INVOKE, "Parameters": {"FunctionName": "missing"}},
    ],
)
def test_unknown_function_fails_with_resource_not_found(state: dict[str, Any]) -> None:
    result = execute(task(state))
    assert result.status == "FAILED"
    assert result.error == "Lambda.ResourceNotFoundException"
    assert (FUNCTION_ARN + "missing") in (result.cause or "")


def test_unsupported_resource_fails_the_execution() -> None:
    state = {"Resource": "arn:aws:states:::sqs:sendMessage", "Parameters": {"QueueUrl": "q"}}
    result = execute(task(state))
    assert result.status == "FAILED"
    assert result.error == "States.Runtime"


# Timeouts -------------------------------------------------------------------------------------


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Lets a slow handler finish once the test is over (the Task has given up on it)."""
    event = threading.Event()
    yield event
    event.set()


def slow_handlers(release: threading.Event) -> dict[str, Any]:
    def slow(event: Any, context: LambdaContext) -> Any:
        release.wait(10)
        return "late"

    return {"slow": slow}


def test_timeout_seconds_fails_a_slow_function_with_states_timeout(
    release: threading.Event,
) -> None:
    state = {"Resource": FUNCTION_ARN + "slow", "TimeoutSeconds": 1}
    result = execute(task(state), **slow_handlers(release))
    assert result.status == "FAILED"
    assert (result.error, result.cause) == ("States.Timeout", None)
    events = result.history()
    assert events[2]["lambdaFunctionScheduledEventDetails"]["timeoutInSeconds"] == 1
    assert events[4]["type"] == "LambdaFunctionTimedOut"
    assert events[4]["lambdaFunctionTimedOutEventDetails"] == {"error": "States.Timeout"}


def test_lambda_invoke_timeout_records_task_timed_out(release: threading.Event) -> None:
    state = {
        "Resource": INVOKE,
        "Parameters": {"FunctionName": "slow"},
        "TimeoutSecondsPath": "$.timeout",
        "HeartbeatSeconds": 1,
    }
    result = execute(task(state), {"timeout": 1}, **slow_handlers(release))
    assert result.error == "States.Timeout"
    events = result.history()
    scheduled = events[2]["taskScheduledEventDetails"]
    assert (scheduled["timeoutInSeconds"], scheduled["heartbeatInSeconds"]) == (1, 1)
    assert events[4]["type"] == "TaskTimedOut"


def test_states_task_failed_does_not_catch_a_timeout(release: threading.Event) -> None:
    state = {
        "Resource": FUNCTION_ARN + "slow",
        "TimeoutSeconds": 1,
        "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}],
    }
    caught = {"Caught": {"Type": "Pass", "End": True}}
    result = execute(task(state, **caught), **slow_handlers(release))
    assert result.error == "States.Timeout"


def test_jsonata_timeout_seconds(release: threading.Event) -> None:
    state = {
        "QueryLanguage": "JSONata",
        "Resource": FUNCTION_ARN + "slow",
        "TimeoutSeconds": "{% $states.input.t %}",
    }
    result = execute(task(state), {"t": 1}, **slow_handlers(release))
    assert result.error == "States.Timeout"


def test_a_fast_function_within_its_timeout_succeeds() -> None:
    state = {"Resource": FUNCTION_ARN + "double", "TimeoutSeconds": 30}
    result = execute(task(state), {"n": 1}, double=double)
    assert result.output_value == {"doubled": 2, "function": "double"}


# Payload quota --------------------------------------------------------------------------------


def too_big(event: Any, context: LambdaContext) -> Any:
    # 150,000 characters but 300,000 bytes of UTF-8: over the 256 KiB quota only in bytes.
    return "é" * 150_000


def test_a_result_over_256_kib_fails_with_data_limit_exceeded() -> None:
    result = execute(task({"Resource": FUNCTION_ARN + "big"}), big=too_big)
    assert result.status == "FAILED"
    assert result.error == "States.DataLimitExceeded"
    assert result.cause == (
        f"The state/task '{FUNCTION_ARN}big' returned a result with a size exceeding the "
        "maximum number of bytes service limit."
    )


def test_a_catcher_naming_data_limit_exceeded_catches_it() -> None:
    state = {
        "Resource": INVOKE,
        "Parameters": {"FunctionName": "big"},
        "Catch": [{"ErrorEquals": ["States.DataLimitExceeded"], "Next": "Caught"}],
    }
    caught = {"Caught": {"Type": "Pass", "End": True}}
    result = execute(task(state, **caught), big=too_big)
    assert result.status == "SUCCEEDED"
    assert result.output_value == {
        "Error": "States.DataLimitExceeded",
        "Cause": "The state/task 'lambda' returned a result with a size exceeding the maximum "
        "number of bytes service limit.",
    }


@pytest.mark.parametrize("resource", [INVOKE, FUNCTION_ARN + "big"])
def test_states_all_catches_a_task_results_data_limit_exceeded(resource: str) -> None:
    state = {
        "Resource": resource,
        "Parameters": {"FunctionName": "big"},
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
    }
    caught = {"Caught": {"Type": "Pass", "End": True}}
    result = execute(task(state, **caught), big=too_big)
    assert result.status == "SUCCEEDED"
    assert result.output_value["Error"] == "States.DataLimitExceeded"
    assert types(result)[-4:] == [
        "TaskStateExited",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
