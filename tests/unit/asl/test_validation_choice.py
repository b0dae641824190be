"""Validation of Choice states: JSONPath rules and their operands, JSONata conditions."""

from __future__ import annotations

from typing import Any

import pytest

from stepline.asl.definitions import validate_definition

SCHEMA = "SCHEMA_VALIDATION_FAILED"
JSONATA_CODE = "INVALID_JSONATA_EXPRESSION"
PARSE_ERROR = "Invalid JSONata expression: S0203: Expected \")\" before end of expression (in '(')"
RULES = "/States/C/Choices"
ONE_OPERATOR = "Each Choice Rule must have exactly one comparison operator"


def _found(choice: dict[str, Any], language: str | None = None) -> list[tuple[str, str, str]]:
    document: dict[str, Any] = {
        "StartAt": "C",
        "States": {"C": {"Type": "Choice", "Default": "T", **choice}, "T": {"Type": "Succeed"}},
    }
    if language is not None:
        document["QueryLanguage"] = language
    return [(found.code, found.location, found.message) for found in validate_definition(document)]


def _rules(*rules: object, language: str | None = None) -> list[tuple[str, str, str]]:
    return _found({"Choices": list(rules)}, language)


def test_choices_are_required() -> None:
    assert _found({}) == [(SCHEMA, "/States/C", "These fields are required: [Choices]")]


def test_choices_must_be_a_non_empty_array_and_default_a_string() -> None:
    assert _found({"Choices": {}, "Default": 3}) == [
        (
            SCHEMA,
            "/States/C/Default",
            "The value of the field 'Default' must be a string, not number",
        ),
        (SCHEMA, RULES, "The value of the field 'Choices' must be an array, not object"),
        # With no usable Default, nothing references T.
        ("MISSING_TRANSITION_TARGET", "/States/T", 'State "T" is not reachable.'),
    ]
    assert _rules() == [(SCHEMA, RULES, "Value cannot be empty")]


def test_a_valid_rule_of_each_kind_is_accepted() -> None:
    assert (
        _rules(
            {"Variable": "$.s", "StringEquals": "a", "Next": "T"},
            {"Variable": "$.s", "StringMatches": "a*", "Next": "T"},
            {"Variable": "$.n", "NumericGreaterThanEquals": 1.5, "Next": "T"},
            {"Variable": "$.n", "NumericLessThanPath": "$.m", "Next": "T"},
            {"Variable": "$.b", "BooleanEquals": False, "Next": "T"},
            {"Variable": "$.t", "TimestampEquals": "2020-01-01T00:00:00Z", "Next": "T"},
            {"Variable": "$.x", "IsPresent": True, "Next": "T", "Comment": "c"},
            {"Not": {"Variable": "$.x", "IsNull": True}, "Next": "T"},
            {"And": [{"Variable": "$.x", "IsString": True}], "Next": "T", "Assign": {"a": 1}},
        )
        == []
    )


def test_every_rule_problem_is_reported_at_once() -> None:
    rule = {"Variable": "$.x", "StringEquals": "a", "NumericEquals": 1, "Next": "T", "Foo": 1}
    assert _rules(3, {"Variable": "$.x"}, rule) == [
        (SCHEMA, f"{RULES}[0]", "The value of the field 'Choices' must be an object, not number"),
        (SCHEMA, f"{RULES}[1]", "These fields are required: [Next]"),
        (SCHEMA, f"{RULES}[1]", ONE_OPERATOR),
        (SCHEMA, f"{RULES}[2]", "Field 'Foo' is not supported"),
        (SCHEMA, f"{RULES}[2]", ONE_OPERATOR),
    ]


def test_a_comparison_needs_a_variable() -> None:
    assert _rules({"StringEquals": "a", "Next": "T"}) == [
        (SCHEMA, f"{RULES}[0]", "These fields are required: [Variable]")
    ]


def test_operands_have_the_operator_s_type() -> None:
    rule = {
        "Variable": "x",
        "StringEqualsPath": "y",
        "NumericEquals": "1",
        "BooleanEquals": 1,
        "StringEquals": 1,
        "TimestampEquals": "z",
        "TimestampLessThan": 5,
        "Next": "T",
    }
    where = f"{RULES}[0]"
    assert _rules(rule) == [
        (SCHEMA, where, ONE_OPERATOR),
        (
            SCHEMA,
            f"{where}/StringEqualsPath",
            "The value for the field 'StringEqualsPath' must be a valid JSONPath",
        ),
        (
            SCHEMA,
            f"{where}/NumericEquals",
            "The value of the field 'NumericEquals' must be a number, not string",
        ),
        (
            SCHEMA,
            f"{where}/BooleanEquals",
            "The value of the field 'BooleanEquals' must be a boolean, not number",
        ),
        (
            SCHEMA,
            f"{where}/StringEquals",
            "The value of the field 'StringEquals' must be a string, not number",
        ),
        (SCHEMA, f"{where}/TimestampEquals", "String does not match RFC3339 timestamp"),
        (
            SCHEMA,
            f"{where}/TimestampLessThan",
            "The value of the field 'TimestampLessThan' must be a string, not number",
        ),
        (
            SCHEMA,
            f"{where}/Variable",
            "The value for the field 'Variable' must be a valid JSONPath",
        ),
    ]


@pytest.mark.parametrize("operator", ["StringMatchesPath", "IsNullPath"])
def test_operators_without_a_path_form_are_unknown(operator: str) -> None:
    assert _rules({"Variable": "$.x", operator: "$.y", "Next": "T"}) == [
        (SCHEMA, f"{RULES}[0]", f"Field '{operator}' is not supported"),
        (SCHEMA, f"{RULES}[0]", ONE_OPERATOR),
    ]


def test_nested_rules_take_no_next() -> None:
    assert _rules({"Not": {"Variable": "$.x", "IsNull": True, "Next": "T"}, "Next": "T"}) == [
        (SCHEMA, f"{RULES}[0]/Not", "Field 'Next' is not supported")
    ]


def test_and_or_take_a_non_empty_array_of_rules() -> None:
    assert _rules(
        {"And": {}, "Next": "T"},
        {"Or": [], "Next": "T"},
        {"And": [{"Variable": "$.x", "IsNull": True}, 2], "Next": "T"},
    ) == [
        (SCHEMA, f"{RULES}[0]/And", "The value of the field 'And' must be an array, not object"),
        (SCHEMA, f"{RULES}[1]/Or", "Value cannot be empty"),
        (
            SCHEMA,
            f"{RULES}[2]/And[1]",
            "The value of the field 'Choices' must be an object, not number",
        ),
    ]


def test_rule_extras_have_types() -> None:
    rule = {"Variable": "$.x", "IsNull": True, "Next": 3, "Comment": 4, "Assign": []}
    assert _rules(rule) == [
        (SCHEMA, f"{RULES}[0]/Next", "The value of the field 'Next' must be a string, not number"),
        (
            SCHEMA,
            f"{RULES}[0]/Comment",
            "The value of the field 'Comment' must be a string, not number",
        ),
        (
            SCHEMA,
            f"{RULES}[0]/Assign",
            "The value of the field 'Assign' must be an object, not array",
        ),
    ]


def test_jsonpath_rules_take_no_output() -> None:
    assert _rules({"Variable": "$.x", "IsNull": True, "Next": "T", "Output": {}}) == [
        (SCHEMA, f"{RULES}[0]", "Field 'Output' is not supported")
    ]


def test_jsonata_rules_are_conditions() -> None:
    valid = [
        {"Condition": True, "Next": "T", "Comment": "c"},
        {"Condition": "{% $x > 1 %}", "Next": "T", "Output": {"a": "{% $x %}"}, "Assign": {"b": 1}},
    ]
    assert _rules(*valid, language="JSONata") == []


def test_jsonata_rule_problems_are_all_reported() -> None:
    broken = {
        "Condition": "{% ( %}",
        "Next": "T",
        "Output": {"a": "{% ( %}"},
        "Assign": {"b": "{% ( %}"},
    }
    assert _rules(3, {"Foo": 1, "Condition": 3}, broken, language="JSONata") == [
        (SCHEMA, f"{RULES}[0]", "The value of the field 'Choices' must be an object, not number"),
        (SCHEMA, f"{RULES}[1]", "Field 'Foo' is not supported"),
        (SCHEMA, f"{RULES}[1]", "These fields are required: [Next]"),
        (
            SCHEMA,
            f"{RULES}[1]/Condition",
            "The value of the field 'Condition' must be a JSONata expression, not number",
        ),
        (JSONATA_CODE, f"{RULES}[2]/Condition", PARSE_ERROR),
        (JSONATA_CODE, f"{RULES}[2]/Assign/b", PARSE_ERROR),
        (JSONATA_CODE, f"{RULES}[2]/Output/a", PARSE_ERROR),
    ]


def test_jsonata_rules_need_a_condition() -> None:
    assert _rules({"Variable": "$.x", "IsNull": True, "Next": "T"}, language="JSONata") == [
        (SCHEMA, f"{RULES}[0]", "Field 'Variable' is not supported"),
        (SCHEMA, f"{RULES}[0]", "Field 'IsNull' is not supported"),
        (SCHEMA, f"{RULES}[0]", "These fields are required: [Condition]"),
    ]
