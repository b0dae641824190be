"""Syntax of what a definition computes with: JSONPath, intrinsic calls, payload templates, JSONata.

Parsing is delegated to the modules that evaluate these languages (``asl.jsonpath``,
``asl.intrinsics``, ``asl.jsonata``), so a definition is accepted exactly when the runtime can
compile it. The intrinsic and JSONata compilers are imported lazily: while they are absent the
checks fall back to a conservative syntax test instead of failing every definition.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from typing import Any

from stepline.asl.jsonpath import InvalidPath, compile_path, compile_reference_path
from stepline.asl.validation.report import INVALID_JSONATA_EXPRESSION, Report, child, index

_JSONATA = re.compile(r"\A\{%(.*)%\}\Z", re.DOTALL)
_INTRINSIC_START = re.compile(r"\AStates\.[A-Za-z0-9]+\(")
# Inside an intrinsic's quoted string only these characters may follow a backslash.
_INTRINSIC_ESCAPABLE = frozenset("'{}\\")


def jsonata_body(value: object) -> str | None:
    """The expression inside ``{% ... %}``, or None when the value is not a JSONata string."""
    if not isinstance(value, str):
        return None
    match = _JSONATA.match(value)
    return match.group(1) if match else None


def is_valid_path(text: str) -> bool:
    """Whether ``text`` is a JSONPath ASL accepts (data, context object or variable)."""
    try:
        # AWS ignores trailing blanks after a path (a published AWS example ends in one).
        compile_path(text.rstrip())
    except InvalidPath:
        return False
    return True


def is_valid_reference_path(text: str) -> bool:
    """Whether ``text`` is a ResultPath: a ``$``-rooted path without filters or wildcards."""
    try:
        compile_reference_path(text)
    except InvalidPath:
        return False
    return True


def _optional_compiler(module: str, function: str) -> Callable[[str], Any] | None:
    try:
        loaded = importlib.import_module(module)
    except ImportError:
        return None
    compiler: Callable[[str], Any] | None = getattr(loaded, function, None)
    return compiler


def is_valid_intrinsic(text: str) -> bool:
    """Whether ``text`` is an intrinsic function call (``States.Format('{}', $.x)``)."""
    # AWS refuses padding, and escapes other than those of ' { } and the backslash.
    if not _looks_like_intrinsic(text):
        return False
    compiler = _optional_compiler("stepline.asl.intrinsics", "compile_intrinsic")
    if compiler is None:  # pragma: no cover - only while the intrinsics module is absent
        return True
    try:
        compiler(text)
    except ValueError:
        return False
    return True


def _looks_like_intrinsic(text: str) -> bool:
    """Call shape, balanced parentheses, legal escapes in quoted strings."""
    text = text.rstrip()
    if _INTRINSIC_START.match(text) is None or not text.endswith(")"):
        return False
    depth = 0
    quoted = False
    position = 0
    while position < len(text):
        character = text[position]
        if quoted and character == "\\":
            if text[position + 1 : position + 2] not in _INTRINSIC_ESCAPABLE:
                return False
            position += 1
        elif character == "'":
            quoted = not quoted
        elif not quoted and character in "()":
            depth += 1 if character == "(" else -1
        position += 1
    return depth == 0 and not quoted


def jsonata_error(text: str) -> str | None:
    """The parser's complaint about a ``{% ... %}`` string, or None when it compiles."""
    compiler = _optional_compiler("stepline.asl.jsonata", "compile_expression")
    if compiler is None:  # pragma: no cover - only while the JSONata adapter is absent
        compiler = _fallback_jsonata_compiler()
    try:
        compiler(text)
    except Exception as error:
        return str(error)
    return None


def _fallback_jsonata_compiler() -> Callable[[str], Any]:  # pragma: no cover - as above
    module = importlib.import_module("jsonata")

    def compile_body(text: str) -> Any:
        return module.Jsonata(jsonata_body(text))

    return compile_body


def check_jsonata_string(report: Report, location: str, value: object) -> None:
    """Report a ``{% %}`` string whose expression does not parse."""
    if jsonata_body(value) is None:
        return
    problem = jsonata_error(str(value))
    if problem is not None:
        report.add(location, f"Invalid JSONata expression: {problem}", INVALID_JSONATA_EXPRESSION)


def check_jsonata_template(report: Report, location: str, value: object) -> None:
    """Every ``{% %}`` string anywhere inside a JSONata field must parse."""
    if isinstance(value, dict):
        for key, item in value.items():
            check_jsonata_template(report, child(location, key), item)
    elif isinstance(value, list):
        for position, item in enumerate(value):
            check_jsonata_template(report, index(location, position), item)
    else:
        check_jsonata_string(report, location, value)


def check_path_template(report: Report, location: str, value: object) -> None:
    """A JSONPath payload template: every ``key.$`` holds a path or an intrinsic call.

    AWS names the key in the message and locates the whole template field
    (``/States/X/Parameters``), however deep the key sits.
    """
    for key, text in _dynamic_entries(value):
        if not isinstance(text, str) or not (is_valid_path(text) or is_valid_intrinsic(text)):
            report.add(
                location,
                f"The value for the field '{key}' must be a valid JSONPath or a valid "
                "intrinsic function call",
            )


def _dynamic_entries(value: object) -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith(".$"):
                found.append((key, item))
            else:
                found.extend(_dynamic_entries(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_dynamic_entries(item))
    return found


def check_path_field(report: Report, location: str, name: str, value: object) -> None:
    """A field holding one JSONPath (InputPath, ItemsPath, SecondsPath...)."""
    if not isinstance(value, str):
        report.wrong_type(location, name, "a string", value)
    elif not is_valid_path(value):
        report.add(location, f"The value for the field '{name}' must be a valid JSONPath")


_STRING_INTRINSICS = frozenset(
    {"ArrayGetItem", "Base64Encode", "Base64Decode", "Format", "JsonToString", "Hash", "UUID"}
)


def check_path_or_intrinsic_field(report: Report, location: str, name: str, value: object) -> None:
    """ErrorPath and CausePath: a JSONPath or an intrinsic call that returns a string."""
    if not isinstance(value, str):
        report.wrong_type(location, name, "a string", value)
        return
    function = value.split("(", 1)[0].removeprefix("States.")
    if is_valid_path(value) or (function in _STRING_INTRINSICS and is_valid_intrinsic(value)):
        return
    report.add(
        location,
        f"The value for the field '{name}' must be a valid JSONPath or an intrinsic function "
        "expression that returns a string",
    )


def check_result_path(
    report: Report, location: str, body: Mapping[str, Any], language: str
) -> None:
    """ResultPath: null (discard the result) or a ``$``-rooted reference path."""
    value = body.get("ResultPath")
    if "ResultPath" not in body or value is None or language != "JSONPath":
        return
    if not isinstance(value, str):
        report.wrong_type(child(location, "ResultPath"), "ResultPath", "a string", value)
    elif not is_valid_reference_path(value):
        report.add(
            child(location, "ResultPath"),
            "The value for the field 'ResultPath' must be a valid JSONPath",
        )


def check_payload(report: Report, location: str, name: str, value: object, language: str) -> None:
    """A payload template field (Parameters, ResultSelector, ItemSelector, Arguments)."""
    if language == "JSONata":
        if not isinstance(value, dict) and jsonata_body(value) is None:
            report.wrong_type(
                child(location, name), name, "an object or a JSONata expression", value
            )
        check_jsonata_template(report, child(location, name), value)
    elif not isinstance(value, dict | list):
        # A published AWS sample deploys an array here, so arrays pass as templates too.
        report.wrong_type(child(location, name), name, "an object", value)
    else:
        check_path_template(report, child(location, name), value)


def check_assign(report: Report, location: str, value: object, language: str) -> None:
    """Assign: an object whose values are templates of the state's query language."""
    if not isinstance(value, dict):
        report.wrong_type(child(location, "Assign"), "Assign", "an object", value)
    elif language == "JSONata":
        check_jsonata_template(report, child(location, "Assign"), value)
    else:
        check_path_template(report, child(location, "Assign"), value)
