"""Choice states: rules, their operators and operands, and JSONata ``Condition``s."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stepline.asl.validation.expressions import (
    check_assign,
    check_jsonata_string,
    check_jsonata_template,
    check_path_field,
    jsonata_body,
)
from stepline.asl.validation.fields import check_timestamp, is_number
from stepline.asl.validation.report import Report, child, index

_TIMESTAMP_CHECK = "timestamp"
OPERATORS: dict[str, str] = {
    **{f"String{op}": "string" for op in ("Equals", "LessThan", "GreaterThan")},
    **{f"String{op}": "string" for op in ("LessThanEquals", "GreaterThanEquals", "Matches")},
    **{
        f"Numeric{op}": "number"
        for op in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
    },
    **{
        f"Timestamp{op}": _TIMESTAMP_CHECK
        for op in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
    },
    "BooleanEquals": "boolean",
    **{f"Is{kind}": "boolean" for kind in ("Null", "Present", "Numeric", "String", "Boolean")},
    "IsTimestamp": "boolean",
}
OPERATORS.update(
    {
        f"{name}Path": "path"
        for name in list(OPERATORS)
        if not name.startswith("Is") and name != "StringMatches"
    }
)
_COMBINATORS = ("And", "Or", "Not")
_TOP_ONLY = frozenset({"Next", "Assign"})
_JSONATA_RULE = frozenset({"Condition", "Next", "Comment", "Assign", "Output"})


def check_choice(report: Report, location: str, body: Mapping[str, Any], language: str) -> None:
    if "Default" in body and not isinstance(body["Default"], str):
        report.wrong_type(child(location, "Default"), "Default", "a string", body["Default"])
    if "Choices" not in body:
        report.required(location, ["Choices"])
        return
    rules = body["Choices"]
    where = child(location, "Choices")
    if not isinstance(rules, list):
        report.wrong_type(where, "Choices", "an array", rules)
        return
    if not rules:
        report.empty(where)
    for position, rule in enumerate(rules):
        rule_location = index(where, position)
        if language == "JSONata":
            _check_jsonata_rule(report, rule_location, rule)
        else:
            _check_rule(report, rule_location, rule, top_level=True)


def _check_jsonata_rule(report: Report, location: str, rule: object) -> None:
    if not isinstance(rule, dict):
        report.wrong_type(location, "Choices", "an object", rule)
        return
    for name in rule:
        if name not in _JSONATA_RULE:
            report.unsupported(location, name)
    missing = [name for name in ("Condition", "Next") if name not in rule]
    if missing:
        report.required(location, missing)
    condition = rule.get("Condition")
    if "Condition" in rule and not isinstance(condition, bool) and jsonata_body(condition) is None:
        report.wrong_type(
            child(location, "Condition"), "Condition", "a JSONata expression", condition
        )
    check_jsonata_string(report, child(location, "Condition"), condition)
    _check_rule_extras(report, location, rule, "JSONata")


def _check_rule_extras(
    report: Report, location: str, rule: Mapping[str, Any], language: str
) -> None:
    if "Next" in rule and not isinstance(rule["Next"], str):
        report.wrong_type(child(location, "Next"), "Next", "a string", rule["Next"])
    if "Comment" in rule and not isinstance(rule["Comment"], str):
        report.wrong_type(child(location, "Comment"), "Comment", "a string", rule["Comment"])
    if "Assign" in rule:
        check_assign(report, location, rule["Assign"], language)
    if "Output" in rule:
        check_jsonata_template(report, child(location, "Output"), rule["Output"])


def _check_rule(report: Report, location: str, rule: object, *, top_level: bool) -> None:
    """A JSONPath rule: exactly one operator with Variable, or one of And, Or and Not."""
    if not isinstance(rule, dict):
        report.wrong_type(location, "Choices", "an object", rule)
        return
    known = set(OPERATORS) | set(_COMBINATORS) | {"Variable", "Comment"}
    known |= _TOP_ONLY if top_level else set()
    for name in rule:
        if name not in known:
            report.unsupported(location, name)
    if top_level and "Next" not in rule:
        report.required(location, ["Next"])
    operators = [name for name in rule if name in OPERATORS or name in _COMBINATORS]
    if len(operators) != 1:
        report.add(location, "Each Choice Rule must have exactly one comparison operator")
    for name in operators:
        _check_operand(report, location, rule, name)
    has_comparison = any(name in OPERATORS for name in operators)
    if has_comparison and "Variable" not in rule:
        report.required(location, ["Variable"])
    if "Variable" in rule:
        check_path_field(report, child(location, "Variable"), "Variable", rule["Variable"])
    _check_rule_extras(report, location, rule, "JSONPath")


def _check_operand(report: Report, location: str, rule: Mapping[str, Any], name: str) -> None:
    value = rule[name]
    where = child(location, name)
    if name in _COMBINATORS:
        _check_combination(report, where, name, value)
        return
    kind = OPERATORS[name]
    if kind == "path":
        check_path_field(report, where, name, value)
    elif kind == "number" and not is_number(value):
        report.wrong_type(where, name, "a number", value)
    elif kind == "boolean" and not isinstance(value, bool):
        report.wrong_type(where, name, "a boolean", value)
    elif kind in ("string", _TIMESTAMP_CHECK) and not isinstance(value, str):
        report.wrong_type(where, name, "a string", value)
    elif kind == _TIMESTAMP_CHECK:
        check_timestamp(report, where, value, "JSONPath")


def _check_combination(report: Report, location: str, name: str, value: object) -> None:
    if name == "Not":
        _check_rule(report, location, value, top_level=False)
        return
    if not isinstance(value, list):
        report.wrong_type(location, name, "an array", value)
        return
    if not value:
        report.empty(location)
    for position, rule in enumerate(value):
        _check_rule(report, index(location, position), rule, top_level=False)
