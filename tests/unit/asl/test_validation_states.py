"""Validation of single states: names, types, fields per type and query language, flow, numbers."""

from __future__ import annotations

from typing import Any

import pytest

from stepline.asl.definitions import validate_definition

SCHEMA = "SCHEMA_VALIDATION_FAILED"
JSONATA_CODE = "INVALID_JSONATA_EXPRESSION"
PARSE_ERROR = "Invalid JSONata expression: S0203: Expected \")\" before end of expression (in '(')"
LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:f"
TASK: dict[str, Any] = {"Type": "Task", "Resource": LAMBDA, "End": True}


def _found(state: object, language: str | None = None) -> list[tuple[str, str, str]]:
    document: dict[str, Any] = {"StartAt": "S", "States": {"S": state}}
    if language is not None:
        document["QueryLanguage"] = language
    return [(found.code, found.location, found.message) for found in validate_definition(document)]


def _missing_end() -> tuple[str, str, str]:
    return ("MISSING_END_STATE", "", "Workflow has no terminal state")


def test_a_state_name_longer_than_80_characters_is_invalid() -> None:
    long_name = "x" * 81
    document = {"StartAt": long_name, "States": {long_name: {"Type": "Pass", "End": True}}}
    assert [(d.code, d.location, d.message) for d in validate_definition(document)] == [
        (
            "INVALID_STATE_NAME",
            f"/States/{long_name}",
            "State name cannot be longer than 80 characters",
        )
    ]
    exact = "x" * 80
    assert (
        validate_definition({"StartAt": exact, "States": {exact: {"Type": "Pass", "End": True}}})
        == []
    )


def test_a_state_must_be_an_object() -> None:
    assert _found(3) == [
        (SCHEMA, "/States/S", "The value of the field 'S' must be an object, not number"),
        _missing_end(),
    ]


def test_a_state_needs_a_type() -> None:
    assert _found({"End": True}) == [(SCHEMA, "/States/S", "These fields are required: [Type]")]


def test_a_state_type_must_be_known() -> None:
    assert _found({"Type": "Sleep"}) == [
        (
            SCHEMA,
            "/States/S/Type",
            "The field 'Type' should have one of these values: "
            "[Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]",
        ),
        _missing_end(),
    ]


def test_a_state_query_language_must_be_known() -> None:
    assert _found({"Type": "Pass", "End": True, "QueryLanguage": "XPath"}) == [
        (
            SCHEMA,
            "/States/S/QueryLanguage",
            "The field 'QueryLanguage' should have one of these values: [JSONata, JSONPath]",
        )
    ]


def test_a_jsonata_machine_cannot_have_jsonpath_states() -> None:
    assert _found({"Type": "Pass", "End": True, "QueryLanguage": "JSONPath"}, "JSONata") == [
        (
            SCHEMA,
            "/States/S",
            "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
        )
    ]


def test_a_jsonpath_machine_may_have_jsonata_states() -> None:
    assert _found({"Type": "Pass", "End": True, "QueryLanguage": "JSONata", "Output": 1}) == []


@pytest.mark.parametrize(
    ("language", "field", "other"),
    [("JSONata", "InputPath", "JSONPath"), ("JSONPath", "Output", "JSONata")],
)
def test_fields_of_the_other_query_language_are_rejected(
    language: str, field: str, other: str
) -> None:
    assert _found({"Type": "Pass", "End": True, field: "$"}, language) == [
        (
            SCHEMA,
            "/States/S",
            f"The QueryLanguage is set to '{language}', but field '{field}' is only supported "
            f"for the '{other}' QueryLanguage",
        )
    ]


@pytest.mark.parametrize(
    ("state", "field"),
    [
        ({"Type": "Pass", "End": True, "Resource": LAMBDA}, "Resource"),
        ({"Type": "Succeed", "ResultPath": "$"}, "ResultPath"),
        ({"Type": "Fail", "InputPath": "$"}, "InputPath"),
        ({"Type": "Wait", "Seconds": 1, "End": True, "Retry": []}, "Retry"),
        ({**TASK, "Bogus": 1}, "Bogus"),
    ],
)
def test_fields_outside_a_state_type_are_not_supported(state: dict[str, Any], field: str) -> None:
    assert _found(state) == [(SCHEMA, "/States/S", f"Field '{field}' is not supported")]


def test_choice_succeed_and_fail_take_no_next() -> None:
    assert _found({"Type": "Succeed", "Next": "S", "Comment": 3}) == [
        (SCHEMA, "/States/S", "Field 'Next' is not supported"),
        (
            SCHEMA,
            "/States/S/Comment",
            "The value of the field 'Comment' must be a string, not number",
        ),
    ]


def test_next_and_end_are_exclusive() -> None:
    assert _found({"Type": "Pass", "End": True, "Next": "S"}) == [
        (SCHEMA, "/States/S", "Only one of these fields is allowed: [Next, End]")
    ]


@pytest.mark.parametrize("state", [{"Type": "Pass"}, {"Type": "Pass", "End": False}])
def test_next_or_end_is_required(state: dict[str, Any]) -> None:
    assert _found(state) == [
        (SCHEMA, "/States/S", "One of these fields is required: [Next, End]"),
        _missing_end(),
    ]


def test_next_and_end_have_types() -> None:
    assert _found({"Type": "Pass", "End": 1, "Next": 2}) == [
        (SCHEMA, "/States/S/End", "The value of the field 'End' must be a boolean, not number"),
        (SCHEMA, "/States/S/Next", "The value of the field 'Next' must be a string, not number"),
        _missing_end(),
    ]


def test_input_and_output_paths_must_be_paths() -> None:
    state = {"Type": "Pass", "End": True, "InputPath": "nope", "OutputPath": 3}
    assert _found(state) == [
        (
            SCHEMA,
            "/States/S/InputPath",
            "The value for the field 'InputPath' must be a valid JSONPath",
        ),
        (
            SCHEMA,
            "/States/S/OutputPath",
            "The value of the field 'OutputPath' must be a string, not number",
        ),
    ]


def test_null_paths_and_paths_under_jsonata_states_are_not_checked() -> None:
    assert _found({"Type": "Pass", "End": True, "InputPath": None, "OutputPath": "$.x"}) == []
    state = {"Type": "Pass", "End": True, "QueryLanguage": "JSONata", "Output": "{% $x %}"}
    assert _found(state) == []


def test_every_state_problem_is_reported_at_once() -> None:
    state = {"Type": "Pass", "Bogus": 1, "InputPath": "x", "Parameters": 3}
    assert _found(state) == [
        (SCHEMA, "/States/S", "Field 'Bogus' is not supported"),
        (SCHEMA, "/States/S", "One of these fields is required: [Next, End]"),
        (
            SCHEMA,
            "/States/S/InputPath",
            "The value for the field 'InputPath' must be a valid JSONPath",
        ),
        (
            SCHEMA,
            "/States/S/Parameters",
            "The value of the field 'Parameters' must be an object, not number",
        ),
        _missing_end(),
    ]


# Fail


def test_fail_error_and_cause_are_exclusive_with_their_paths() -> None:
    state = {"Type": "Fail", "Error": "E", "ErrorPath": "$.e", "Cause": 1, "CausePath": "bad"}
    assert _found(state) == [
        (SCHEMA, "/States/S", "Only one of these fields is allowed: [Error, ErrorPath]"),
        (SCHEMA, "/States/S", "Only one of these fields is allowed: [Cause, CausePath]"),
        (SCHEMA, "/States/S/Cause", "The value of the field 'Cause' must be a string, not number"),
        (
            SCHEMA,
            "/States/S/CausePath",
            "The value for the field 'CausePath' must be a valid JSONPath or an intrinsic "
            "function expression that returns a string",
        ),
    ]


def test_fail_paths_may_be_string_intrinsics_only() -> None:
    state = {
        "Type": "Fail",
        "ErrorPath": "States.Format('{}', $.x)",
        "CausePath": "States.MathAdd(1, 2)",
    }
    assert _found(state) == [
        (
            SCHEMA,
            "/States/S/CausePath",
            "The value for the field 'CausePath' must be a valid JSONPath or an intrinsic "
            "function expression that returns a string",
        )
    ]
    assert _found({"Type": "Fail", "ErrorPath": 3}) == [
        (
            SCHEMA,
            "/States/S/ErrorPath",
            "The value of the field 'ErrorPath' must be a string, not number",
        )
    ]


def test_fail_fields_under_jsonata_are_expressions() -> None:
    state = {"Type": "Fail", "Error": "{% $x %}", "Cause": "{% ( %}"}
    assert _found(state, "JSONata") == [(JSONATA_CODE, "/States/S/Cause", PARSE_ERROR)]
    assert _found({"Type": "Fail", "Error": "E", "Cause": "plain"}, "JSONata") == []


# Wait


def test_wait_needs_one_form_of_delay() -> None:
    assert _found({"Type": "Wait", "End": True}) == [
        (
            SCHEMA,
            "/States/S",
            "One of these fields is required: [Seconds, Timestamp, SecondsPath, TimestampPath]",
        )
    ]


def test_wait_takes_only_one_form_and_checks_each() -> None:
    state = {
        "Type": "Wait",
        "End": True,
        "Seconds": -1,
        "Timestamp": "2020-01-01",
        "SecondsPath": "x",
        "TimestampPath": "$.t",
    }
    assert _found(state) == [
        (
            SCHEMA,
            "/States/S",
            "Only one of these fields is allowed: [Seconds, Timestamp, SecondsPath, TimestampPath]",
        ),
        (SCHEMA, "/States/S/Seconds", "The value of the field 'Seconds' must be at least 0"),
        (SCHEMA, "/States/S/Timestamp", "String does not match RFC3339 timestamp"),
        (
            SCHEMA,
            "/States/S/SecondsPath",
            "The value for the field 'SecondsPath' must be a valid JSONPath",
        ),
    ]


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, []),
        (99_999_999, []),
        (
            100_000_000,
            [
                (
                    SCHEMA,
                    "/States/S/Seconds",
                    "The value of the field 'Seconds' must be at most 99999999",
                )
            ],
        ),
    ],
)
def test_wait_seconds_bounds(seconds: int, expected: list[tuple[str, str, str]]) -> None:
    assert _found({"Type": "Wait", "End": True, "Seconds": seconds}) == expected


@pytest.mark.parametrize(
    "timestamp",
    ["2020-01-01T00:00:00Z", "2020-12-31T23:59:59.123+01:00", "2024-02-29T10:00:00-05:30"],
)
def test_wait_accepts_rfc3339_timestamps(timestamp: str) -> None:
    assert _found({"Type": "Wait", "End": True, "Timestamp": timestamp}) == []


@pytest.mark.parametrize(
    "timestamp", ["2020-13-01T00:00:00Z", "2020-01-01T24:00:00Z", "2020-01-01T00:00:00", "x"]
)
def test_wait_rejects_other_timestamps(timestamp: str) -> None:
    assert _found({"Type": "Wait", "End": True, "Timestamp": timestamp}) == [
        (SCHEMA, "/States/S/Timestamp", "String does not match RFC3339 timestamp")
    ]


def test_wait_timestamp_must_be_a_string() -> None:
    assert _found({"Type": "Wait", "End": True, "Timestamp": 5}) == [
        (
            SCHEMA,
            "/States/S/Timestamp",
            "The value of the field 'Timestamp' must be a string, not number",
        )
    ]


@pytest.mark.parametrize("field", ["Seconds", "Timestamp"])
def test_wait_under_jsonata_takes_expressions(field: str) -> None:
    assert _found({"Type": "Wait", "End": True, field: "{% $x %}"}, "JSONata") == []
    assert _found({"Type": "Wait", "End": True, field: "{% ( %}"}, "JSONata") == [
        (JSONATA_CODE, f"/States/S/{field}", PARSE_ERROR)
    ]


# Task


def test_task_needs_a_resource_string() -> None:
    assert _found({"Type": "Task", "End": True}) == [
        (SCHEMA, "/States/S", "These fields are required: [Resource]")
    ]
    assert _found({**TASK, "Resource": 3}) == [
        (
            SCHEMA,
            "/States/S/Resource",
            "The value of the field 'Resource' must be a string, not number",
        )
    ]


def test_task_timeouts_are_positive_integers_or_paths() -> None:
    state = {
        **TASK,
        "TimeoutSeconds": 0,
        "TimeoutSecondsPath": "$.t",
        "HeartbeatSeconds": 1.5,
        "HeartbeatSecondsPath": "nope",
    }
    assert _found(state) == [
        (
            SCHEMA,
            "/States/S",
            "Only one of these fields is allowed: [TimeoutSeconds, TimeoutSecondsPath]",
        ),
        (
            SCHEMA,
            "/States/S",
            "Only one of these fields is allowed: [HeartbeatSeconds, HeartbeatSecondsPath]",
        ),
        (
            SCHEMA,
            "/States/S/TimeoutSeconds",
            "The value of the field 'TimeoutSeconds' must be at least 1",
        ),
        (
            SCHEMA,
            "/States/S/HeartbeatSeconds",
            "The value of the field 'HeartbeatSeconds' must be an integer, not number",
        ),
        (
            SCHEMA,
            "/States/S/HeartbeatSecondsPath",
            "The value for the field 'HeartbeatSecondsPath' must be a valid JSONPath",
        ),
    ]


def test_task_heartbeat_must_be_shorter_than_timeout() -> None:
    assert _found({**TASK, "TimeoutSeconds": 5, "HeartbeatSeconds": 5}) == [
        (
            SCHEMA,
            "/States/S/HeartbeatSeconds",
            "The value of the field 'HeartbeatSeconds' must be smaller than 'TimeoutSeconds'",
        )
    ]
    assert _found({**TASK, "TimeoutSeconds": 5, "HeartbeatSeconds": 4}) == []


def test_task_timeouts_under_jsonata_take_expressions() -> None:
    state = {**TASK, "TimeoutSeconds": "{% 5 %}", "HeartbeatSeconds": "{% ( %}"}
    assert _found(state, "JSONata") == [(JSONATA_CODE, "/States/S/HeartbeatSeconds", PARSE_ERROR)]


@pytest.mark.parametrize(
    "credentials", [{"RoleArn": "arn:aws:iam::1:role/r"}, {"RoleArn.$": "$.r"}]
)
def test_task_credentials_name_a_role(credentials: dict[str, str]) -> None:
    assert _found({**TASK, "Credentials": credentials}) == []


def test_task_credentials_without_a_role_are_rejected() -> None:
    assert _found({**TASK, "Credentials": {"Other": 1}}) == [
        (SCHEMA, "/States/S/Credentials", "The field 'RoleArn' is required but was missing")
    ]
    assert _found({**TASK, "Credentials": "role"}) == [
        (
            SCHEMA,
            "/States/S/Credentials",
            "The value of the field 'Credentials' must be an object, not string",
        )
    ]


def test_task_credentials_under_jsonata_may_be_an_expression() -> None:
    assert _found({**TASK, "Credentials": "{% $role %}"}, "JSONata") == []
    assert _found({**TASK, "Credentials": "{% ( %}"}, "JSONata") == [
        (JSONATA_CODE, "/States/S/Credentials", PARSE_ERROR)
    ]


def test_boolean_timeouts_get_type_errors_only() -> None:
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "TimeoutSeconds": True,
                "HeartbeatSeconds": True,
                "End": True,
            }
        },
    }
    messages = [d.message for d in validate_definition(definition)]
    assert not any("must be smaller" in message for message in messages)
    assert len(messages) == 2
