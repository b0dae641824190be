"""Pass, Choice, Succeed and Fail run end to end through the public API."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stepline.runtime import ExecutionResult, FakeClock, compile_definition, run_execution


def execute(definition: dict[str, Any], input_text: str = "{}") -> ExecutionResult:
    return run_execution(compile_definition(definition), input_text, clock=FakeClock())


def single(state: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "S", "States": {"S": {**state, "End": True}}}


def output(result: ExecutionResult) -> Any:
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    return result.output_value


# Pass -----------------------------------------------------------------------------------------


def test_pass_hands_its_input_on_unchanged() -> None:
    assert output(execute(single({"Type": "Pass"}), '{"a": [1, 2]}')) == {"a": [1, 2]}


def test_pass_result_replaces_the_input() -> None:
    result = execute(single({"Type": "Pass", "Result": {"r": True}}), '{"a": 1}')
    assert output(result) == {"r": True}


def test_pass_result_path_places_the_result_inside_the_input() -> None:
    state = {"Type": "Pass", "Result": "x", "ResultPath": "$.deep.field"}
    assert output(execute(single(state), '{"a": 1}')) == {"a": 1, "deep": {"field": "x"}}


def test_pass_result_path_null_discards_the_result() -> None:
    state = {"Type": "Pass", "Result": "ignored", "ResultPath": None}
    assert output(execute(single(state), '{"a": 1}')) == {"a": 1}


def test_pass_parameters_build_a_new_value_from_paths_context_and_intrinsics() -> None:
    state = {
        "Type": "Pass",
        "Parameters": {
            "copy.$": "$.a",
            "state.$": "$$.State.Name",
            "joined.$": "States.Format('{}-{}', $.a, $.b)",
            "fixed": 3,
        },
    }
    result = execute(single(state), '{"a": "x", "b": "y"}')
    assert output(result) == {"copy": "x", "state": "S", "joined": "x-y", "fixed": 3}


def test_pass_input_path_selects_part_of_the_input() -> None:
    assert output(execute(single({"Type": "Pass", "InputPath": "$.a"}), '{"a": {"b": 1}}')) == {
        "b": 1
    }


def test_pass_input_path_null_gives_an_empty_object() -> None:
    assert output(execute(single({"Type": "Pass", "InputPath": None}), '{"a": 1}')) == {}


def test_pass_output_path_selects_part_of_the_output() -> None:
    state = {"Type": "Pass", "Result": {"keep": 1, "drop": 2}, "OutputPath": "$.keep"}
    assert output(execute(single(state))) == 1


def test_pass_output_path_null_gives_an_empty_object() -> None:
    assert output(execute(single({"Type": "Pass", "OutputPath": None}), '{"a": 1}')) == {}


def test_pass_input_path_to_a_missing_field_fails_with_states_runtime() -> None:
    result = execute(single({"Type": "Pass", "InputPath": "$.missing"}), '{"a": 1}')
    assert result.status == "FAILED"
    assert result.error == "States.Runtime"
    assert result.cause is not None
    assert "'S'" in result.cause


def test_jsonata_pass_output_and_states_input() -> None:
    state = {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input.a + 1 %}"}
    assert output(execute(single(state), '{"a": 41}')) == 42


def test_jsonata_pass_without_output_hands_its_input_on() -> None:
    state = {"Type": "Pass", "QueryLanguage": "JSONata"}
    assert output(execute(single(state), '{"a": 41}')) == {"a": 41}


# Choice ---------------------------------------------------------------------------------------


CHOICE = {
    "StartAt": "C",
    "States": {
        "C": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"},
                {
                    "And": [
                        {"Variable": "$.n", "IsPresent": True},
                        {"Variable": "$.n", "NumericLessThan": 0},
                    ],
                    "Next": "Negative",
                },
            ],
            "Default": "Other",
        },
        "Big": {"Type": "Pass", "Result": "big", "End": True},
        "Negative": {"Type": "Pass", "Result": "negative", "End": True},
        "Other": {"Type": "Pass", "Result": "other", "End": True},
    },
}


@pytest.mark.parametrize(("value", "expected"), [(11, "big"), (-1, "negative"), (5, "other")])
def test_choice_takes_the_first_matching_rule_else_the_default(value: int, expected: str) -> None:
    assert output(execute(CHOICE, json.dumps({"n": value}))) == expected


def test_choice_passes_its_input_on_to_the_next_state() -> None:
    definition = {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "InputPath": "$.inner",
                "OutputPath": "$.v",
                "Choices": [{"Variable": "$.v", "StringEquals": "a", "Next": "End"}],
            },
            "End": {"Type": "Succeed"},
        },
    }
    assert output(execute(definition, '{"inner": {"v": "a"}}')) == "a"


def test_choice_without_match_nor_default_fails_with_no_choice_matched() -> None:
    definition = {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "End"}],
            },
            "End": {"Type": "Succeed"},
        },
    }
    result = execute(definition, '{"n": 2}')
    assert result.status == "FAILED"
    assert result.error == "States.NoChoiceMatched"
    assert [event["type"] for event in result.history()] == [
        "ExecutionStarted",
        "ChoiceStateEntered",
        "ExecutionFailed",
    ]


def jsonata_choice(choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "QueryLanguage": "JSONata",
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": choices, **extra},
            "End": {"Type": "Pass", "End": True},
            "Fallback": {"Type": "Pass", "Output": "fallback", "End": True},
        },
    }


def test_jsonata_choice_rule_assigns_and_shapes_its_output() -> None:
    definition = jsonata_choice(
        [
            {
                "Condition": "{% $states.input.n > 1 %}",
                "Assign": {"seen": "{% $states.input.n %}"},
                "Output": {"picked": "{% $states.input.n * 10 %}"},
                "Next": "End",
            }
        ],
        Default="Fallback",
    )
    result = execute(definition, '{"n": 2}')
    assert output(result) == {"picked": 20}
    exited = next(e for e in result.history() if e["type"] == "ChoiceStateExited")
    assert exited["stateExitedEventDetails"]["assignedVariables"] == {"seen": "2"}


def test_jsonata_choice_default_keeps_the_input() -> None:
    definition = jsonata_choice(
        [{"Condition": "{% $states.input.n > 1 %}", "Next": "End"}], Default="Fallback"
    )
    assert output(execute(definition, '{"n": 0}')) == "fallback"


def test_jsonata_choice_state_output_and_assign_apply_on_the_default_branch() -> None:
    definition = jsonata_choice(
        [{"Condition": "{% false %}", "Next": "Fallback"}],
        Default="End",
        Output="{% $states.input.n + 1 %}",
        Assign={"v": 7},
    )
    result = execute(definition, '{"n": 1}')
    assert output(result) == 2
    exited = next(e for e in result.history() if e["type"] == "ChoiceStateExited")
    assert exited["stateExitedEventDetails"]["assignedVariables"] == {"v": "7"}


def test_jsonata_choice_constant_condition() -> None:
    definition = jsonata_choice([{"Condition": True, "Next": "End"}], Default="Fallback")
    assert output(execute(definition, '{"n": 0}')) == {"n": 0}


def test_jsonata_choice_condition_that_is_not_a_boolean_fails() -> None:
    definition = jsonata_choice(
        [{"Condition": "{% $states.input.n %}", "Next": "End"}], Default="Fallback"
    )
    result = execute(definition, '{"n": 3}')
    assert result.status == "FAILED"
    assert result.error == "States.QueryEvaluationError"
    assert "Expected 'boolean'" in (result.cause or "")


def test_jsonata_choice_condition_that_cannot_be_evaluated_fails() -> None:
    definition = jsonata_choice(
        [{"Condition": "{% $number('x') > 1 %}", "Next": "End"}], Default="Fallback"
    )
    result = execute(definition, '{"n": 3}')
    assert result.status == "FAILED"
    assert result.error == "States.QueryEvaluationError"
    assert "EvaluationFailed" in [event["type"] for event in result.history()]


# Succeed --------------------------------------------------------------------------------------


def test_succeed_ends_with_its_filtered_input() -> None:
    state = {"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}
    definition = {"StartAt": "S", "States": {"S": state}}
    assert output(execute(definition, '{"a": {"b": 5}}')) == 5


def test_jsonata_succeed_output() -> None:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "S",
        "States": {"S": {"Type": "Succeed", "Output": "{% $states.input.a %}"}},
    }
    assert output(execute(definition, '{"a": "done"}')) == "done"


def test_jsonata_succeed_without_output() -> None:
    definition = {"QueryLanguage": "JSONata", "StartAt": "S", "States": {"S": {"Type": "Succeed"}}}
    assert output(execute(definition, '{"a": "done"}')) == {"a": "done"}


# Fail -----------------------------------------------------------------------------------------


def fail(state: dict[str, Any], input_text: str = "{}") -> ExecutionResult:
    result = execute({"StartAt": "F", "States": {"F": {"Type": "Fail", **state}}}, input_text)
    assert result.status == "FAILED"
    assert result.output is None
    return result


def test_fail_reports_its_error_and_cause() -> None:
    result = fail({"Error": "MyError", "Cause": "because"})
    assert (result.error, result.cause) == ("MyError", "because")
    events = result.history()
    assert [event["type"] for event in events] == [
        "ExecutionStarted",
        "FailStateEntered",
        "ExecutionFailed",
    ]
    assert events[-1]["executionFailedEventDetails"] == {"cause": "because", "error": "MyError"}


def test_fail_without_error_or_cause_has_neither() -> None:
    result = fail({})
    assert (result.error, result.cause) == (None, None)
    assert result.history()[-1]["executionFailedEventDetails"] == {}


def test_fail_error_path_and_cause_path_read_the_input() -> None:
    result = fail({"ErrorPath": "$.e", "CausePath": "$.c"}, '{"e": "E", "c": "C"}')
    assert (result.error, result.cause) == ("E", "C")


def test_fail_paths_may_be_intrinsics() -> None:
    state = {"ErrorPath": "States.Format('E{}', $.n)", "CausePath": "$$.State.Name"}
    result = fail(state, '{"n": 1}')
    assert (result.error, result.cause) == ("E1", "F")


def test_a_failing_intrinsic_in_a_fail_path_is_a_runtime_error() -> None:
    result = fail({"Error": "E", "CausePath": "States.Format('{}', $.nope)"}, '{"n": 1}')
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.cause == (
        "An error occurred while executing the state 'F' (entered at the event id #2). "
        "The function 'States.Format('{}', $.nope)' had the following error: The JsonPath "
        """argument for the field '$.nope' could not be found in the input '{"n":1}'"""
    )


def test_fail_cause_path_to_a_non_string_gives_its_json_text() -> None:
    result = fail({"Error": "E", "CausePath": "$.c"}, '{"c": {"k": 1}}')
    assert result.cause == '{"k":1}'


def test_jsonata_fail_evaluates_error_and_cause() -> None:
    state = {
        "QueryLanguage": "JSONata",
        "Error": "{% 'E' & $states.input.n %}",
        "Cause": "plain",
    }
    result = fail(state, '{"n": 2}')
    assert (result.error, result.cause) == ("E2", "plain")


def test_pass_result_wins_over_parameters() -> None:
    definition = {
        "StartAt": "P",
        "States": {
            "P": {"Type": "Pass", "Parameters": {"p.$": "$.a"}, "Result": {"r": 1}, "End": True}
        },
    }
    result = run_execution(compile_definition(definition), '{"a": 2}', clock=FakeClock())
    assert result.output_value == {"r": 1}
