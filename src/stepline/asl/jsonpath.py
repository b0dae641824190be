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
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from stepline.asl import jsontext
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


class _NoMatch(Exception):
    """Leaves a definite walk early; the caller turns it into ``PathNotFound``."""


# --- steps -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Name:
    name: str
    is_definite = True

    def select(self, value: JSON, _root: JSON, out: list[JSON]) -> None:
        if isinstance(value, dict) and self.name in value:
            out.append(value[self.name])

    def one(self, value: JSON) -> JSON:
        if isinstance(value, dict) and self.name in value:
            return value[self.name]
        raise _NoMatch

    def fragment(self) -> str:
        return f"['{self.name}']"


@dataclass(frozen=True)
class _Names:
    """``['a','b']`` as a leaf: an object holding those of the keys that exist."""

    names: tuple[str, ...]
    is_definite = True

    def select(self, value: JSON, _root: JSON, out: list[JSON]) -> None:
        if isinstance(value, dict):
            out.append(self.one(value))

    def one(self, value: JSON) -> JSON:
        if not isinstance(value, dict):
            raise _NoMatch
        return {name: value[name] for name in self.names if name in value}

    def fragment(self) -> str:
        return "[" + ", ".join(f"'{name}'" for name in self.names) + "]"


@dataclass(frozen=True)
class _Index:
    index: int
    is_definite = True

    def select(self, value: JSON, _root: JSON, out: list[JSON]) -> None:
        if isinstance(value, list) and -len(value) <= self.index < len(value):
            out.append(value[self.index])

    def one(self, value: JSON) -> JSON:
        if isinstance(value, list) and -len(value) <= self.index < len(value):
            return value[self.index]
        raise _NoMatch

    def fragment(self) -> str:
        return f"[{self.index}]"


@dataclass(frozen=True)
class _Indexes:
    indexes: tuple[int, ...]
    is_definite = False

    def select(self, value: JSON, _root: JSON, out: list[JSON]) -> None:
        if isinstance(value, list):
            size = len(value)
            out.extend(value[index] for index in self.indexes if -size <= index < size)

    def fragment(self) -> str:
        return "[" + ",".join(str(index) for index in self.indexes) + "]"


@dataclass(frozen=True)
class _Slice:
    start: int | None
    stop: int | None
    is_definite = False

    def select(self, value: JSON, _root: JSON, out: list[JSON]) -> None:
        if isinstance(value, list):
            out.extend(value[self.start : self.stop])

    def fragment(self) -> str:
        start = "" if self.start is None else str(self.start)
        stop = "" if self.stop is None else str(self.stop)
        return f"[{start}:{stop}]"


@dataclass(frozen=True)
class _Wildcard:
    is_definite = False

    def select(self, value: JSON, _root: JSON, out: list[JSON]) -> None:
        if isinstance(value, dict):
            out.extend(value.values())
        elif isinstance(value, list):
            out.extend(value)

    def fragment(self) -> str:
        return "[*]"


def _descendants(value: JSON) -> Iterator[JSON]:
    """The value and everything inside it, parents before children (Jayway's scan order)."""
    yield value
    children = value.values() if isinstance(value, dict) else value
    if isinstance(value, dict | list):
        for child in children:
            yield from _descendants(child)


@dataclass(frozen=True)
class _Descent:
    """``..step``: the inner step applied at every depth."""

    inner: _Step
    is_definite = False

    def select(self, value: JSON, root: JSON, out: list[JSON]) -> None:
        for node in _descendants(value):
            self.inner.select(node, root, out)

    def fragment(self) -> str:
        return ".." + self.inner.fragment()


@dataclass(frozen=True)
class _Filter:
    """``[?(...)]``: array elements (or an object itself) for which the predicate holds."""

    predicate: Callable[[JSON, JSON], bool] = field(compare=False)
    is_definite = False

    def select(self, value: JSON, root: JSON, out: list[JSON]) -> None:
        if isinstance(value, list):
            out.extend(item for item in value if self.predicate(item, root))
        elif isinstance(value, dict) and self.predicate(value, root):
            out.append(value)

    def fragment(self) -> str:
        return "[?]"


_Step = _Name | _Names | _Index | _Indexes | _Slice | _Wildcard | _Descent | _Filter
"""One step of a path: ``select`` appends its matches, ``fragment`` is how Jayway prints it.

Definite steps (``_Name``, ``_Names``, ``_Index``) also have ``one``: the single match or
``_NoMatch``.
"""
_DefiniteStep = _Name | _Names | _Index


def _render(steps: tuple[_Step, ...]) -> str:
    return "$" + "".join(step.fragment() for step in steps)


def _select_all(steps: tuple[_Step, ...], value: JSON, root: JSON) -> list[JSON]:
    current = [value]
    for step in steps:
        found: list[JSON] = []
        for item in current:
            step.select(item, root, found)
        current = found
    return current


# --- parsing -----------------------------------------------------------------------------------

_VARIABLE = re.compile(r"\$([^\W\d]\w*)")
_INTEGER = re.compile(r"\s*(-?\d+)\s*")
_SLICE = re.compile(r"\s*(-?\d+)?\s*:\s*(-?\d+)?\s*")
# Characters that end a dot-notation name inside a filter (outside one, only . [ ( and space).
_FILTER_STOPS = frozenset(" .[()=!<>&|,~")
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

    def steps(self, stops: frozenset[str]) -> tuple[_Step, ...]:
        """Steps until the text ends or (inside a filter) a character that is no path's."""
        steps: list[_Step] = []
        while not self.at_end():
            char = self.peek()
            if self.peek(2) == "..":
                self.position += 2
                steps.append(_Descent(self.step_after_descent(stops)))
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

    def step_after_descent(self, stops: frozenset[str]) -> _Step:
        return self.bracket() if self.peek() == "[" else self.dotted(stops)

    def dotted(self, stops: frozenset[str]) -> _Step:
        start = self.position
        while not self.at_end() and self.peek() not in stops:
            self.position += 1
        name = self.text[start : self.position]
        if not name or self.peek() == "(":
            raise self.fail()
        return _Wildcard() if name == "*" else _Name(name)

    def bracket(self) -> _Step:
        self.expect("[")
        self.skip_blanks()
        char = self.peek()
        if char in "'\"":
            step: _Step = self.quoted_names()
        elif char == "*":
            self.position += 1
            step = _Wildcard()
        elif char == "?":
            self.position += 1
            self.expect("(")
            step = _Filter(_FilterParser(self).disjunction())
            self.expect(")")
        else:
            step = self.numbers()
        self.expect("]")
        return step

    def quoted_names(self) -> _Step:
        names = [self.quoted()]
        self.skip_blanks()
        while self.peek() == ",":
            self.position += 1
            self.skip_blanks()
            names.append(self.quoted())
            self.skip_blanks()
        return _Name(names[0]) if len(names) == 1 else _Names(tuple(names))

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

    def numbers(self) -> _Step:
        end = self.text.find("]", self.position)
        body = self.text[self.position : end] if end >= 0 else ""
        self.position += len(body)
        if ":" in body:
            match = _SLICE.fullmatch(body)
            if match is None:
                raise self.fail()
            start, stop = match.groups()
            return _Slice(
                None if start is None else int(start), None if stop is None else int(stop)
            )
        parts = body.split(",")
        matches = [_INTEGER.fullmatch(part) for part in parts]
        indexes = tuple(int(match.group(1)) for match in matches if match is not None)
        if len(indexes) != len(parts):
            raise self.fail()
        return _Index(indexes[0]) if len(indexes) == 1 else _Indexes(indexes)


def _parse(text: str) -> tuple[str, str, tuple[_Step, ...]]:
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


# --- filters -----------------------------------------------------------------------------------

_UNDEFINED: JSON = object()
Predicate = Callable[[JSON, JSON], bool]
Operand = Callable[[JSON, JSON], JSON]
_SYMBOLS = ("==", "!=", "<=", ">=", "=~", "<", ">")
_WORDS = re.compile(r"(nin|in|subsetof|anyof|noneof|size|empty|contains)(?![\w])")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
_BARE_WORD = re.compile(r"[^\s()=!<>&|,~]+")
_REGEX = re.compile(r"/((?:[^/\\]|\\.)*)/([imsx]*)")


def _is_number(value: JSON) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(left: JSON, right: JSON) -> bool:
    """JSON equality: numbers by value (1 == 1.0), booleans never equal to numbers."""
    if _is_number(left) and _is_number(right):
        return bool(left == right)
    return type(left) is type(right) and bool(left == right)


def _order(left: JSON, right: JSON) -> int | None:
    """Jayway orders numbers with numbers and strings with strings; other pairs do not compare."""
    if (_is_number(left) and _is_number(right)) or (
        isinstance(left, str) and isinstance(right, str)
    ):
        return int(left > right) - int(left < right)
    return None


def _less(left: JSON, right: JSON) -> bool:
    order = _order(left, right)
    return order is not None and order < 0


def _less_or_equal(left: JSON, right: JSON) -> bool:
    order = _order(left, right)
    return order is not None and order <= 0


def _contains(container: JSON, item: JSON) -> bool:
    if isinstance(container, list):
        return any(_same(element, item) for element in container)
    if isinstance(container, str) and isinstance(item, str):
        return item in container
    return False


def _matches(value: JSON, pattern: JSON) -> bool:
    """``=~``: the whole string matches (Java's ``Matcher.matches``)."""
    if isinstance(value, str) and isinstance(pattern, re.Pattern):
        return pattern.fullmatch(value) is not None
    return False


def _subset(left: JSON, right: JSON) -> bool:
    if not isinstance(left, list) or not isinstance(right, list):
        return False
    return all(_contains(right, item) for item in left)


def _overlaps(left: JSON, right: JSON) -> bool:
    if not isinstance(left, list) or not isinstance(right, list):
        return False
    return any(_contains(right, item) for item in left)


def _size(value: JSON) -> int | None:
    return len(value) if isinstance(value, list | str) else None


_COMPARISONS: dict[str, Callable[[JSON, JSON], bool]] = {
    "==": _same,
    "!=": lambda left, right: not _same(left, right),
    "<": _less,
    "<=": _less_or_equal,
    ">": lambda left, right: _less(right, left),
    ">=": lambda left, right: _less_or_equal(right, left),
    "=~": _matches,
    "in": lambda left, right: _contains(right, left) if isinstance(right, list) else False,
    "nin": lambda left, right: isinstance(right, list) and not _contains(right, left),
    "contains": _contains,
    "subsetof": _subset,
    "anyof": _overlaps,
    "noneof": lambda left, right: isinstance(left, list) and not _overlaps(left, right),
    "size": lambda left, right: _size(left) is not None and _same(_size(left), right),
    "empty": lambda left, right: _size(left) is not None and (_size(left) == 0) is right,
}


def _constant(value: JSON) -> Operand:
    def read(_item: JSON, _root: JSON) -> JSON:
        return value

    return read


class _FilterParser:
    """The filter language: ``||``, ``&&``, ``!``, parentheses, comparisons, existence."""

    def __init__(self, parser: _Parser) -> None:
        self.parser = parser

    def disjunction(self) -> Predicate:
        terms = [self.conjunction()]
        while self.accept("||"):
            terms.append(self.conjunction())
        if len(terms) == 1:
            return terms[0]
        return lambda item, root: any(term(item, root) for term in terms)

    def conjunction(self) -> Predicate:
        terms = [self.unary()]
        while self.accept("&&"):
            terms.append(self.unary())
        if len(terms) == 1:
            return terms[0]
        return lambda item, root: all(term(item, root) for term in terms)

    def accept(self, token: str) -> bool:
        parser = self.parser
        parser.skip_blanks()
        if parser.text.startswith(token, parser.position):
            parser.position += len(token)
            return True
        return False

    def unary(self) -> Predicate:
        if self.accept("!"):
            inner = self.unary()
            return lambda item, root: not inner(item, root)
        if self.accept("("):
            grouped = self.disjunction()
            self.parser.expect(")")
            return grouped
        return self.comparison()

    def comparison(self) -> Predicate:
        left, is_path = self.operand()
        operator = self.operator()
        if operator is None:
            if not is_path:
                raise self.parser.fail()
            return lambda item, root: left(item, root) is not _UNDEFINED
        right, _ = self.operand()
        test = _COMPARISONS[operator]
        if operator == "!=":
            return lambda item, root: test(left(item, root), right(item, root))

        def compare(item: JSON, root: JSON) -> bool:
            value = left(item, root)
            return value is not _UNDEFINED and test(value, right(item, root))

        return compare

    def operator(self) -> str | None:
        parser = self.parser
        parser.skip_blanks()
        for symbol in _SYMBOLS:
            if parser.text.startswith(symbol, parser.position):
                parser.position += len(symbol)
                return symbol
        word = _WORDS.match(parser.text, parser.position)
        if word is None:
            return None
        parser.position = word.end()
        return word.group(1)

    def operand(self) -> tuple[Operand, bool]:
        parser = self.parser
        parser.skip_blanks()
        char = parser.peek()
        if char in "@$":
            return self.path(), True
        if char in "'\"":
            return _constant(parser.quoted()), False
        return self.literal(), False

    def path(self) -> Operand:
        parser = self.parser
        relative = parser.peek() == "@"
        parser.position += 1
        steps = parser.steps(_FILTER_STOPS)
        definite = all(step.is_definite for step in steps)

        def read(item: JSON, root: JSON) -> JSON:
            found = _select_all(steps, item if relative else root, root)
            if definite:
                return found[0] if found else _UNDEFINED
            return found

        return read

    def literal(self) -> Operand:
        parser = self.parser
        rest = parser.text[parser.position :]
        regex = _REGEX.match(rest)
        if regex is not None:
            parser.position += regex.end()
            flags = sum(getattr(re, flag.upper()) for flag in regex.group(2))
            pattern = re.compile(regex.group(1), flags)
            return _constant(pattern)
        if rest[:1] in "[{":
            constant = self.json_literal(rest)
        elif (number := _NUMBER.match(rest)) is not None:
            parser.position += number.end()
            constant = jsontext.loads(number.group(0))
        else:
            constant = self.word(rest)
        return _constant(constant)

    def json_literal(self, rest: str) -> JSON:
        closing = "]" if rest[0] == "[" else "}"
        for end in range(len(rest), 0, -1):
            if rest[end - 1] != closing:
                continue
            try:
                value = jsontext.loads(rest[:end].replace("'", '"'))
            except ValueError:
                continue
            self.parser.position += end
            return value
        raise self.parser.fail()

    def word(self, rest: str) -> JSON:
        """``true``, ``false``, ``null``, or a bare word read as a string.

        Jayway would reject a bare word; definitions in the wild use ``@.Type == AMOUNT`` and
        AWS accepts them, so a bare word is taken as the string it spells.
        """
        match = _BARE_WORD.match(rest)
        if match is None:
            raise self.parser.fail()
        self.parser.position += match.end()
        word = match.group(0)
        return {"true": True, "false": False, "null": None}.get(word, word)


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
            raise _NoMatch from None
        return value

    return read


def _step_walker(steps: tuple[_DefiniteStep, ...]) -> Callable[[JSON], JSON]:
    def read(value: JSON) -> JSON:
        for step in steps:
            value = step.one(value)
        return value

    return read


def _explain(steps: tuple[_DefiniteStep, ...], value: JSON) -> str:
    """Jayway's message for a definite path that found nothing (computed only on failure)."""
    rendered = "$"
    for step in steps[:-1]:
        if isinstance(step, _Name) and isinstance(value, dict) and step.name not in value:
            return f"Missing property in path {rendered}{step.fragment()}"
        try:
            value = step.one(value)
        except _NoMatch:
            break
        rendered += step.fragment()
    return f"No results for path: {_render(steps)}"


def _root_reader(root: str, name: str) -> Callable[[Scope], JSON]:
    if root == "$$":
        return lambda scope: scope.context
    if root == "$":
        return lambda scope: scope.data

    def variable(scope: Scope) -> JSON:
        try:
            return scope.variables[name]
        except KeyError:
            raise _NoMatch from None

    return variable


def _definite(
    text: str, root: Callable[[Scope], JSON], steps: tuple[_DefiniteStep, ...]
) -> JsonPath:
    if all(isinstance(step, _Name) for step in steps):
        read = _name_walker(tuple(step.name for step in steps if isinstance(step, _Name)))
    else:
        read = _step_walker(steps)

    def evaluate(scope: Scope) -> JSON:
        try:
            base = root(scope)
        except _NoMatch:
            raise PathNotFound(text, f"No results for path: {text}") from None
        try:
            return read(base)
        except _NoMatch:
            raise PathNotFound(text, _explain(steps, base)) from None

    return JsonPath(text, evaluate, True)


def _indefinite(text: str, root: Callable[[Scope], JSON], steps: tuple[_Step, ...]) -> JsonPath:
    def evaluate(scope: Scope) -> JSON:
        try:
            base = root(scope)
        except _NoMatch:
            raise PathNotFound(text, f"No results for path: {text}") from None
        return _select_all(steps, base, base)

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
        if isinstance(step, _Names):
            # Jayway (as AWS runs it) refuses a multi-name step that is not the last one, but
            # only when the path is evaluated: AWS reports it at run time, not on creation.
            prefix = _render(steps[: position + 1])
            return _always_failing(
                text, f"Multi properties can only be used as path leafs: {prefix}"
            )
    reader = _root_reader(root, name)
    definite = tuple(step for step in steps if isinstance(step, _Name | _Names | _Index))
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
        if isinstance(step, _Name):
            keys.append(step.name)
        elif isinstance(step, _Index):
            keys.append(step.index)
        else:
            raise InvalidPath(text)
    return ReferencePath(text, tuple(keys))
