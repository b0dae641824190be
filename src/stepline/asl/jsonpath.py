"""JSONPath as ASL uses it (Jayway JsonPath semantics), compiled once into callables.

``compile_path`` takes any path a definition may hold: ``$...`` reads the data, ``$$...`` the
context object and ``$name...`` a workflow variable. Steps: ``.name`` (any characters but space,
``.``, ``[`` and ``(``), ``['name']``/``["name"]``, ``['a','b']`` (a leaf only: it builds an
object of those keys), ``[n]`` (negative counts from the end), ``[0,2]``, ``[1:3]``, ``[-2:]``,
``[:2]``, ``.*``/``[*]``, ``..`` (recursive descent) and filters ``[?(...)]``.

A *definite* path (single names and indexes) yields one value and raises ``PathNotFound`` when
nothing is there. Any other path is indefinite and yields the list of its matches, ``[]`` when
there are none, as Jayway does. Functions (``.length()``) are rejected: AWS documents them as
unsupported.

``compile_reference_path`` takes the restricted form ResultPath allows and writes a value into a
document at that place, copying only the containers along the path.

This module parses the text and assembles the compiled paths; the steps they walk live in
``jsonpath_steps`` and the ``[?(...)]`` filter language in ``jsonpath_filter``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from stepline.asl.jsonpath_filter import FilterParser
from stepline.asl.jsonpath_steps import (
    DefiniteStep,
    Descent,
    Filter,
    Index,
    Indexes,
    Name,
    Names,
    NoMatch,
    Slice,
    Step,
    Wildcard,
    render,
    select_all,
)
from stepline.asl.scope import JSON, Scope

__all__ = [
    "InvalidPath",
    "JsonPath",
    "PathNotFound",
    "ReferencePath",
    "compile_path",
    "compile_reference_path",
]


class InvalidPath(ValueError):
    """The text is not a JSONPath ASL accepts (a definition error, found at compile time)."""


class PathNotFound(LookupError):
    """The path names nothing in the value it was applied to (a runtime condition).

    ``detail`` is Jayway's explanation, which AWS quotes in some causes (``No results for path:
    $['a']``); it is worked out only once a walk has failed, off the fast path.
    """

    def __init__(self, path: str, detail: str = "") -> None:
        super().__init__(path)
        self.path = path
        self.detail = detail


# --- parsing -----------------------------------------------------------------------------------

_VARIABLE = re.compile(r"\$([^\W\d]\w*)")
_INTEGER = re.compile(r"\s*(-?\d+)\s*")
_SLICE = re.compile(r"\s*(-?\d+)?\s*:\s*(-?\d+)?\s*")
_PATH_STOPS = frozenset(" .[(")


class _Parser:
    """A hand-written reader over the path text; filters reuse it for ``@`` and ``$`` paths."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0

    def fail(self) -> InvalidPath:
        return InvalidPath(self.text)

    def peek(self, count: int = 1) -> str:
        return self.text[self.position : self.position + count]

    def at_end(self) -> bool:
        return self.position >= len(self.text)

    def skip_blanks(self) -> None:
        while self.peek() == " ":
            self.position += 1

    def expect(self, token: str) -> None:
        self.skip_blanks()
        if not self.text.startswith(token, self.position):
            raise self.fail()
        self.position += len(token)

    def steps(self, stops: frozenset[str]) -> tuple[Step, ...]:
        """Steps until the text ends or (inside a filter) a character that is no path's."""
        steps: list[Step] = []
        while not self.at_end():
            char = self.peek()
            if self.peek(2) == "..":
                self.position += 2
                steps.append(Descent(self.step_after_descent(stops)))
            elif char == ".":
                self.position += 1
                steps.append(self.bracket() if self.peek() == "[" else self.dotted(stops))
            elif char == "[":
                steps.append(self.bracket())
            elif stops is _PATH_STOPS:
                raise self.fail()
            else:
                break
        return tuple(steps)

    def step_after_descent(self, stops: frozenset[str]) -> Step:
        return self.bracket() if self.peek() == "[" else self.dotted(stops)

    def dotted(self, stops: frozenset[str]) -> Step:
        start = self.position
        while not self.at_end() and self.peek() not in stops:
            self.position += 1
        name = self.text[start : self.position]
        if not name or self.peek() == "(":
            raise self.fail()
        return Wildcard() if name == "*" else Name(name)

    def bracket(self) -> Step:
        self.expect("[")
        self.skip_blanks()
        char = self.peek()
        if char in "'\"":
            step: Step = self.quoted_names()
        elif char == "*":
            self.position += 1
            step = Wildcard()
        elif char == "?":
            self.position += 1
            self.expect("(")
            step = Filter(FilterParser(self).disjunction())
            self.expect(")")
        else:
            step = self.numbers()
        self.expect("]")
        return step

    def quoted_names(self) -> Step:
        names = [self.quoted()]
        self.skip_blanks()
        while self.peek() == ",":
            self.position += 1
            self.skip_blanks()
            names.append(self.quoted())
            self.skip_blanks()
        return Name(names[0]) if len(names) == 1 else Names(tuple(names))

    def quoted(self) -> str:
        """A quoted string; a backslash escapes only the quote character itself."""
        quote = self.peek()
        if quote not in "'\"":
            raise self.fail()
        self.position += 1
        chars: list[str] = []
        while not self.at_end():
            char = self.peek()
            if char == "\\" and self.peek(2) == "\\" + quote:
                chars.append(quote)
                self.position += 2
            elif char == quote:
                self.position += 1
                return "".join(chars)
            else:
                chars.append(char)
                self.position += 1
        raise self.fail()

    def numbers(self) -> Step:
        end = self.text.find("]", self.position)
        body = self.text[self.position : end] if end >= 0 else ""
        self.position += len(body)
        if ":" in body:
            match = _SLICE.fullmatch(body)
            if match is None:
                raise self.fail()
            start, stop = match.groups()
            return Slice(None if start is None else int(start), None if stop is None else int(stop))
        parts = body.split(",")
        matches = [_INTEGER.fullmatch(part) for part in parts]
        indexes = tuple(int(match.group(1)) for match in matches if match is not None)
        if len(indexes) != len(parts):
            raise self.fail()
        return Index(indexes[0]) if len(indexes) == 1 else Indexes(indexes)


def _parse(text: str) -> tuple[str, str, tuple[Step, ...]]:
    """Split a path into its root (``$``, ``$$`` or ``$name``), variable name and steps.

    Surrounding whitespace is ignored, as Jayway trims it (definitions in use rely on it).
    """
    text = text.strip()
    parser = _Parser(text)
    if text.startswith("$$"):
        root, name, parser.position = "$$", "", 2
    elif (match := _VARIABLE.match(text)) is not None:
        root, name, parser.position = "$name", match.group(1), match.end()
    elif text.startswith("$"):
        root, name, parser.position = "$", "", 1
    else:
        raise InvalidPath(text)
    return root, name, parser.steps(_PATH_STOPS)


# --- compiled paths ----------------------------------------------------------------------------


@dataclass(frozen=True)
class JsonPath:
    """A compiled path; ``evaluate(scope)`` returns what it names or raises ``PathNotFound``."""

    text: str
    evaluate: Callable[[Scope], JSON] = field(repr=False, compare=False)
    is_definite: bool = True


def _name_walker(names: tuple[str, ...]) -> Callable[[JSON], JSON]:
    """A walk over object keys only: plain dict lookups (the common case)."""

    def read(value: JSON) -> JSON:
        try:
            for name in names:
                value = value[name]
        except (KeyError, TypeError, IndexError):
            # A list or string indexed by a str raises TypeError; JSON objects only have str
            # keys, so every lookup that succeeded was a real member access.
            raise NoMatch from None
        return value

    return read


def _step_walker(steps: tuple[DefiniteStep, ...]) -> Callable[[JSON], JSON]:
    def read(value: JSON) -> JSON:
        for step in steps:
            value = step.one(value)
        return value

    return read


def _explain(steps: tuple[DefiniteStep, ...], value: JSON) -> str:
    """Jayway's message for a definite path that found nothing (computed only on failure)."""
    rendered = "$"
    for step in steps[:-1]:
        if isinstance(step, Name) and isinstance(value, dict) and step.name not in value:
            return f"Missing property in path {rendered}{step.fragment()}"
        try:
            value = step.one(value)
        except NoMatch:
            break
        rendered += step.fragment()
    return f"No results for path: {render(steps)}"


def _root_reader(root: str, name: str) -> Callable[[Scope], JSON]:
    if root == "$$":
        return lambda scope: scope.context
    if root == "$":
        return lambda scope: scope.data

    def variable(scope: Scope) -> JSON:
        try:
            return scope.variables[name]
        except KeyError:
            raise NoMatch from None

    return variable


def _definite(
    text: str, root: Callable[[Scope], JSON], steps: tuple[DefiniteStep, ...]
) -> JsonPath:
    if all(isinstance(step, Name) for step in steps):
        read = _name_walker(tuple(step.name for step in steps if isinstance(step, Name)))
    else:
        read = _step_walker(steps)

    def evaluate(scope: Scope) -> JSON:
        try:
            base = root(scope)
        except NoMatch:
            raise PathNotFound(text, f"No results for path: {text}") from None
        try:
            return read(base)
        except NoMatch:
            raise PathNotFound(text, _explain(steps, base)) from None

    return JsonPath(text, evaluate, True)


def _indefinite(text: str, root: Callable[[Scope], JSON], steps: tuple[Step, ...]) -> JsonPath:
    def evaluate(scope: Scope) -> JSON:
        try:
            base = root(scope)
        except NoMatch:
            raise PathNotFound(text, f"No results for path: {text}") from None
        return select_all(steps, base, base)

    return JsonPath(text, evaluate, False)


def _always_failing(text: str, detail: str) -> JsonPath:
    """A path AWS accepts in a definition but that fails whenever it runs."""

    def evaluate(_scope: Scope) -> JSON:
        raise PathNotFound(text, detail)

    return JsonPath(text, evaluate, True)


def compile_path(text: str) -> JsonPath:
    """Compile a path over the data (``$``), the context object (``$$``) or a variable."""
    root, name, steps = _parse(text)
    for position, step in enumerate(steps[:-1]):
        if isinstance(step, Names):
            # Jayway (as AWS runs it) refuses a multi-name step that is not the last one, but
            # only when the path is evaluated: AWS reports it at run time, not on creation.
            prefix = render(steps[: position + 1])
            return _always_failing(
                text, f"Multi properties can only be used as path leafs: {prefix}"
            )
    reader = _root_reader(root, name)
    definite = tuple(step for step in steps if isinstance(step, Name | Names | Index))
    if len(definite) == len(steps):
        return _definite(text, reader, definite)
    return _indefinite(text, reader, steps)


# --- reference paths ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferencePath:
    """A ResultPath: ``assign(document, value)`` returns a new document with value placed.

    Missing objects along the path are created (``{}`` then the next key). A step that meets
    what it cannot enter (a name on a non-object, an index on a non-array or past its end)
    raises ``PathNotFound``; the caller reports it as ``States.ResultPathMatchFailure``.
    """

    text: str
    steps: tuple[str | int, ...]

    def assign(self, document: JSON, value: JSON) -> JSON:
        return _assign(document, self.steps, value, self.text)


def _assign(document: JSON, steps: tuple[str | int, ...], value: JSON, text: str) -> JSON:
    if not steps:
        return value
    head, rest = steps[0], steps[1:]
    if isinstance(head, int):
        if not isinstance(document, list) or not -len(document) <= head < len(document):
            raise PathNotFound(text)
        items = list(document)
        items[head] = _assign(document[head], rest, value, text)
        return items
    if not isinstance(document, dict):
        raise PathNotFound(text)
    copied = dict(document)
    copied[head] = _assign(document.get(head, {}), rest, value, text)
    return copied


def compile_reference_path(text: str) -> ReferencePath:
    """Compile a ResultPath: ``$``-rooted, single names and single indexes only."""
    root, _, steps = _parse(text)
    if root != "$":
        raise InvalidPath(text)
    keys: list[str | int] = []
    for step in steps:
        if isinstance(step, Name):
            keys.append(step.name)
        elif isinstance(step, Index):
            keys.append(step.index)
        else:
            raise InvalidPath(text)
    return ReferencePath(text, tuple(keys))
