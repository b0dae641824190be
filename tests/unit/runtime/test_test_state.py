"""TestState through its public function: statuses, outputs, inspection data, mocks, errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stepline.runtime import (
    FakeClock,
    FunctionRegistry,
    InvalidDefinition,
    InvalidExecutionInput,
    ValidationException,
    run_test_state,
    test_state,
)

TASK = "arn:aws:states:::lambda:invoke"
ROLE = "arn:aws:iam::111111111111:role/tester"


def call(definition: dict[str, Any], input_text: str = "{}", **options: Any) -> dict[str, Any]:
    return run_test_state(definition, input=input_text, clock=FakeClock(), **options)


def inspected(response: dict[str, Any]) -> dict[str, Any]:
    """The inspection data with JSON texts read back (counts and errorDetails are not text)."""
    return {
        key: json.loads(value) if isinstance(value, str) else value
        for key, value in response["inspectionData"].items()
    }


def test_the_api_name_is_the_same_function_and_not_a_test() -> None:
    assert test_state is run_test_state
    assert test_state.__test__ is False  # type: ignore[attr-defined]


# Pass, Choice, Succeed, Fail, Wait -----------------------------------------------------------


def test_info_level_reports_output_only() -> None:
    response = call({"Type": "Pass", "End": True}, '{"a": 1}')
    assert response == {"status": "SUCCEEDED", "output": '{"a":1}'}


def test_debug_level_shows_each_jsonpath_stage_of_a_pass() -> None:
    state = {
        "Type": "Pass",
        "InputPath": "$.in",
        "Parameters": {"v.$": "$.x"},
        "ResultPath": "$.out",
        "End": True,
    }
    response = call(state, '{"in": {"x": 5}}', inspection_level="DEBUG")
    assert inspected(response) == {
        "input": {"in": {"x": 5}},
        "afterInputPath": {"x": 5},
        "afterParameters": {"v": 5},
        "afterResultSelector": {"v": 5},
        "afterResultPath": {"in": {"x": 5}, "out": {"v": 5}},
    }


def test_a_pass_result_wins_over_input_path_and_parameters() -> None:
    state = {"Type": "Pass", "InputPath": "$.in", "Parameters": {"p": 1}, "Result": {"r": 2}}
    response = call({**state, "End": True}, '{"in": {}}', inspection_level="TRACE")
    assert json.loads(response["output"]) == {"r": 2}
    assert set(inspected(response)) == {"input", "result", "afterResultSelector", "afterResultPath"}


def test_a_single_state_may_name_a_successor_that_is_not_there() -> None:
    response = call({"Type": "Pass", "Next": "Elsewhere"})
    assert response["nextState"] == "Elsewhere"


def test_choice_reports_the_chosen_state() -> None:
    state = {
        "Type": "Choice",
        "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Big"}],
        "Default": "Small",
    }
    assert call(state, '{"n": 5}')["nextState"] == "Big"
    assert call(state, '{"n": 0}')["nextState"] == "Small"


def test_choice_shows_its_input_after_input_path_and_applies_output_path() -> None:
    state = {
        "Type": "Choice",
        "InputPath": "$.in",
        "OutputPath": "$.n",
        "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "One"}],
    }
    response = call(state, '{"in": {"n": 1}}', inspection_level="DEBUG")
    assert inspected(response)["afterInputPath"] == {"n": 1}
    assert response["output"] == "1"


def test_fail_reports_its_error_and_cause_without_output() -> None:
    response = call({"Type": "Fail", "Error": "Oops", "Cause": "why"}, inspection_level="DEBUG")
    assert response["status"] == "FAILED"
    assert (response["error"], response["cause"]) == ("Oops", "why")
    assert "output" not in response
    assert set(inspected(response)) == {"input", "afterInputPath"}


def test_wait_does_not_keep_the_caller_waiting() -> None:
    clock = FakeClock()
    response = run_test_state({"Type": "Wait", "Seconds": 3600, "End": True}, clock=clock)
    assert response["status"] == "SUCCEEDED"
    assert clock.slept == []


def test_jsonata_states_show_no_jsonpath_stages() -> None:
    state = {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input.a %}"}
    response = call({**state, "End": True}, '{"a": 7}', inspection_level="DEBUG")
    assert response["output"] == "7"
    assert inspected(response) == {"input": {"a": 7}}


def test_a_state_of_a_machine_is_picked_by_name() -> None:
    machine = {
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Succeed"}},
    }
    response = call(machine, '{"k": 1}', state_name="A")
    assert (response["status"], response["nextState"]) == ("SUCCEEDED", "B")


# Variables and the context object -------------------------------------------------------------


def test_variables_are_visible_and_reported_with_assignments() -> None:
    state = {"Type": "Pass", "Assign": {"b.$": "$a"}, "Parameters": {"a.$": "$a"}, "End": True}
    response = call(state, variables='{"a": 1}', inspection_level="DEBUG")
    assert json.loads(response["output"]) == {"a": 1}
    assert inspected(response)["variables"] == {"a": 1, "b": 1}


def test_a_given_context_object_is_used_as_it_is() -> None:
    state = {"Type": "Pass", "Parameters": {"c.$": "$$"}, "End": True}
    response = call(state, context='{"Execution": {"Name": "given"}}')
    assert json.loads(response["output"]) == {"c": {"Execution": {"Name": "given"}}}


def test_the_default_context_object_is_an_express_execution() -> None:
    state = {"Type": "Pass", "Parameters": {"c.$": "$$"}, "End": True}
    response = call(state, '{"x": 1}', execution_name="e", state_machine_name="m")
    context = json.loads(response["output"])["c"]
    assert context["Execution"]["Id"] == "arn:aws:states:us-east-1:111111111111:express:m:e"
    assert context["Execution"]["Input"] == {"x": 1}
    assert context["State"]["Name"] == "StateName"


# Task -----------------------------------------------------------------------------------------


def test_a_task_runs_its_function_when_not_mocked() -> None:
    functions = FunctionRegistry()
    functions.register("double", lambda event, context: {"n": event["n"] * 2})
    state = {
        "Type": "Task",
        "Resource": TASK,
        "Parameters": {"FunctionName": "double", "Payload.$": "$"},
        "ResultSelector": {"n.$": "$.Payload.n"},
        "End": True,
    }
    response = call(state, '{"n": 4}', functions=functions, role_arn=ROLE)
    assert json.loads(response["output"]) == {"n": 8}


def test_a_mocked_result_goes_through_result_selector_and_result_path() -> None:
    state = {
        "Type": "Task",
        "Resource": TASK,
        "Parameters": {"FunctionName": "f"},
        "ResultSelector": {"v.$": "$.value"},
        "ResultPath": "$.r",
        "End": True,
    }
    response = call(state, '{"a": 1}', mock={"result": '{"value": 3}'}, inspection_level="DEBUG")
    assert json.loads(response["output"]) == {"a": 1, "r": {"v": 3}}
    data = inspected(response)
    assert data["result"] == {"value": 3}
    assert data["afterParameters"] == {"FunctionName": "f"}
    assert data["afterResultSelector"] == {"v": 3}


def test_a_jsonata_task_shows_its_arguments() -> None:
    state = {
        "Type": "Task",
        "QueryLanguage": "JSONata",
        "Resource": TASK,
        "Arguments": {"FunctionName": "f", "Payload": "{% $states.input %}"},
        "End": True,
    }
    response = call(state, '{"a": 1}', mock={"result": "{}"}, inspection_level="TRACE")
    assert inspected(response)["afterArguments"] == {"FunctionName": "f", "Payload": {"a": 1}}


def retrying_task(**extra: Any) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": TASK,
        "Parameters": {"FunctionName": "f"},
        "Retry": [
            {"ErrorEquals": ["Other"]},
            {"ErrorEquals": ["Boom"], "MaxAttempts": 2, "IntervalSeconds": 3, "BackoffRate": 2},
        ],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handler", "ResultPath": "$.e"}],
        "End": True,
        **extra,
    }


BOOM = {"errorOutput": {"error": "Boom", "cause": "bang"}}


def test_an_error_a_retrier_takes_is_retriable_with_its_back_off() -> None:
    response = call(retrying_task(), mock=BOOM, inspection_level="DEBUG")
    assert response["status"] == "RETRIABLE"
    assert (response["error"], response["cause"]) == ("Boom", "bang")
    assert response["inspectionData"]["errorDetails"] == {
        "retryBackoffIntervalSeconds": 3,
        "retryIndex": 1,
    }


def test_the_back_off_grows_with_the_retries_already_made() -> None:
    configuration = {"retrierRetryCount": 1}
    response = call(
        retrying_task(),
        mock=BOOM,
        inspection_level="DEBUG",
        state_configuration=configuration,
    )
    assert response["inspectionData"]["errorDetails"]["retryBackoffIntervalSeconds"] == 6


def test_an_exhausted_retrier_hands_the_error_to_the_catchers() -> None:
    response = call(
        retrying_task(),
        '{"a": 1}',
        mock=BOOM,
        inspection_level="DEBUG",
        state_configuration={"retrierRetryCount": 2},
    )
    assert (response["status"], response["nextState"]) == ("CAUGHT_ERROR", "Handler")
    assert json.loads(response["output"]) == {"a": 1, "e": {"Error": "Boom", "Cause": "bang"}}
    assert response["inspectionData"]["errorDetails"] == {"catchIndex": 0}


def test_an_error_nothing_takes_fails_the_state() -> None:
    state = {"Type": "Task", "Resource": TASK, "Parameters": {"FunctionName": "f"}, "End": True}
    response = call(state, mock=BOOM)
    assert (response["status"], response["error"]) == ("FAILED", "Boom")


# Map and Parallel -----------------------------------------------------------------------------


def test_a_parallel_state_takes_the_mock_as_its_branches_outputs() -> None:
    state = {
        "Type": "Parallel",
        "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}],
        "ResultPath": "$.r",
        "End": True,
    }
    response = call(state, '{"a": 1}', mock={"result": "[1]"}, inspection_level="DEBUG")
    assert json.loads(response["output"]) == {"a": 1, "r": [1]}


def test_jsonata_map_and_parallel_see_the_mock_as_their_result() -> None:
    branches = [{"StartAt": n, "States": {n: {"Type": "Pass", "End": True}}} for n in "BC"]
    output = {"Output": "{% $count($states.result) %}", "QueryLanguage": "JSONata"}
    parallel = {"Type": "Parallel", "Branches": branches, "End": True, **output}
    assert call(parallel, mock={"result": "[1, 2]"})["output"] == "2"
    mapped = map_state(Items="{% [1, 2, 3] %}", **output)
    response = call(mapped, mock={"result": "[1, 2, 3]"}, inspection_level="DEBUG")
    assert response["output"] == "3"
    assert inspected(response) == {"input": {}, "maxConcurrency": 0}


def test_the_reported_back_off_is_capped_by_max_delay() -> None:
    retrier = {"ErrorEquals": ["Boom"], "IntervalSeconds": 10, "MaxDelaySeconds": 4}
    state = {**retrying_task(), "Retry": [retrier]}
    response = call(state, mock=BOOM, inspection_level="DEBUG")
    assert response["inspectionData"]["errorDetails"]["retryBackoffIntervalSeconds"] == 4


def map_state(**extra: Any) -> dict[str, Any]:
    processor = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    return {"Type": "Map", "ItemProcessor": processor, "End": True, **extra}


def test_a_map_reports_its_items_and_settings() -> None:
    state = map_state(ItemsPath="$.items", MaxConcurrency=2, ToleratedFailureCount=1)
    response = call(state, '{"items": [1, 2]}', mock={"result": "[3, 4]"}, inspection_level="DEBUG")
    data = inspected(response)
    assert data["afterItemsPath"] == [1, 2]
    assert (data["maxConcurrency"], data["toleratedFailureCount"]) == (2, 1)
    assert json.loads(response["output"]) == [3, 4]


def test_map_items_must_be_an_array() -> None:
    response = call(map_state(ItemsPath="$.items"), '{"items": 1}', mock={"result": "[]"})
    assert response["status"] == "FAILED"
    assert response["cause"] == 'Reference path "$.items" must point to array.'


@pytest.mark.parametrize(
    ("tolerance", "failures", "status"),
    [
        ({"ToleratedFailureCount": 1}, 1, "SUCCEEDED"),
        ({"ToleratedFailureCount": 1}, 2, "FAILED"),
        ({"ToleratedFailurePercentage": 50}, 1, "SUCCEEDED"),
        ({"ToleratedFailurePercentage": 50}, 2, "FAILED"),
        ({}, 2, "SUCCEEDED"),
    ],
)
def test_map_iteration_failures_count_against_the_tolerance(
    tolerance: dict[str, Any], failures: int, status: str
) -> None:
    configuration = {"mapIterationFailureCount": failures}
    response = call(
        map_state(**tolerance),
        "[1, 2]",
        mock={"result": "[1, 2]"},
        state_configuration=configuration,
    )
    assert response["status"] == status
    if status == "FAILED":
        assert response["error"] == "States.ExceedToleratedFailureThreshold"


def test_an_error_caused_by_an_inner_state_fails_the_map() -> None:
    response = call(
        map_state(),
        "[1]",
        mock=BOOM,
        state_configuration={"errorCausedByState": "P"},
    )
    assert (response["status"], response["error"]) == ("FAILED", "Boom")


# Rejected requests ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"inspection_level": "LOUD"}, ValidationException),
        ({"input": "{"}, InvalidExecutionInput),
        ({"variables": "[1]"}, ValidationException),
        ({"mock": {"result": "{", "fieldValidationMode": "NONE"}}, ValidationException),
        ({"mock": {"result": "{}", "fieldValidationMode": "LAX"}}, ValidationException),
        ({"mock": {}}, ValidationException),
        ({"state_name": "Nope"}, ValidationException),
    ],
)
def test_malformed_requests_are_rejected(options: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        run_test_state({"Type": "Task", "Resource": TASK, "End": True}, **options)


def test_map_and_parallel_need_a_mock() -> None:
    with pytest.raises(ValidationException, match="Map"):
        call(map_state())


def test_error_caused_by_state_must_name_an_inner_state_of_a_mocked_error() -> None:
    with pytest.raises(ValidationException, match="errorOutput"):
        call(map_state(), mock={"result": "[]"}, state_configuration={"errorCausedByState": "P"})
    with pytest.raises(ValidationException, match="Q"):
        call(map_state(), mock=BOOM, state_configuration={"errorCausedByState": "Q"})


def test_a_machine_needs_a_state_name_that_it_has() -> None:
    machine = {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}
    with pytest.raises(ValidationException):
        call(machine)
    with pytest.raises(ValidationException):
        call(machine, state_name="B")


def test_an_invalid_definition_is_rejected_with_aws_text() -> None:
    with pytest.raises(InvalidDefinition) as raised:
        call({"Type": "Pass", "Bogus": 1, "End": True})
    assert raised.value.code == "InvalidDefinition"
    assert raised.value.message.startswith("Invalid State Machine Definition:")


def test_definition_text_that_is_not_json_is_an_invalid_definition() -> None:
    with pytest.raises(InvalidDefinition):
        run_test_state("[1, 2")
    with pytest.raises(InvalidDefinition):
        run_test_state("[1, 2]")
