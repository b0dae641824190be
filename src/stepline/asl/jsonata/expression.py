"""Compiling ``{% ... %}`` strings once and evaluating them against ``$states`` and variables.

The library (jsonata-python) parses at construction; :func:`compile_expression` does that once
per definition, installs AWS's functions on the expression's own frame and switches off the
library's per-call input validation and in-place null conversion (our inputs are JSON already,
and the conversion would write into the caller's values). Results are converted to plain JSON
by :func:`to_json`, which also spots what JSON cannot hold (functions, regexes).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from typing import Any, Final

import jsonata
from jsonata.jexception import JException
from jsonata.utils import Utils

from stepline.asl import jsontext
from stepline.asl.ambient import LIVE, Ambient
from stepline.asl.jsonata import functions
from stepline.asl.jsonata.failures import (
    FailureKind,
    JsonataEvaluationError,
    describe_library_error,
)
from stepline.asl.jsontext import type_name
from stepline.asl.scope import JSON

OPENING: Final = "{%"
CLOSING: Final = "%}"
# Integral doubles below this print as integers in JavaScript (AWS writes 2, not 2.0); larger
# ones print in exponent form, which a Python float also gives.
_LARGEST_PLAIN_INTEGER: Final = 1e21


class _Undefined:
    """JSONata's ``undefined``: no value at all, unlike JSON ``null``."""

    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Final = _Undefined()


class InvalidJsonata(ValueError):
    """The text is not a JSONata expression Step Functions accepts (a definition error)."""


class UnsupportedResultError(Exception):
    """A result holds something JSON cannot (a function, a regex, NaN)."""


def is_expression(value: JSON) -> bool:
    """Whether a field value is a JSONata expression string (``{%`` ... ``%}``, no padding)."""
    return (
        isinstance(value, str)
        and len(value) >= len(OPENING) + len(CLOSING)
        and value.startswith(OPENING)
        and value.endswith(CLOSING)
    )


def compile_expression(text: str) -> JsonataExpression:
    """Parse ``{% ... %}`` once; raises :class:`InvalidJsonata` for what AWS would refuse."""
    if not is_expression(text):
        raise InvalidJsonata(f"not a JSONata expression string: {text!r}")
    source = text[len(OPENING) : -len(CLOSING)].strip()
    if not source:
        raise InvalidJsonata("the JSONata expression is empty")
    try:
        program = jsonata.Jsonata(source)
    except JException as error:
        detail = describe_library_error(error, JException.error_codes)
        raise InvalidJsonata(f"{detail} (in {source!r})") from error
    _reject_newer_operators(program.ast, source)
    program.set_validate_input(False)
    program.set_output_convert_nulls(False)
    functions.install(program)
    return JsonataExpression(source, program)


def _reject_newer_operators(ast: Any, source: str) -> None:
    """Refuse ``??`` and ``?:``: JSONata 2.1 syntax, which AWS (JSONata 2.0.6) does not parse.

    The library parses both into a ``condition`` node that reuses its operand: ``a ?: b``
    as ``a ? a : b`` (the same node twice), ``a ?? b`` as ``$exists(a) ? a : b``.
    """
    pending, seen = [ast], set()
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if getattr(node, "type", None) == "condition" and _is_shorthand(node):
            raise InvalidJsonata(f"the operators ?? and ?: are not supported (in {source!r})")
        for value in vars(node).values():
            if isinstance(value, list):
                pending.extend(item for item in value if _is_node(item))
            elif _is_node(value):
                pending.append(value)


def _is_node(value: Any) -> bool:
    return isinstance(value, jsonata.Parser.Symbol)


def _is_shorthand(node: Any) -> bool:
    condition, then = getattr(node, "condition", None), getattr(node, "then", None)
    if condition is not None and condition is then:
        return True
    arguments = getattr(condition, "arguments", None) or []
    procedure = getattr(condition, "procedure", None)
    return (
        getattr(procedure, "value", None) == "exists"
        and len(arguments) == 1
        and arguments[0] is then
    )


STEP_LIMIT = 1_000_000
"""How many evaluation steps one evaluation may take (about 3 s here): a budget of work, not of
wall-clock time, so whether an expression fails never depends on the machine's speed."""
STRING_LIMIT = 8 * 1024 * 1024
"""The longest string an evaluation may build, in characters (AWS's payloads hold 256 KiB)."""
ARRAY_LIMIT = 1_000_000
"""The most items an array built during an evaluation may hold."""


class BudgetExceeded(Exception):
    """An evaluation went past one of its limits (steps, string length, array length)."""


class _Budget:
    """Counts one evaluation's steps and checks the size of what each step returns.

    Bound into the evaluation's frame as the library's entry and exit hooks, so a hostile or
    mistaken expression (an endless recursion, a string doubled in a loop) fails the same way
    on every machine and cannot take more than a bounded amount of memory.
    """

    __slots__ = ("steps",)

    def __init__(self) -> None:
        self.steps = 0

    def enter(self, expression: Any, focus: Any, environment: Any) -> None:
        self.steps += 1
        if self.steps > STEP_LIMIT:
            raise BudgetExceeded(
                f"The expression took more than {STEP_LIMIT} evaluation steps (Stepline's limit)"
            )

    def leave(self, expression: Any, focus: Any, environment: Any, result: Any) -> None:
        if isinstance(result, str):
            if len(result) > STRING_LIMIT:
                raise BudgetExceeded(
                    f"The expression built a string longer than {STRING_LIMIT} characters "
                    "(Stepline's limit)"
                )
        elif isinstance(result, list) and len(result) > ARRAY_LIMIT:
            raise BudgetExceeded(
                f"The expression built an array of more than {ARRAY_LIMIT} items (Stepline's limit)"
            )


class JsonataExpression:
    """One compiled expression; immutable, and safe to evaluate from several threads at once."""

    __slots__ = ("_program", "source")

    def __init__(self, source: str, program: Any) -> None:
        self.source = source
        self._program = program

    def __repr__(self) -> str:
        return f"JsonataExpression({self.source!r})"

    def evaluate(
        self, states: Mapping[str, JSON], variables: Mapping[str, JSON], ambient: Ambient = LIVE
    ) -> JSON:
        """The result as plain JSON, or :data:`UNDEFINED`; failures raise JsonataEvaluationError.

        ``$now()``, ``$millis()``, ``$random()`` and ``$uuid()`` read ``ambient``.
        """
        bindings = jsonata.Jsonata.Frame(None)
        budget = _Budget()
        bindings.bind("__evaluate_entry", budget.enter)
        bindings.bind("__evaluate_exit", budget.leave)
        for name, value in variables.items():
            bindings.bind(name, _bindable(value))
        bindings.bind("states", _bindable(states))
        _prepare_thread(ambient)
        try:
            raw = self._program.evaluate(None, bindings)
        except RecursionError as error:
            raise self._failure(FailureKind.EVALUATION_ERROR, "Stack overflow") from error
        except Exception as error:
            detail = describe_library_error(error, JException.error_codes)
            raise self._failure(FailureKind.EVALUATION_ERROR, detail) from error
        finally:
            functions.AMBIENT.current = LIVE
        try:
            return to_json(raw, _input_containers(states, variables))
        except UnsupportedResultError as error:
            raise self._failure(FailureKind.UNSUPPORTED_RESULT) from error

    def evaluate_defined(
        self, states: Mapping[str, JSON], variables: Mapping[str, JSON], ambient: Ambient = LIVE
    ) -> JSON:
        """Like :meth:`evaluate`, but undefined is AWS's "returned nothing" failure."""
        value = self.evaluate(states, variables, ambient)
        if value is UNDEFINED:
            raise self._failure(FailureKind.UNDEFINED_RESULT)
        return value

    def evaluate_as(
        self, states: Mapping[str, JSON], variables: Mapping[str, JSON], expected: str
    ) -> JSON:
        """A defined result of JSONata type ``expected`` (``array``...), or AWS's error."""
        value = self.evaluate_defined(states, variables)
        actual = type_name(value)
        if actual != expected:
            detail = f"Expected '{expected}', but was '{actual}' for value: {jsontext.dumps(value)}"
            raise self._failure(FailureKind.UNEXPECTED_TYPE, detail)
        return value

    def _failure(self, kind: FailureKind, detail: str = "") -> JsonataEvaluationError:
        return JsonataEvaluationError(self.source, kind, detail)


def _bindable(value: JSON) -> Any:
    """The library reads a variable bound to ``None`` as undefined; JSON null must stay null."""
    return Utils.NULL_VALUE if value is None else value


_thread_state = threading.local()


def _prepare_thread(ambient: Ambient) -> None:
    """Give this thread its own scratch interpreter dated by ``ambient`` before each evaluation,
    and hand ``ambient`` to the random functions.

    The library evaluates through a per-thread instance (``Jsonata.CURRENT``) that is whatever
    expression this thread last constructed; ``$now()``/``$millis()`` read that instance's
    timestamp, which would otherwise be stale (or another expression's).
    """
    scratch = getattr(_thread_state, "scratch", None)
    if scratch is None:
        scratch = jsonata.Jsonata("0")
        _thread_state.scratch = scratch
    scratch.timestamp = ambient.millis()
    jsonata.Jsonata.CURRENT.jsonata = scratch
    functions.AMBIENT.current = ambient


def _input_containers(states: Mapping[str, JSON], variables: Mapping[str, JSON]) -> frozenset[int]:
    """Identities of the input's upper containers (``$states.input``, ``$var.items``...).

    They are plain JSON by contract, so a result that is one of them is returned without the
    walk that :func:`to_json` otherwise needs (1.9 ms for a 10,000-item array). Only two levels
    of objects are visited, so this costs the number of keys, not the size of the input.
    """
    known: set[int] = set()
    for value in (*states.values(), *variables.values()):
        if isinstance(value, list):
            known.add(id(value))
        elif isinstance(value, dict):
            known.add(id(value))
            known.update(id(item) for item in value.values() if isinstance(item, list | dict))
    return frozenset(known)


def to_json(value: Any, plain: frozenset[int] = frozenset()) -> JSON:
    """Plain JSON from a library result; shares unchanged containers, never writes into them.

    ``plain`` holds the identities of containers known to be plain JSON already.
    """
    if value is None:
        return UNDEFINED
    if id(value) in plain:
        return value
    return _convert(value)


def _convert(value: Any) -> JSON:
    if value is Utils.NULL_VALUE:
        return None
    if isinstance(value, str | bool) or value is None:
        return value
    if isinstance(value, int):
        # the library turns integral doubles into Python ints, however large
        return value if abs(value) < _LARGEST_PLAIN_INTEGER else float(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, list):
        return _convert_list(value)
    if isinstance(value, dict):
        return _convert_dict(value)
    raise UnsupportedResultError(type(value).__name__)


def _number(value: float) -> JSON:
    if not math.isfinite(value):
        raise UnsupportedResultError("non-finite number")
    if value.is_integer() and abs(value) < _LARGEST_PLAIN_INTEGER:
        return int(value)
    return value


def _convert_list(items: list[Any]) -> list[JSON]:
    converted = [_convert(item) for item in items]
    # A library sequence (JList) must not leak out; a plain list whose items did not change is
    # returned as is, so results that select from the input do not copy it.
    if type(items) is list and all(new is old for new, old in zip(converted, items, strict=True)):
        return items
    return converted


def _convert_dict(mapping: dict[str, Any]) -> dict[str, JSON]:
    converted = {key: _convert(item) for key, item in mapping.items()}
    if type(mapping) is dict and all(converted[key] is item for key, item in mapping.items()):
        return mapping
    return converted
