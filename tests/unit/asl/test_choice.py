"""Choice rules in JSONPath mode: each operator, and the executions AWS recorded.

The recorded part reads tests/data/conformance/cases.jsonl and takes every self-contained
execution whose first state is a JSONPath-mode Choice (the choice-operator suites and a few
scenarios). The branch AWS took is read from the recorded history (the state entered after
``ChoiceStateExited``) or, when only the output was recorded, from the one Pass state whose
``Result`` is that output; a recorded failure must come out of the predicates as the same error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stepline.asl.choice import compile_choice_rule, invalid_path_cause, invalid_value_cause
from stepline.asl.errors import RUNTIME, StatesError
from stepline.asl.jsonpath import InvalidPath
from stepline.asl.model import ChoiceRule, ChoiceState, PassState, StateMachine, build_state_machine
from stepline.asl.scope import JSON, Scope

CASES = Path(__file__).parents[2] / "data" / "conformance" / "cases.jsonl"
CHOICE_SUITES = (
    "test_is_operators.py",
    "test_boolean_equals.py",
    "test_string_operators.py",
    "test_numeric.py",
    "test_timestamp_operators.py",
)


def _starts_with_jsonpath_choice(definition: dict[str, Any]) -> bool:
    first = definition.get("States", {}).get(definition.get("StartAt"), {})
    rules = json.dumps(first.get("Choices", []))
    return (
        first.get("Type") == "Choice"
        and definition.get("QueryLanguage", "JSONPath") == "JSONPath"
        and '"Condition"' not in rules
    )


def _load_cases() -> Iterator[dict[str, Any]]:
    with CASES.open(encoding="utf-8") as lines:
        for line in lines:
            case = json.loads(line)
            if (
                case["kind"] in ("execution", "execution_output_only")
                and case["needs"] == []
                and _starts_with_jsonpath_choice(case["definition"])
            ):
                yield case


RECORDED = list(_load_cases())


def _expected_target(case: dict[str, Any], machine: StateMachine) -> str:
    """The state AWS moved to after the Choice, from the history or the recorded output."""
    history = case.get("expected_history")
    if history:
        types = [event["type"] for event in history]
        entered = history[types.index("ChoiceStateExited") + 1]
        return str(entered["stateEnteredEventDetails"]["name"])
    output = case["expected"]["output"]
    targets = [
        name
        for name, state in machine.states.items()
        if isinstance(state, PassState) and state.result is not None
        if state.result.value == output
    ]
    assert len(targets) == 1, targets
    return targets[0]


def _choose(state: ChoiceState, scope: Scope) -> str | None:
    for rule in state.choices:
        if compile_choice_rule(rule)(scope):
            return rule.next
    return state.default


def test_every_recorded_choice_suite_case_is_checked() -> None:
    suites = [
        case for case in RECORDED if any(f"/{name}::" in case["id"] for name in CHOICE_SUITES)
    ]
    assert len(suites) == 321
    assert len(RECORDED) > len(suites)


@pytest.mark.parametrize("case", RECORDED, ids=[case["id"].split("::")[-1] for case in RECORDED])
def test_choice_takes_the_branch_aws_took(case: dict[str, Any]) -> None:
    machine = build_state_machine(case["definition"])
    state = machine.states[machine.start_at]
    assert isinstance(state, ChoiceState)
    data = json.loads(case["input_raw"]) if case["input_given"] else {}
    scope = Scope(data, {"Execution": {"Input": data}}, {})
    expected = case["expected"]
    if expected["status"] == "FAILED":
        with pytest.raises(StatesError) as failure:
            _choose(state, scope)
        assert failure.value.error == expected["error"]
        assert expected["cause"].endswith(failure.value.cause)
    else:
        assert _choose(state, scope) == _expected_target(case, machine)


# ---------------------------------------------------------------------------------------------
# Each operator on its own.


def _rule(body: dict[str, Any]) -> ChoiceRule:
    definition = {
        "StartAt": "Check",
        "States": {
            "Check": {"Type": "Choice", "Choices": [{**body, "Next": "Done"}], "Default": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }
    state = build_state_machine(definition).states["Check"]
    assert isinstance(state, ChoiceState)
    return state.choices[0]


def _evaluate(body: dict[str, Any], data: JSON, variables: dict[str, JSON] | None = None) -> bool:
    scope = Scope(data, {"Execution": {"Name": "run-1"}}, variables or {})
    return compile_choice_rule(_rule(body))(scope)


def _compare(operator: str, value: JSON, operand: JSON) -> bool:
    """``value <operator> operand`` with a literal operand, and again through the Path form."""
    literal = _evaluate({"Variable": "$.v", operator: operand}, {"v": value})
    if operator != "StringMatches":
        by_path = _evaluate(
            {"Variable": "$.v", f"{operator}Path": "$.o"}, {"v": value, "o": operand}
        )
        assert by_path == literal
    return literal


@pytest.mark.parametrize(
    ("operator", "value", "operand", "expected"),
    [
        ("NumericEquals", 1, 1, True),
        ("NumericEquals", 1, 1.0, True),
        ("NumericEquals", 0.1 + 0.2, 0.3, False),
        ("NumericEquals", True, 1, False),
        ("NumericEquals", "1", 1, False),
        ("NumericEquals", None, 0, False),
        ("NumericLessThan", -1, 0, True),
        ("NumericLessThan", 0, 0, False),
        ("NumericLessThan", False, 1, False),
        ("NumericLessThan", [0], 1, False),
        ("NumericGreaterThan", 2.5, 2, True),
        ("NumericGreaterThan", 2, 2, False),
        ("NumericLessThanEquals", 2, 2.0, True),
        ("NumericLessThanEquals", 3, 2, False),
        ("NumericGreaterThanEquals", 2, 2, True),
        ("NumericGreaterThanEquals", 1, 2, False),
        ("NumericGreaterThan", 2**64, 2**63, True),
        ("StringEquals", "a", "a", True),
        ("StringEquals", "a", "A", False),
        ("StringEquals", 1, "1", False),
        ("StringEquals", None, "null", False),
        ("StringLessThan", "a", "b", True),
        ("StringLessThan", "B", "a", True),
        ("StringLessThan", "ab", "a", False),
        ("StringGreaterThan", "b", "a", True),
        ("StringGreaterThan", 2, "1", False),
        ("StringLessThanEquals", "a", "a", True),
        ("StringGreaterThanEquals", "a", "b", False),
        # Java compares UTF-16 code units: U+1F600 (surrogates D83D DE00) sorts below U+FFFD.
        ("StringLessThan", "\U0001f600", "\ufffd", True),
        ("StringGreaterThan", "\ufffd", "\U0001f600", True),
        ("StringLessThan", "é", "z", False),
        ("BooleanEquals", True, True, True),
        ("BooleanEquals", False, False, True),
        ("BooleanEquals", False, True, False),
        ("BooleanEquals", 1, True, False),
        ("BooleanEquals", 0, False, False),
        ("BooleanEquals", "true", True, False),
        ("TimestampEquals", "2012-10-09T19:00:55Z", "2012-10-09T19:00:55Z", True),
        ("TimestampEquals", "2012-10-09T20:00:55+01:00", "2012-10-09T19:00:55Z", True),
        ("TimestampEquals", "2012-10-09T19:00:55.000Z", "2012-10-09T19:00:55Z", True),
        ("TimestampEquals", "2012-10-09T19:00:55", "2012-10-09T19:00:55Z", False),
        ("TimestampEquals", 0, "2012-10-09T19:00:55Z", False),
        ("TimestampLessThan", "2012-10-09T19:00:55Z", "2012-10-09T19:00:55.000000001Z", True),
        ("TimestampLessThan", "2012-10-09T19:00:55+01:00", "2012-10-09T18:30:00Z", True),
        ("TimestampGreaterThan", "2012-10-09T19:00:56Z", "2012-10-09T19:00:55Z", True),
        ("TimestampGreaterThan", "2012-10-09 19:00:56Z", "2012-10-09T19:00:55Z", False),
        ("TimestampLessThanEquals", "2012-10-09T19:00:55Z", "2012-10-09T19:00:55Z", True),
        ("TimestampGreaterThanEquals", "2012-10-09T19:00:54Z", "2012-10-09T19:00:55Z", False),
        ("StringMatches", "log-2024.txt", "log-*.txt", True),
        ("StringMatches", "log-.txt", "log-*.txt", True),
        ("StringMatches", "log-2024.txt.gz", "log-*.txt", False),
        ("StringMatches", "foobar.zebra", "foo*.*", True),
        ("StringMatches", "anything\nat all", "*", True),
        ("StringMatches", "", "*", True),
        ("StringMatches", "a*b", "a\\*b", True),
        ("StringMatches", "axb", "a\\*b", False),
        ("StringMatches", "a\\b", "a\\\\b", True),
        ("StringMatches", "a\\nb", "a\\nb", True),
        ("StringMatches", "end\\", "end\\", True),
        ("StringMatches", "a.b", "a.b", True),
        ("StringMatches", "axb", "a.b", False),
        ("StringMatches", "(x)[y]+", "(x)[y]+", True),
        ("StringMatches", 12, "*", False),
        ("StringMatches", None, "*", False),
    ],
)
def test_comparison(operator: str, value: JSON, operand: JSON, expected: bool) -> None:
    assert _compare(operator, value, operand) is expected


TYPE_SAMPLES: list[tuple[JSON, str]] = [
    (None, "IsNull"),
    (0, "IsNumeric"),
    (1.5, "IsNumeric"),
    ("", "IsString"),
    ("2012-10-09T19:00:55", "IsString"),
    (True, "IsBoolean"),
    (False, "IsBoolean"),
    ([], ""),
    ({}, ""),
]


@pytest.mark.parametrize(("value", "kind"), TYPE_SAMPLES)
@pytest.mark.parametrize("operator", ["IsNull", "IsNumeric", "IsString", "IsBoolean"])
def test_type_tests(value: JSON, kind: str, operator: str) -> None:
    assert _evaluate({"Variable": "$.v", operator: True}, {"v": value}) is (operator == kind)
    assert _evaluate({"Variable": "$.v", operator: False}, {"v": value}) is (operator != kind)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2012-10-09T19:00:55Z", True),
        ("2012-10-09T19:00:55+01:00", True),
        ("2012-10-09T19:00:55.123456789-05:30", True),
        ("2012-10-09T19:00:55", False),
        ("2012-10-09t19:00:55Z", False),
        ("2023-02-24", False),
        ("2023-02-24 12:15:56.832957", False),
        (1349809255, False),
        (None, False),
    ],
)
def test_is_timestamp(value: JSON, expected: bool) -> None:
    assert _evaluate({"Variable": "$.v", "IsTimestamp": True}, {"v": value}) is expected
    assert _evaluate({"Variable": "$.v", "IsTimestamp": False}, {"v": value}) is not expected


@pytest.mark.parametrize(
    ("variable", "data", "variables", "present"),
    [
        ("$.v", {"v": None}, {}, True),
        ("$.v", {"w": 1}, {}, False),
        ("$.v.w", {"v": "text"}, {}, False),
        ("$", "anything", {}, True),
        ("$$.Execution.Name", {}, {}, True),
        ("$$.Execution.Missing", {}, {}, False),
        ("$count", {}, {"count": 0}, True),
        ("$count", {}, {}, False),
    ],
)
def test_is_present(variable: str, data: JSON, variables: dict[str, JSON], present: bool) -> None:
    assert _evaluate({"Variable": variable, "IsPresent": True}, data, variables) is present
    assert _evaluate({"Variable": variable, "IsPresent": False}, data, variables) is not present


def test_paths_read_the_context_object_and_variables() -> None:
    rule = {"Variable": "$$.Execution.Name", "StringEqualsPath": "$expected"}
    assert _evaluate(rule, {}, {"expected": "run-1"})
    assert not _evaluate(rule, {}, {"expected": "run-2"})
    assert _evaluate(
        {"Variable": "$limit.max", "NumericGreaterThanPath": "$.n"}, {"n": 1}, {"limit": {"max": 2}}
    )


@pytest.mark.parametrize(
    "rule",
    [
        {"Variable": "$.missing", "NumericLessThan": 1},
        {"Variable": "$.missing", "StringEquals": "x"},
        {"Variable": "$.missing", "StringEqualsPath": "$.v"},
        {"Variable": "$.missing", "BooleanEquals": True},
        {"Variable": "$.missing", "TimestampEquals": "2012-10-09T19:00:55Z"},
        {"Variable": "$.missing", "StringMatches": "*"},
        {"Variable": "$.missing", "IsNull": False},
        {"Variable": "$.missing", "IsTimestamp": False},
        {"Variable": "$missing", "NumericEquals": 0},
    ],
)
def test_a_variable_that_names_nothing_fails_with_states_runtime(rule: dict[str, Any]) -> None:
    with pytest.raises(StatesError) as failure:
        _evaluate(rule, {"v": "x"})
    assert failure.value.error == RUNTIME
    assert failure.value.cause == (
        f"Invalid path '{rule['Variable']}': "
        "The choice state's condition path references an invalid value."
    )


@pytest.mark.parametrize(
    "operator",
    ["NumericEqualsPath", "StringLessThanPath", "BooleanEqualsPath", "TimestampEqualsPath"],
)
def test_an_operand_path_that_names_nothing_fails_with_states_runtime(operator: str) -> None:
    with pytest.raises(StatesError) as failure:
        _evaluate({"Variable": "$.v", operator: "$.missing"}, {"v": 1})
    assert failure.value.error == RUNTIME
    assert failure.value.cause == invalid_path_cause("$.missing")


@pytest.mark.parametrize(
    ("operator", "value", "operand"),
    [
        ("NumericEqualsPath", 1, "1"),
        ("StringEqualsPath", 1, 1),
        ("StringEqualsPath", "1", 1),
        ("BooleanEqualsPath", True, 1),
        ("TimestampEqualsPath", "2012-10-09T19:00:55Z", "yesterday"),
        ("StringGreaterThanPath", 1, "0"),
    ],
)
def test_an_equality_operand_or_a_variable_of_the_wrong_type_does_not_match(
    operator: str, value: JSON, operand: JSON
) -> None:
    assert not _evaluate({"Variable": "$.v", operator: "$.o"}, {"v": value, "o": operand})


@pytest.mark.parametrize(
    ("operator", "operand"),
    [
        ("StringGreaterThanPath", 2),
        ("StringLessThanEqualsPath", None),
        ("NumericLessThanPath", "1"),
        ("NumericGreaterThanEqualsPath", True),
        ("TimestampLessThanPath", "2012-10-09"),
        ("TimestampGreaterThanPath", 0),
    ],
)
def test_an_ordering_operand_of_the_wrong_type_fails_with_states_runtime(
    operator: str, operand: JSON
) -> None:
    for value in (1, "1", "2012-10-09T19:00:55Z"):
        with pytest.raises(StatesError) as failure:
            _evaluate({"Variable": "$.v", operator: "$.o"}, {"v": value, "o": operand})
        assert failure.value.error == RUNTIME
        assert failure.value.cause == invalid_value_cause("$.o")


def test_and_or_not_combine_rules_and_short_circuit() -> None:
    small = {"Variable": "$.n", "NumericLessThan": 10}
    missing = {"Variable": "$.missing", "NumericLessThan": 10}
    assert _evaluate({"And": [small, {"Variable": "$.n", "NumericGreaterThan": 0}]}, {"n": 5})
    assert not _evaluate({"And": [small, {"Variable": "$.n", "NumericGreaterThan": 5}]}, {"n": 5})
    assert not _evaluate({"And": [{"Not": small}, missing]}, {"n": 5})
    assert _evaluate({"Or": [small, missing]}, {"n": 5})
    assert _evaluate({"Or": [{"Not": small}, small]}, {"n": 5})
    assert not _evaluate({"Or": [{"Not": small}, {"Not": small}]}, {"n": 5})
    assert _evaluate({"Not": {"Not": small}}, {"n": 5})
    with pytest.raises(StatesError):
        _evaluate({"Or": [{"Not": small}, missing]}, {"n": 5})


def test_a_compiled_rule_keeps_no_state_between_evaluations() -> None:
    predicate = compile_choice_rule(_rule({"Variable": "$.n", "NumericLessThan": 3}))
    results = [predicate(Scope({"n": n}, {}, {})) for n in range(6)]
    assert results == [True, True, True, False, False, False]


@pytest.mark.parametrize(
    "rule",
    [
        ChoiceRule(condition="{% true %}"),
        ChoiceRule(variable="$.v"),
        ChoiceRule(comparison="NumericEquals", value=1),
        ChoiceRule(variable="$.v", comparison="NumericEquals", value="1"),
        ChoiceRule(variable="$.v", comparison="NumericEquals", value=True),
        ChoiceRule(variable="$.v", comparison="StringEquals", value=1),
        ChoiceRule(variable="$.v", comparison="TimestampEquals", value="2012-10-09"),
        ChoiceRule(variable="$.v", comparison="BooleanEquals", value=1),
        ChoiceRule(variable="$.v", comparison="IsNull", value="true"),
        ChoiceRule(variable="$.v", comparison="IsPresent", value=1),
        ChoiceRule(variable="$.v", comparison="StringMatches", value=1),
        ChoiceRule(variable="$.v", comparison="StringEqualsPath", value=1),
        ChoiceRule(variable="$.v", comparison="BooleanLessThan", value=True),
        ChoiceRule(variable="$.v", comparison="StringMatchesPath", value="$.o"),
        ChoiceRule(variable="$.v", comparison="Equals", value=1),
        ChoiceRule(variable="$.v", comparison="StringEqualsPath", value="not a path"),
        ChoiceRule(variable="v", comparison="StringEquals", value="x"),
        ChoiceRule(not_=ChoiceRule(variable="$.v", comparison="Unknown", value=1)),
    ],
)
def test_rules_validation_should_have_rejected_fail_to_compile(rule: ChoiceRule) -> None:
    with pytest.raises((ValueError, InvalidPath)):
        compile_choice_rule(rule)
