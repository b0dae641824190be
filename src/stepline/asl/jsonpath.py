"""JSONPath as ASL uses it, compiled once into callables.

``compile_path`` takes any path a definition may hold: ``$...`` reads the data, ``$$...`` the
context object and ``$name...`` a workflow variable. ``compile_reference_path`` takes the
restricted form ResultPath allows and writes a value into a document at that place.

NOTE: a first, simple implementation (dot and bracket steps). The full Jayway-compatible syntax
(wildcards, slices, filters, recursive descent) replaces its parser without changing this API.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from stepline.asl.scope import JSON, Scope


class InvalidPath(ValueError):
    """The text is not a JSONPath ASL accepts (a definition error, found at compile time)."""


class PathNotFound(LookupError):
    """The path names nothing in the value it was applied to (a runtime condition)."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")
Step = str | int


def _parse_steps(text: str, start: int) -> tuple[Step, ...]:
    steps: list[Step] = []
    position = start
    while position < len(text):
        match = _STEP.match(text, position)
        if match is None:
            raise InvalidPath(text)
        name, index, quoted, double_quoted = match.groups()
        if index is not None:
            steps.append(int(index))
        else:
            steps.append(name if name is not None else (quoted or double_quoted or ""))
        position = match.end()
    return tuple(steps)


def _walk(value: JSON, steps: tuple[Step, ...], text: str) -> JSON:
    for step in steps:
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                raise PathNotFound(text)
            value = value[step]
        else:
            if not isinstance(value, dict) or step not in value:
                raise PathNotFound(text)
            value = value[step]
    return value


@dataclass(frozen=True)
class JsonPath:
    """A compiled path; ``evaluate(scope)`` returns what it names or raises ``PathNotFound``."""

    text: str
    evaluate: Callable[[Scope], JSON] = field(repr=False, compare=False)
    is_definite: bool = True


def compile_path(text: str) -> JsonPath:
    """Compile a path over the data (``$``), the context object (``$$``) or a variable."""
    if text.startswith("$$"):
        steps = _parse_steps(text, 2)
        return JsonPath(text, lambda scope: _walk(scope.context, steps, text))
    if text == "$" or text.startswith(("$.", "$[")):
        steps = _parse_steps(text, 1)
        return JsonPath(text, lambda scope: _walk(scope.data, steps, text))
    match = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)", text)
    if match is None:
        raise InvalidPath(text)
    name = match.group(1)
    steps = _parse_steps(text, match.end())

    def evaluate_variable(scope: Scope) -> JSON:
        if name not in scope.variables:
            raise PathNotFound(text)
        return _walk(scope.variables[name], steps, text)

    return JsonPath(text, evaluate_variable)


@dataclass(frozen=True)
class ReferencePath:
    """A ResultPath: ``assign(document, value)`` returns a new document with value placed."""

    text: str
    steps: tuple[Step, ...]

    def assign(self, document: JSON, value: JSON) -> JSON:
        return _assign(document, self.steps, value, self.text)


def _assign(document: JSON, steps: tuple[Step, ...], value: JSON, text: str) -> JSON:
    if not steps:
        return value
    head, rest = steps[0], steps[1:]
    if isinstance(head, int):
        if not isinstance(document, list) or head >= len(document):
            raise PathNotFound(text)
        copy = list(document)
        copy[head] = _assign(document[head], rest, value, text)
        return copy
    if not isinstance(document, dict):
        raise PathNotFound(text)
    copied = dict(document)
    copied[head] = _assign(document.get(head, {}), rest, value, text)
    return copied


def compile_reference_path(text: str) -> ReferencePath:
    """Compile a ResultPath (only ``$``-rooted dot and index steps)."""
    if not (text == "$" or text.startswith(("$.", "$["))):
        raise InvalidPath(text)
    return ReferencePath(text, _parse_steps(text, 1))
