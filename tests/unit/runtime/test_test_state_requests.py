"""TestState requests AWS refuses before the state runs, with AWS's texts: mocks a state cannot
take or lacks, mocked results of the wrong shape, the role, the state's name, the context."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stepline.runtime import FakeClock, ValidationException, run_test_state

LAMBDA = "arn:aws:states:::lambda:invoke"
ROLE = "arn:aws:iam::111111111111:role/tester"
TASK = {"Type": "Task", "Resource": LAMBDA, "Parameters": {"FunctionName": "f"}, "End": True}
PROCESSOR = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
MAP = {"Type": "Map", "ItemProcessor": PROCESSOR, "End": True}
WRITER = {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b"}}
PARALLEL = {
    "Type": "Parallel",
    "Branches": [{"StartAt": n, "States": {n: {"Type": "Pass", "End": True}}} for n in "AB"],
    "End": True,
}


def call(definition: dict[str, Any], **options: Any) -> dict[str, Any]:
    return run_test_state(definition, clock=FakeClock(), **options)


def refusal(definition: dict[str, Any], **options: Any) -> str:
    with pytest.raises(ValidationException) as raised:
        call(definition, **options)
    assert raised.value.code == "ValidationException"
    return raised.value.message


@pytest.mark.parametrize(
    "state",
    [
        {"Type": "Pass", "End": True},
        {"Type": "Succeed"},
        {"Type": "Fail", "Error": "E"},
        {"Type": "Wait", "Seconds": 1, "End": True},
        {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": True, "Next": "X"}]},
    ],
)
@pytest.mark.parametrize("mock", [{"result": "{}"}, {"errorOutput": {"error": "E"}}])
def test_a_state_without_work_to_mock_refuses_a_mock(
    state: dict[str, Any], mock: dict[str, Any]
) -> None:
    message = f"State type '{state['Type']}' is not supported when a mock is specified"
    assert refusal(state, mock=mock) == message


@pytest.mark.parametrize(
    "mock", [{"result": "{}", "errorOutput": {"error": "E", "cause": "C"}}, {}]
)
def test_a_mock_is_a_result_or_an_error_output(mock: dict[str, Any]) -> None:
    assert refusal(TASK, mock=mock) == (
        "A test mock should have only one of the following fields: [result, errorOutput]."
    )


@pytest.mark.parametrize("mode", ["STRICT", "PRESENT", "NONE"])
def test_a_mocked_result_must_be_json_whatever_the_validation_mode(mode: str) -> None:
    mock = {"result": "not JSON string", "fieldValidationMode": mode}
    assert refusal(TASK, mock=mock) == "Mocked result must be valid JSON"


def test_a_task_that_really_runs_needs_a_role() -> None:
    assert refusal(TASK) == "RoleArn must be specified when testing a Task state"


def test_a_mocked_task_and_a_state_without_work_need_no_role() -> None:
    assert call(TASK, mock={"result": '{"StatusCode": 200}'})["status"] == "SUCCEEDED"
    assert call({"Type": "Pass", "End": True})["status"] == "SUCCEEDED"


def test_map_iteration_failures_need_a_mock() -> None:
    configuration = {"mapIterationFailureCount": 0}
    assert refusal(MAP, role_arn=ROLE, state_configuration=configuration) == (
        "TestState does not support MapIterationFailureCount when a mock is not specified."
    )


def test_map_iteration_failures_cannot_outnumber_the_iterations() -> None:
    configuration = {"mapIterationFailureCount": 4}
    assert refusal(MAP, mock={"result": "[1, 1, 1]"}, state_configuration=configuration) == (
        "Map iteration failure count must be less than or equal to the number of Map iterations"
    )
    configuration = {"mapIterationFailureCount": 3}
    mock = {"result": "[1, 1, 1]"}
    response = call(MAP, input="[1, 2, 3]", mock=mock, state_configuration=configuration)
    assert response["status"] == "SUCCEEDED"


def test_a_map_mock_is_its_iterations_array_or_its_result_writers_object() -> None:
    assert refusal(MAP, mock={"result": '{"a": 1}'}) == "Mocked result must be an array."
    writing = {**MAP, "ResultWriter": WRITER}
    assert refusal(writing, mock={"result": '["a"]'}) == "Mocked result must be a JSON object."
    response = call(writing, input="[1]", mock={"result": '{"ResultWriterDetails": {}}'})
    assert json.loads(response["output"]) == {"ResultWriterDetails": {}}


def test_a_parallel_mock_has_one_item_per_branch() -> None:
    assert refusal(PARALLEL, mock={"result": '[{"b": 1}]'}) == (
        "Mocked result must contain the same number of items as number of Parallel branches."
    )
    assert refusal(PARALLEL, mock={"result": '{"b": 1}'}) == "Mocked result must be an array."
    assert call(PARALLEL, mock={"result": "[1, 2]"})["output"] == "[1,2]"


@pytest.mark.parametrize("state_name", ["dne", '"invalid"'])
def test_a_state_name_the_machine_lacks_is_not_found(state_name: str) -> None:
    machine = {"StartAt": "State0", "States": {"State0": {"Type": "Pass", "End": True}}}
    assert refusal(machine, state_name=state_name) == "State not found in definition"


def test_a_mocked_task_result_is_checked_against_its_api() -> None:
    state = {**TASK, "Resource": "arn:aws:states:::states:startExecution"}
    assert refusal(state, mock={"result": "{}"}) == (
        "Mock result schema validation error: Required field 'ExecutionArn' is missing"
    )
    present = {"result": '{"StartDate": true}', "fieldValidationMode": "PRESENT"}
    assert refusal(state, mock=present) == (
        "Mock result schema validation error: Field 'StartDate' must be a string"
    )
    assert call(state, mock={"result": "{}", "fieldValidationMode": "PRESENT"})["output"] == "{}"
    assert call(state, mock={"result": "[1]", "fieldValidationMode": "NONE"})["output"] == "[1]"


TOKEN_CONTEXT = json.dumps({"Task": {"Token": "abcd123"}, "State": {"Name": "S"}})


@pytest.mark.parametrize(
    "state",
    [
        TASK,
        {"Type": "Pass", "End": True},
        {**TASK, "Resource": "arn:aws:states:::aws-sdk:sfn:startExecution"},
    ],
)
def test_a_task_token_in_the_context_needs_a_task_that_waits(state: dict[str, Any]) -> None:
    mock = {"result": "{}", "fieldValidationMode": "NONE"} if state["Type"] == "Task" else None
    assert refusal(state, context=TOKEN_CONTEXT, mock=mock) == (
        "Invalid Context object provided: Context object contains 'Task' when state is not a "
        "Task state with a '.sync' or '.waitForTaskToken' service integration pattern"
    )


@pytest.mark.parametrize("pattern", [".waitForTaskToken", ".sync", ".sync:2"])
def test_a_waiting_task_sees_the_given_task_token(pattern: str) -> None:
    state = {
        "Type": "Task",
        "Resource": f"arn:aws:states:::states:startExecution{pattern}",
        "Parameters": {"Input": {"Token.$": "$$.Task.Token"}},
        "ResultSelector": {"Token.$": "$$.Task.Token"},
        "End": True,
    }
    mock = {"result": "{}", "fieldValidationMode": "NONE"}
    response = call(state, context=TOKEN_CONTEXT, mock=mock, inspection_level="DEBUG")
    assert json.loads(response["output"]) == {"Token": "abcd123"}
