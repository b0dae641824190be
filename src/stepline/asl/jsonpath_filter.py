"""The JSONPath filter language: what may stand inside ``[?(...)]``, compiled to predicates.

A filter combines comparisons with ``||``, ``&&``, ``!`` and parentheses. Operands are ``@``
(the element under test) and ``$`` (the document) paths, quoted strings, numbers, JSON literals,
``/regex/flags``, ``true``/``false``/``null`` and bare words. Comparisons follow Jayway: numbers
order with numbers, strings with strings, and a missing left-hand path makes any test but ``!=``
false.

The filter reads its text through the path parser that met the ``[?(``, described here as
``PathReader`` so that this module depends only on the steps, not on the parser itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Protocol

from stepline.asl import jsontext
from stepline.asl.jsonpath_steps import Predicate, Step, select_all
from stepline.asl.scope import JSON

__all__ = ["FilterParser", "Operand", "PathReader"]

_UNDEFINED: JSON = object()
Operand = Callable[[JSON, JSON], JSON]
_SYMBOLS = ("==", "!=", "<=", ">=", "=~", "<", ">")
_WORDS = re.compile(r"(nin|in|subsetof|anyof|noneof|size|empty|contains)(?![\w])")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
_BARE_WORD = re.compile(r"[^\s()=!<>&|,~]+")
_REGEX = re.compile(r"/((?:[^/\\]|\\.)*)/([imsx]*)")
# Characters that end a dot-notation name inside a filter (outside one, only . [ ( and space).
_FILTER_STOPS = frozenset(" .[()=!<>&|,~")


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


class PathReader(Protocol):
    """What the filter needs of the path parser: its text, a cursor over it, and path steps."""

    text: str
    position: int

    def fail(self) -> Exception: ...

    def peek(self, count: int = 1) -> str: ...

    def skip_blanks(self) -> None: ...

    def expect(self, token: str) -> None: ...

    def quoted(self) -> str: ...

    def steps(self, stops: frozenset[str]) -> tuple[Step, ...]: ...


class FilterParser:
    """The filter language: ``||``, ``&&``, ``!``, parentheses, comparisons, existence."""

    def __init__(self, parser: PathReader) -> None:
        self.parser = parser

    def disjunction(self) -> Predicate:
        return self.chain("||", self.conjunction, any)

    def conjunction(self) -> Predicate:
        return self.chain("&&", self.unary, all)

    def chain(
        self, token: str, term: Callable[[], Predicate], combine: Callable[[Iterable[bool]], bool]
    ) -> Predicate:
        """Terms joined by ``token``, combined (short-circuiting) by ``any`` or ``all``."""
        terms = [term()]
        while self.accept(token):
            terms.append(term())
        if len(terms) == 1:
            return terms[0]
        return lambda item, root: combine(test(item, root) for test in terms)

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
            found = select_all(steps, item if relative else root, root)
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
