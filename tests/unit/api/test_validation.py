"""AWS's parameter validation from botocore's model (``stepline.api.validation``), without a
server: the messages AWS recorded (the conformance corpus), each constraint and its text,
the type errors of AWS's JSON layer, and a property: whatever JSON a request holds, either it
is refused with an API error or every member the model knows has its type."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore import xform_name
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stepline.api.errors import ApiError
from stepline.api.validation import OPERATIONS, ShapeRule, java_pattern, validate

CASES = Path(__file__).parents[2] / "data" / "conformance" / "cases.jsonl"
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:orders"
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:orders:first"
LIMIT = 262_144
FAILED = "failed to satisfy constraint"
RECORDED = re.compile(r"\d+ validation errors? detected: ")


def refusal(action: str, parameters: dict[str, Any]) -> ApiError:
    with pytest.raises(ApiError) as refused:
        validate(action, parameters)
    return refused.value


def message(action: str, parameters: dict[str, Any]) -> str:
    error = refusal(action, parameters)
    assert (error.code, error.status) == ("ValidationException", 400)
    return error.message


def one(path: str, value: str | None, constraint: str) -> str:
    shown = "Value null" if value is None else f"Value '{value}'"
    return f"1 validation error detected: {shown} at '{path}' {FAILED}: {constraint}"


# The model ---------------------------------------------------------------------------------


def test_every_operation_of_the_model_is_compiled() -> None:
    assert len(OPERATIONS) == 37
    assert {"StartSyncExecution", "CreateActivity", "GetActivityTask", "TestState"} <= set(
        OPERATIONS
    )


def test_java_patterns_translate_posix_classes() -> None:
    assert java_pattern(r"\p{ASCII}*").fullmatch("plain ascii ~")
    assert not java_pattern(r"\p{ASCII}*").fullmatch("é")


def test_an_action_the_model_does_not_know_is_left_to_the_caller() -> None:
    parameters: dict[str, Any] = {"anything": [1, {"x": None}]}
    validate("NoSuchAction", parameters)
    assert parameters == {"anything": [1, {"x": None}]}


# What AWS recorded -------------------------------------------------------------------------


def recorded_validation_errors() -> Iterator[Any]:
    with CASES.open() as lines:
        for line in lines:
            case = json.loads(line)
            expected = case.get("expected_error") or {}
            if case["kind"] == "api_error" and RECORDED.match(expected.get("message", "")):
                yield pytest.param(case, id=case["id"].rsplit("::", 1)[-1])


ACTIONS_BY_METHOD = {xform_name(action): action for action in OPERATIONS}


@pytest.mark.parametrize("case", list(recorded_validation_errors()))
def test_aws_recorded_messages_are_reproduced(case: dict[str, Any]) -> None:
    expected = case["expected_error"]["message"]
    # The recordings mask ARNs' parts and long tokens (<region>, <invalid_token_3097_chars>).
    pattern = ".+?".join(re.escape(part) for part in re.split(r"<[^<>]+>", expected))
    got = message(ACTIONS_BY_METHOD[case["operation"]], dict(case["request"]))
    assert re.fullmatch(pattern, got), (got, expected)


def test_the_corpus_holds_recorded_validation_errors() -> None:
    assert len(list(recorded_validation_errors())) >= 9


# Constraints -------------------------------------------------------------------------------


def test_a_missing_required_member_is_null() -> None:
    assert message("StartExecution", {"name": "n"}) == one(
        "stateMachineArn", None, "Member must not be null"
    )


def test_several_errors_are_counted_and_joined() -> None:
    assert message("CreateStateMachine", {"name": "", "roleArn": "r", "type": "standard"}) == (
        "3 validation errors detected: "
        "Value '' at 'name' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; "
        "Value null at 'definition' failed to satisfy constraint: Member must not be null; "
        "Value 'standard' at 'type' failed to satisfy constraint: "
        "Member must satisfy enum value set: [STANDARD, EXPRESS]"
    )


def test_at_most_ten_errors_are_listed() -> None:
    tags = [{"key": ""} for _ in range(12)]
    text = message("TagResource", {"resourceArn": MACHINE, "tags": tags})
    assert text.startswith("10 validation errors detected: Value '' at 'tags.1.member.key'")
    assert text.count("failed to satisfy constraint") == 10
    assert "tags.10.member.key" in text
    assert "tags.11.member.key" not in text


def test_strings_have_their_lengths() -> None:
    long = "n" * 81
    assert message("StartExecution", {"stateMachineArn": MACHINE, "name": long}) == one(
        "name", long, "Member must have length less than or equal to 80"
    )
    assert message("StartExecution", {"stateMachineArn": ""}) == one(
        "stateMachineArn", "", "Member must have length greater than or equal to 1"
    )
    validate("StartExecution", {"stateMachineArn": MACHINE, "name": "n" * 80})


def test_lengths_count_characters_not_bytes() -> None:
    validate("StartExecution", {"stateMachineArn": MACHINE, "name": "é" * 80})


def test_numbers_have_their_bounds() -> None:
    assert message("GetExecutionHistory", {"executionArn": EXECUTION, "maxResults": -1}) == one(
        "maxResults", "-1", "Member must have value greater than or equal to 0"
    )
    validate("GetExecutionHistory", {"executionArn": EXECUTION, "maxResults": 1000})


def test_floats_are_shown_as_java_shows_them() -> None:
    parameters = {"mapRunArn": "m", "toleratedFailurePercentage": 150}
    assert message("UpdateMapRun", parameters) == one(
        "toleratedFailurePercentage", "150.0", "Member must have value less than or equal to 100"
    )


def test_enums_list_their_values() -> None:
    parameters = {"executionArn": EXECUTION, "includedData": "ALL"}
    assert message("DescribeExecution", parameters) == one(
        "includedData", "ALL", "Member must satisfy enum value set: [ALL_DATA, METADATA_ONLY]"
    )


def test_patterns_are_matched_whole() -> None:
    assert message("RedriveExecution", {"executionArn": EXECUTION, "clientToken": "a b"}) == one(
        "clientToken", "a b", "Member must satisfy regular expression pattern: [!-~]+"
    )
    assert message("StartExecution", {"stateMachineArn": MACHINE, "traceHeader": "é"}) == one(
        "traceHeader", "é", r"Member must satisfy regular expression pattern: \p{ASCII}*"
    )
    validate("StartExecution", {"stateMachineArn": MACHINE, "traceHeader": "Root=1-abc"})


def test_a_broken_pattern_comes_before_a_broken_length() -> None:
    text = message("RedriveExecution", {"executionArn": EXECUTION, "clientToken": ""})
    assert text == (
        "2 validation errors detected: Value '' at 'clientToken' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [!-~]+; Value '' at 'clientToken' "
        "failed to satisfy constraint: Member must have length greater than or equal to 1"
    )


def test_alias_names_follow_their_pattern() -> None:
    routing = [{"stateMachineVersionArn": f"{MACHINE}:1", "weight": 100}]
    validate("CreateStateMachineAlias", {"name": "live-1", "routingConfiguration": routing})
    text = message("CreateStateMachineAlias", {"name": "123", "routingConfiguration": routing})
    assert text == one(
        "name",
        "123",
        r"Member must satisfy regular expression pattern: ^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$",
    )


def test_nested_members_are_named_by_their_path() -> None:
    logging = {"destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": ""}}]}
    parameters = {
        "stateMachineArn": MACHINE,
        "loggingConfiguration": logging,
        "encryptionConfiguration": {"kmsDataKeyReusePeriodSeconds": 30},
    }
    assert message("UpdateStateMachine", parameters) == (
        "3 validation errors detected: Value '' at "
        "'loggingConfiguration.destinations.1.member.cloudWatchLogsLogGroup.logGroupArn' "
        "failed to satisfy constraint: Member must have length greater than or equal to 1; "
        "Value '30' at 'encryptionConfiguration.kmsDataKeyReusePeriodSeconds' failed to satisfy "
        "constraint: Member must have value greater than or equal to 60; Value null at "
        "'encryptionConfiguration.type' failed to satisfy constraint: Member must not be null"
    )


def test_a_list_of_scalars_is_judged_whole() -> None:
    assert message("UntagResource", {"resourceArn": MACHINE, "tagKeys": ["ok", ""]}) == one(
        "tagKeys",
        "[ok, ]",
        "Member must satisfy constraint: [Member must have length less than or equal to 128, "
        "Member must have length greater than or equal to 1, Member must not be null]",
    )


def test_a_null_element_of_a_list_of_structures_is_named() -> None:
    assert message("TagResource", {"resourceArn": MACHINE, "tags": [None]}) == one(
        "tags.1.member", None, "Member must not be null"
    )


def test_sensitive_values_are_left_out() -> None:
    parameters = {"taskToken": "t", "error": "e" * 257}
    assert message("SendTaskFailure", parameters) == (
        "1 validation error detected: Value at 'error' failed to satisfy constraint: "
        "Member must have length less than or equal to 256"
    )


# The 256 KiB payloads ----------------------------------------------------------------------

PAYLOAD_TEXT = (
    "1 validation error detected: Value at '{}' failed to satisfy constraint: "
    "Member must have size less than or equal to 262144 bytes in UTF-8 encoding"
)


@pytest.mark.parametrize(
    ("action", "member", "base"),
    [
        ("StartExecution", "input", {"stateMachineArn": MACHINE}),
        ("StartSyncExecution", "input", {"stateMachineArn": MACHINE}),
        ("SendTaskSuccess", "output", {"taskToken": "t"}),
        ("TestState", "input", {"definition": "{}"}),
    ],
)
def test_payloads_are_measured_in_utf8_bytes(
    action: str, member: str, base: dict[str, Any]
) -> None:
    validate(action, {**base, member: '"' + "a" * (LIMIT - 2) + '"'})
    assert message(action, {**base, member: '"' + "a" * (LIMIT - 1) + '"'}) == (
        PAYLOAD_TEXT.format(member)
    )
    # 131,073 characters, 262,146 bytes: under AWS's length in characters, over its size.
    assert message(action, {**base, member: "é" * (LIMIT // 2 + 1)}) == PAYLOAD_TEXT.format(member)


# Types -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (5, "NUMBER_VALUE cannot be converted to String"),
        (5.5, "DECIMAL_VALUE cannot be converted to String"),
        (True, "TRUE_VALUE cannot be converted to String"),
        (False, "FALSE_VALUE cannot be converted to String"),
        (["x"], "Unrecognized collection type class java.lang.String"),
        ({"x": 1}, "Start of structure or map found where not expected"),
    ],
)
def test_a_string_of_another_type(value: Any, text: str) -> None:
    error = refusal("DescribeExecution", {"executionArn": value})
    assert (error.code, error.message, error.status) == ("SerializationException", text, 400)


@pytest.mark.parametrize(
    ("member", "value", "text"),
    [
        ("maxResults", "10", "STRING_VALUE cannot be converted to Integer"),
        ("maxResults", True, "TRUE_VALUE cannot be converted to Integer"),
        ("maxResults", [1], "Unrecognized collection type class java.lang.Integer"),
        ("maxResults", {}, "Start of structure or map found where not expected"),
        (
            "maxResults",
            2**31,
            "Numeric value (2147483648) out of range of int (-2147483648 - 2147483647)",
        ),
        ("reverseOrder", "true", "Unexpected token received from parser"),
        ("reverseOrder", 1, "NUMBER_VALUE cannot be converted to Boolean"),
        ("reverseOrder", 0.5, "DECIMAL_VALUE cannot be converted to Boolean"),
        ("reverseOrder", [], "Unrecognized collection type class java.lang.Boolean"),
    ],
)
def test_numbers_and_booleans_of_another_type(member: str, value: Any, text: str) -> None:
    error = refusal("GetExecutionHistory", {"executionArn": EXECUTION, member: value})
    assert (error.code, error.message) == ("SerializationException", text)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("x", "Unexpected field type"),
        (1, "Unexpected field type"),
        (["x"], "Unrecognized collection type class com.amazonaws.swf.service.v2.model.MockInput"),
    ],
)
def test_a_structure_of_another_type(value: Any, text: str) -> None:
    error = refusal("TestState", {"definition": "{}", "mock": value})
    assert (error.code, error.message) == ("SerializationException", text)


@pytest.mark.parametrize(
    ("value", "text"),
    [("x", "Unexpected field type"), ({}, "Start of structure or map found where not expected")],
)
def test_a_list_of_another_type(value: Any, text: str) -> None:
    error = refusal("TagResource", {"resourceArn": MACHINE, "tags": value})
    assert (error.code, error.message) == ("SerializationException", text)


def test_types_are_checked_before_constraints() -> None:
    error = refusal("StartExecution", {"name": "", "input": 1})
    assert (error.code, error.message) == (
        "SerializationException",
        "NUMBER_VALUE cannot be converted to String",
    )


def test_a_type_error_deep_in_a_list_is_found() -> None:
    routing = [{"stateMachineVersionArn": f"{MACHINE}:1", "weight": "100"}]
    error = refusal("CreateStateMachineAlias", {"name": "a", "routingConfiguration": routing})
    assert error.message == "STRING_VALUE cannot be converted to Integer"


# Normalisation -----------------------------------------------------------------------------


def test_unknown_members_are_ignored_and_left_alone() -> None:
    parameters: dict[str, Any] = {"executionArn": EXECUTION, "surprise": {"x": [1]}}
    validate("DescribeExecution", parameters)
    assert parameters == {"executionArn": EXECUTION, "surprise": {"x": [1]}}


def test_a_misspelt_required_member_reads_as_missing() -> None:
    assert message("DescribeExecution", {"ExecutionArn": EXECUTION}) == one(
        "executionArn", None, "Member must not be null"
    )


def test_null_members_are_no_value() -> None:
    parameters: dict[str, Any] = {"stateMachineArn": MACHINE, "name": None, "input": None}
    validate("StartExecution", parameters)
    assert parameters == {"stateMachineArn": MACHINE}
    assert message("StartExecution", {"stateMachineArn": None}) == one(
        "stateMachineArn", None, "Member must not be null"
    )


def test_a_fraction_is_truncated_where_an_integer_belongs() -> None:
    parameters: dict[str, Any] = {"executionArn": EXECUTION, "maxResults": 10.9}
    validate("GetExecutionHistory", parameters)
    assert parameters["maxResults"] == 10
    assert type(parameters["maxResults"]) is int


def test_an_integer_is_a_float_where_a_float_belongs() -> None:
    parameters: dict[str, Any] = {"mapRunArn": "m", "toleratedFailurePercentage": 5}
    validate("UpdateMapRun", parameters)
    assert type(parameters["toleratedFailurePercentage"]) is float


# Whatever arrives, the engine gets the model's types or nothing ----------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)


def text_of(rule: ShapeRule) -> st.SearchStrategy[str]:
    """Strings that fit the rule, mostly."""
    if rule.enum:
        return st.sampled_from(rule.enum)
    if rule.regex is not None:
        return st.sampled_from([word for word in SAMPLE_WORDS if rule.regex.fullmatch(word)])
    low = int(rule.minimum or 0)
    return st.text(min_size=low, max_size=max(low, min(int(rule.maximum or 12), 12)))


SAMPLE_WORDS = ("a", "Name_1", "x-y.z", "Root=1-abc", "token-42")


def number_of(rule: ShapeRule) -> st.SearchStrategy[Any]:
    low, high = rule.minimum, rule.maximum
    low = -5 if low is None else low
    high = 2000 if high is None else high
    return st.integers(int(low), int(high)) | st.floats(low, high)


def shaped(rule: ShapeRule, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of the rule's type that mostly fit it, or (now and then) any JSON at all."""
    if depth > 4:
        return JSON_VALUES
    kinds: dict[str, st.SearchStrategy[Any]] = {
        "string": text_of(rule),
        "boolean": st.booleans(),
        "integer": number_of(rule),
        "long": number_of(rule),
        "float": number_of(rule),
        "structure": st.fixed_dictionaries(
            {name: shaped(rule.members[name], depth + 1) for name in rule.required},
            optional={
                name: shaped(member, depth + 1)
                for name, member in rule.members.items()
                if name not in rule.required
            },
        ),
    }
    if rule.element is not None and rule.kind == "list":
        kinds["list"] = st.lists(shaped(rule.element, depth + 1), max_size=3)
    typed = kinds.get(rule.kind, JSON_VALUES)
    return st.one_of(typed, typed, typed, typed, typed, JSON_VALUES)


def conforms(value: Any, rule: ShapeRule) -> bool:
    kind = rule.kind
    if kind == "structure":
        return isinstance(value, dict) and all(
            item is not None and (name not in rule.members or conforms(item, rule.members[name]))
            for name, item in value.items()
        )
    if kind == "list":
        element = rule.element
        assert element is not None
        return isinstance(value, list) and all(
            item is not None and conforms(item, element) for item in value
        )
    expected = {
        "string": str,
        "boolean": bool,
        "integer": int,
        "long": int,
        "float": float,
        "double": float,
    }[kind]
    return type(value) is expected


def test_requests_are_refused_or_typed() -> None:
    # Failures are collected rather than raised inside Hypothesis: its report of a failing
    # example imports libcst, whose DeprecationWarning is an error here.
    wrong: list[str] = []

    @settings(
        derandomize=True,
        database=None,
        max_examples=200,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(st.data())
    def check(data: st.DataObject) -> None:
        action = data.draw(st.sampled_from(sorted(OPERATIONS)))
        rule = OPERATIONS[action]
        parameters = data.draw(shaped(rule).filter(lambda value: isinstance(value, dict)))
        sent = repr(parameters)[:300]
        try:
            validate(action, parameters)
        except ApiError as error:
            if error.code not in ("SerializationException", "ValidationException"):
                wrong.append(f"{action} {sent}: {error.code}")
            return
        if not conforms(parameters, rule) or not all(name in parameters for name in rule.required):
            wrong.append(f"{action} {sent} passed as {parameters!r:.300}")

    check()
    assert not wrong, "\n".join(wrong[:10])
