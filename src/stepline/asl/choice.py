"""Choice rules in JSONPath mode, compiled once into predicates over a ``Scope``.

``compile_choice_rule`` turns a ``ChoiceRule`` into ``predicate(scope) -> bool``. The operator,
the paths and any literal operand are resolved at compile time, so evaluating a rule is a path
walk, a type test and one comparison.

What AWS does, and these predicates reproduce:

* A value of the wrong type never matches: ``StringEquals`` on a number, ``NumericEquals`` on a
  string, ``BooleanEquals`` on ``0`` and ``Timestamp*`` on a string that is no timestamp are all
  false, not errors. Booleans are not numbers (``true`` is not ``1``); ``0`` equals ``0.0``.
* A ``Variable`` path that names nothing fails the execution with ``States.Runtime``, except for
  ``IsPresent``, which exists to ask exactly that. The same holds for the operand path of a
  ``...Path`` operator.
* An ordering operator (``LessThan``, ``GreaterThanEquals``...) whose operand path names a value
  of the wrong type fails with ``States.Runtime``; an ``...EqualsPath`` operator simply does not
  match.
* Strings order as Java's ``String.compareTo`` does (by UTF-16 code unit), timestamps by the
  instant they name (offsets included), numbers by value.

The ``States.Runtime`` causes here are the part AWS writes after its prefix ``An error occurred
while executing the state '<name>' (entered at the event id #<id>). ``; the runtime adds that
prefix because only it knows the state and the event.

Rules that validation should have rejected (an unknown operator, a literal operand of the wrong
type, a malformed path) raise ``ValueError`` at compile time.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

from stepline.asl.errors import StatesRuntime
from stepline.asl.jsonpath import PathNotFound, compile_path
from stepline.asl.model import ChoiceRule
from stepline.asl.scope import JSON, Scope
from stepline.asl.timestamps import (
    is_timestamp,
    timestamp_or_none,
)

Predicate = Callable[[Scope], bool]
Reader = Callable[[Scope], JSON]
Accept = Callable[[JSON], Any]
"""Maps a JSON value to the form an operator compares, or None when it has the wrong type."""

_COMPARATORS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}
_TYPE_TESTS: dict[str, Callable[[JSON], bool]] = {
    "IsNull": lambda value: value is None,
    "IsNumeric": lambda value: type(value) is int or type(value) is float,
    "IsString": lambda value: type(value) is str,
    "IsBoolean": lambda value: type(value) is bool,
    "IsTimestamp": is_timestamp,
}
_WILDCARD_TOKEN = re.compile(r"\\[*\\]|\*|[^*\\]+|\\")


def compile_choice_rule(rule: ChoiceRule) -> Predicate:
    """Compile a JSONPath-mode Choice rule (comparison, And, Or or Not) into a predicate."""
    if rule.condition is not None:
        raise ValueError("a JSONata Condition is not a JSONPath Choice rule")
    if rule.and_ is not None:
        return _compile_and(tuple(compile_choice_rule(inner) for inner in rule.and_))
    if rule.or_ is not None:
        return _compile_or(tuple(compile_choice_rule(inner) for inner in rule.or_))
    if rule.not_ is not None:
        return _compile_not(compile_choice_rule(rule.not_))
    if rule.variable is None or rule.comparison is None:
        raise ValueError("a Choice rule needs Variable and a comparison, or And, Or, Not")
    return _compile_comparison(rule.variable, rule.comparison, rule.value)


def invalid_path_cause(path: str) -> str:
    """The cause AWS gives when a Choice rule's path names nothing."""
    return f"Invalid path '{path}': The choice state's condition path references an invalid value."


def invalid_value_cause(path: str) -> str:
    """The cause AWS gives when an ordering operator's operand path has the wrong type."""
    return f"Invalid value provided at path '{path}'"


def _compile_and(predicates: tuple[Predicate, ...]) -> Predicate:
    # Short-circuits like AWS: a later rule's missing path is not an error once one is false.
    return lambda scope: all(predicate(scope) for predicate in predicates)


def _compile_or(predicates: tuple[Predicate, ...]) -> Predicate:
    return lambda scope: any(predicate(scope) for predicate in predicates)


def _compile_not(predicate: Predicate) -> Predicate:
    return lambda scope: not predicate(scope)


def _compile_comparison(variable: str, comparison: str, operand: JSON) -> Predicate:
    if comparison == "IsPresent":
        return _compile_is_present(variable, _boolean_operand(comparison, operand))
    read = _compile_reader(variable)
    type_test = _TYPE_TESTS.get(comparison)
    if type_test is not None:
        return _compile_type_test(read, type_test, _boolean_operand(comparison, operand))
    if comparison == "StringMatches":
        return _compile_string_matches(read, _wildcard_pattern(operand))
    kind, comparator, uses_path = _split_comparison(comparison)
    accept = _accept_for(kind, comparator)
    if uses_path:
        if not isinstance(operand, str):
            raise ValueError(f"{comparison} needs a path, got {operand!r}")
        return _compile_path_comparison(read, accept, comparator, operand)
    literal = accept(operand)
    if literal is None:
        raise ValueError(f"{comparison} cannot compare with {operand!r}")
    if kind == "Numeric":
        return _compile_numeric(variable, _COMPARATORS[comparator], literal)
    return _compile_literal_comparison(read, accept, _COMPARATORS[comparator], literal)


def _split_comparison(comparison: str) -> tuple[str, str, bool]:
    """Split ``NumericLessThanPath`` into ``("Numeric", "LessThan", True)``."""
    uses_path = comparison.endswith("Path")
    name = comparison.removesuffix("Path")
    for kind in ("String", "Numeric", "Timestamp", "Boolean"):
        comparator = name.removeprefix(kind)
        if comparator != name and comparator in _COMPARATORS:
            if kind == "Boolean" and comparator != "Equals":
                break
            return kind, comparator, uses_path
    raise ValueError(f"unknown Choice comparison operator {comparison!r}")


def _accept_for(kind: str, comparator: str) -> Accept:
    if kind == "Numeric":
        return _accept_number
    if kind == "Boolean":
        return _accept_boolean
    if kind == "Timestamp":
        return timestamp_or_none
    return _accept_string if comparator == "Equals" else _accept_string_for_ordering


def _accept_number(value: JSON) -> Any:
    return value if type(value) is int or type(value) is float else None


def _accept_boolean(value: JSON) -> Any:
    return value if type(value) is bool else None


def _accept_string(value: JSON) -> Any:
    return value if type(value) is str else None


def _accept_string_for_ordering(value: JSON) -> Any:
    # Java orders strings by UTF-16 code unit; Python by code point. They differ only when a
    # character beyond U+FFFF meets one in U+E000..U+FFFF, so order the UTF-16 encodings.
    if type(value) is not str:
        return None
    return value.encode("utf-16-be", "surrogatepass")


def _boolean_operand(comparison: str, operand: JSON) -> bool:
    if type(operand) is not bool:
        raise ValueError(f"{comparison} needs true or false, got {operand!r}")
    return operand


def _compile_reader(path: str) -> Reader:
    """A reader for a path that turns "names nothing" into AWS's States.Runtime failure."""
    evaluate = compile_path(path).evaluate
    cause = invalid_path_cause(path)

    def read(scope: Scope) -> JSON:
        try:
            return evaluate(scope)
        except PathNotFound:
            raise StatesRuntime(cause) from None

    return read


def _compile_is_present(variable: str, expected: bool) -> Predicate:
    evaluate = compile_path(variable).evaluate

    def is_present(scope: Scope) -> bool:
        try:
            evaluate(scope)
        except PathNotFound:
            return not expected
        return expected

    return is_present


def _compile_type_test(
    read: Reader, type_test: Callable[[JSON], bool], expected: bool
) -> Predicate:
    return lambda scope: type_test(read(scope)) is expected


def _wildcard_pattern(operand: JSON) -> re.Pattern[str]:
    """Translate a StringMatches pattern: ``*`` is any run; ``\\*`` and ``\\\\`` are literal."""
    if type(operand) is not str:
        raise ValueError(f"StringMatches needs a string, got {operand!r}")
    parts = []
    for token in _WILDCARD_TOKEN.findall(operand):
        if token == "*":
            parts.append(".*")
        elif len(token) == 2 and token[0] == "\\" and token[1] in "*\\":
            parts.append(re.escape(token[1]))
        else:
            parts.append(re.escape(token))
    return re.compile("".join(parts), re.DOTALL)


def _compile_string_matches(read: Reader, pattern: re.Pattern[str]) -> Predicate:
    fullmatch = pattern.fullmatch

    def string_matches(scope: Scope) -> bool:
        value = read(scope)
        return type(value) is str and fullmatch(value) is not None

    return string_matches


def _compile_numeric(variable: str, compare: Callable[[Any, Any], bool], literal: Any) -> Predicate:
    """The hot path (loops count with Numeric rules): one walk, one type test, one comparison."""
    evaluate = compile_path(variable).evaluate
    cause = invalid_path_cause(variable)

    def numeric(scope: Scope) -> bool:
        try:
            value = evaluate(scope)
        except PathNotFound:
            raise StatesRuntime(cause) from None
        kind = type(value)
        return (kind is int or kind is float) and compare(value, literal)

    return numeric


def _compile_literal_comparison(
    read: Reader, accept: Accept, compare: Callable[[Any, Any], bool], literal: Any
) -> Predicate:
    def literal_comparison(scope: Scope) -> bool:
        value = accept(read(scope))
        return value is not None and compare(value, literal)

    return literal_comparison


def _compile_path_comparison(read: Reader, accept: Accept, comparator: str, path: str) -> Predicate:
    read_operand = _compile_reader(path)
    compare = _COMPARATORS[comparator]
    is_ordering = comparator != "Equals"
    cause = invalid_value_cause(path)

    def path_comparison(scope: Scope) -> bool:
        value = accept(read(scope))
        operand = accept(read_operand(scope))
        if operand is None:
            if is_ordering:
                raise StatesRuntime(cause)
            return False
        return value is not None and compare(value, operand)

    return path_comparison


__all__ = ["Predicate", "compile_choice_rule", "invalid_path_cause", "invalid_value_cause"]
