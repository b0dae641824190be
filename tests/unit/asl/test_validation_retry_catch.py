"""Validation of Retry and Catch: retriers' numbers, catchers' fields, ErrorEquals' order."""

from __future__ import annotations

from typing import Any

import pytest

from stepline.asl.definitions import validate_definition

SCHEMA = "SCHEMA_VALIDATION_FAILED"
JSONATA_CODE = "INVALID_JSONATA_EXPRESSION"
PARSE_ERROR = "Invalid JSONata expression: S0203: Expected \")\" before end of expression (in '(')"
LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:f"
ALL_LAST = "States.ALL must appear alone, in the last element of the array"
T_UNREACHABLE = ("MISSING_TRANSITION_TARGET", "/States/T", 'State "T" is not reachable.')


def _found(fields: dict[str, Any], language: str | None = None) -> list[tuple[str, str, str]]:
    task = {"Type": "Task", "Resource": LAMBDA, "End": True, **fields}
    document: dict[str, Any] = {"StartAt": "S", "States": {"S": task, "T": {"Type": "Succeed"}}}
    if language is not None:
        document["QueryLanguage"] = language
    return [(found.code, found.location, found.message) for found in validate_definition(document)]


def test_valid_retriers_and_catchers_are_accepted() -> None:
    retry = [
        {
            "ErrorEquals": ["States.Timeout", "Custom"],
            "IntervalSeconds": 1,
            "MaxAttempts": 0,
            "MaxDelaySeconds": 31_622_400,
            "BackoffRate": 1,
            "JitterStrategy": "FULL",
            "Comment": "c",
        },
        {"ErrorEquals": ["States.ALL"], "BackoffRate": 2.5, "JitterStrategy": "NONE"},
    ]
    catch = [
        {"ErrorEquals": ["E"], "Next": "T", "ResultPath": "$.error", "Comment": "c"},
        {"ErrorEquals": ["States.ALL"], "Next": "T", "ResultPath": None, "Assign": {"x.$": "$"}},
    ]
    assert _found({"Retry": retry, "Catch": catch}) == []


@pytest.mark.parametrize("state_type", ["Task", "Parallel", "Map"])
def test_retry_and_catch_are_checked_on_every_state_type_that_takes_them(state_type: str) -> None:
    nested = {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}
    fields: dict[str, dict[str, Any]] = {
        "Task": {"Resource": LAMBDA},
        "Parallel": {"Branches": [nested]},
        "Map": {"ItemProcessor": nested},
    }
    state = fields[state_type]
    document = {
        "StartAt": "S",
        "States": {"S": {"Type": state_type, "End": True, "Retry": [{}], **state}},
    }
    assert [(d.code, d.location, d.message) for d in validate_definition(document)] == [
        (SCHEMA, "/States/S/Retry[0]", "These fields are required: [ErrorEquals]")
    ]


def test_retry_and_catch_must_be_arrays_of_objects() -> None:
    assert _found({"Retry": {}, "Catch": 3}) == [
        (SCHEMA, "/States/S/Retry", "The value of the field 'Retry' must be an array, not object"),
        (SCHEMA, "/States/S/Catch", "The value of the field 'Catch' must be an array, not number"),
        T_UNREACHABLE,
    ]
    assert _found({"Retry": [3], "Catch": ["x"]}) == [
        (
            SCHEMA,
            "/States/S/Retry[0]",
            "The value of the field 'Retry' must be an object, not number",
        ),
        (
            SCHEMA,
            "/States/S/Catch[0]",
            "The value of the field 'Catch' must be an object, not string",
        ),
        T_UNREACHABLE,
    ]


def test_required_fields_of_retriers_and_catchers() -> None:
    assert _found({"Retry": [{"Foo": 1}], "Catch": [{}]}) == [
        (SCHEMA, "/States/S/Retry[0]", "Field 'Foo' is not supported"),
        (SCHEMA, "/States/S/Retry[0]", "These fields are required: [ErrorEquals]"),
        (SCHEMA, "/States/S/Catch[0]", "These fields are required: [Next]"),
        (SCHEMA, "/States/S/Catch[0]", "These fields are required: [ErrorEquals]"),
        T_UNREACHABLE,
    ]


def test_error_equals_is_a_non_empty_array_of_strings_with_all_alone_and_last() -> None:
    retry = [
        {"ErrorEquals": "x"},
        {"ErrorEquals": [1]},
        {"ErrorEquals": []},
        {"ErrorEquals": ["States.ALL", "E"]},
        {"ErrorEquals": ["States.ALL"]},
        {"ErrorEquals": ["E"]},
    ]
    assert _found({"Retry": retry}) == [
        (
            SCHEMA,
            "/States/S/Retry[0]/ErrorEquals",
            "The value of the field 'ErrorEquals' must be an array of strings, not string",
        ),
        (
            SCHEMA,
            "/States/S/Retry[1]/ErrorEquals",
            "The value of the field 'ErrorEquals' must be an array of strings, not array",
        ),
        (SCHEMA, "/States/S/Retry[2]/ErrorEquals", "Value cannot be empty"),
        (SCHEMA, "/States/S/Retry[3]/ErrorEquals", ALL_LAST),
        (SCHEMA, "/States/S/Retry[4]/ErrorEquals", ALL_LAST),
        T_UNREACHABLE,
    ]


def test_states_all_must_be_the_last_catcher_too() -> None:
    catch = [{"ErrorEquals": ["States.ALL"], "Next": "T"}, {"ErrorEquals": ["E"], "Next": "T"}]
    assert _found({"Catch": catch}) == [(SCHEMA, "/States/S/Catch[0]/ErrorEquals", ALL_LAST)]


def test_every_retrier_number_is_bounded() -> None:
    retrier = {
        "ErrorEquals": ["E"],
        "IntervalSeconds": 0,
        "MaxAttempts": -1,
        "MaxDelaySeconds": 31_622_401,
        "BackoffRate": 0.5,
        "JitterStrategy": "SOME",
        "Comment": 1,
    }
    where = "/States/S/Retry[0]"
    assert _found({"Retry": [retrier]}) == [
        (
            SCHEMA,
            f"{where}/IntervalSeconds",
            "The value of the field 'IntervalSeconds' must be at least 1",
        ),
        (SCHEMA, f"{where}/MaxAttempts", "The value of the field 'MaxAttempts' must be at least 0"),
        (
            SCHEMA,
            f"{where}/MaxDelaySeconds",
            "The value of the field 'MaxDelaySeconds' must be at most 31622400",
        ),
        (SCHEMA, f"{where}/BackoffRate", "The value of the field 'BackoffRate' must be at least 1"),
        (
            SCHEMA,
            f"{where}/JitterStrategy",
            "The field 'JitterStrategy' should have one of these values: [FULL, NONE]",
        ),
        (
            SCHEMA,
            f"{where}/Comment",
            "The value of the field 'Comment' must be a string, not number",
        ),
        T_UNREACHABLE,
    ]


def test_interval_seconds_has_an_upper_bound() -> None:
    retrier = {"ErrorEquals": ["E"], "IntervalSeconds": 100_000_000, "MaxAttempts": 99_999_999}
    assert _found({"Retry": [retrier]}) == [
        (
            SCHEMA,
            "/States/S/Retry[0]/IntervalSeconds",
            "The value of the field 'IntervalSeconds' must be at most 99999999",
        ),
        T_UNREACHABLE,
    ]


def test_backoff_rate_must_be_a_number() -> None:
    assert _found({"Retry": [{"ErrorEquals": ["E"], "BackoffRate": "2"}]}) == [
        (
            SCHEMA,
            "/States/S/Retry[0]/BackoffRate",
            "The value of the field 'BackoffRate' must be a number, not string",
        ),
        T_UNREACHABLE,
    ]


def test_jsonata_retriers_take_expressions() -> None:
    valid = {"ErrorEquals": ["E"], "BackoffRate": "{% 2 %}", "IntervalSeconds": "{% 1 %}"}
    assert _found({"Retry": [valid]}, "JSONata") == [T_UNREACHABLE]
    broken = {"ErrorEquals": ["E"], "BackoffRate": "{% ( %}", "IntervalSeconds": "{% ( %}"}
    assert _found({"Retry": [broken]}, "JSONata") == [
        (JSONATA_CODE, "/States/S/Retry[0]/IntervalSeconds", PARSE_ERROR),
        (JSONATA_CODE, "/States/S/Retry[0]/BackoffRate", PARSE_ERROR),
        T_UNREACHABLE,
    ]


def test_jsonpath_catcher_problems_are_all_reported() -> None:
    catcher = {"ErrorEquals": ["E"], "Next": 3, "ResultPath": "bad", "Output": {}, "Assign": []}
    assert _found({"Catch": [catcher]}) == [
        (SCHEMA, "/States/S/Catch[0]", "Field 'Output' is not supported"),
        (
            SCHEMA,
            "/States/S/Catch[0]/Next",
            "The value of the field 'Next' must be a string, not number",
        ),
        (
            SCHEMA,
            "/States/S/Catch[0]/ResultPath",
            "The value for the field 'ResultPath' must be a valid JSONPath",
        ),
        (
            SCHEMA,
            "/States/S/Catch[0]/Assign",
            "The value of the field 'Assign' must be an object, not array",
        ),
        T_UNREACHABLE,
    ]


def test_jsonata_catchers_take_output_not_result_path() -> None:
    catcher = {
        "ErrorEquals": ["E"],
        "Next": "T",
        "ResultPath": "$.e",
        "Output": {"a": "{% ( %}"},
        "Assign": {"b": "{% ( %}"},
    }
    assert _found({"Catch": [catcher]}, "JSONata") == [
        (SCHEMA, "/States/S/Catch[0]", "Field 'ResultPath' is not supported"),
        (JSONATA_CODE, "/States/S/Catch[0]/Output/a", PARSE_ERROR),
        (JSONATA_CODE, "/States/S/Catch[0]/Assign/b", PARSE_ERROR),
    ]
    valid = {"ErrorEquals": ["E"], "Next": "T", "Output": "{% $states.errorOutput %}"}
    assert _found({"Catch": [valid]}, "JSONata") == []


def test_a_catcher_target_must_exist() -> None:
    assert _found({"Catch": [{"ErrorEquals": ["E"], "Next": "Nowhere"}]}) == [
        ("MISSING_TRANSITION_TARGET", "/States/S/Catch[0]/Next", "Missing 'Next' target: Nowhere"),
        T_UNREACHABLE,
    ]
