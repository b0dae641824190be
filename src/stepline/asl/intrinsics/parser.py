"""A small hand-written parser that turns an intrinsic call into one closure over its arguments.

Grammar (whitespace allowed between tokens)::

    call      := NAME '(' [argument (',' argument)*] ')'      NAME: one of catalog.FUNCTIONS
    argument  := call | string | number | 'true' | 'false' | 'null' | path
    string    := "'" (char | '\\'' | '\\{' | '\\}' | '\\\\')* "'"
    path      := '$' ... up to the next ',' or ')' outside brackets and parentheses

Everything is resolved here, once: literals become constants, paths compiled ``JsonPath``
evaluators, and each call a closure that evaluates its arguments and applies its function.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from stepline.asl.errors import StatesRuntime
from stepline.asl.intrinsics.catalog import FUNCTIONS, Function
from stepline.asl.intrinsics.strings import FORMAT, format_segments, split_literal_template
from stepline.asl.jsonpath import compile_path
from stepline.asl.scope import JSON, Scope

Evaluator = Callable[[Scope], JSON]

MAX_NESTING = 10
"""AWS documents at most 10 intrinsic functions nested within one field."""

_NAME = re.compile(r"States\.[A-Za-z0-9]+")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?(?![A-Za-z0-9_.])")
_KEYWORDS: dict[str, JSON] = {"true": True, "false": False, "null": None}
_KEYWORD = re.compile(r"(true|false|null)(?![A-Za-z0-9_])")
_ESCAPABLE = "'{}\\"
_SPACES = " \t\r\n"


class InvalidIntrinsic(ValueError):
    """The text is not an intrinsic call AWS accepts; ``reason`` says what is wrong."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"Invalid intrinsic function call {text!r}: {reason}")
        self.text = text
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Intrinsic:
    """A compiled call; ``evaluate(scope)`` returns its value or raises a ``StatesError``."""

    text: str
    evaluate: Evaluator = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class _Argument:
    evaluate: Evaluator
    template: str | None = None
    """For a string literal, its text as written (escapes kept): a Format template needs them."""


def compile_intrinsic(text: str) -> Intrinsic:
    """Parse ``States.Name(arguments...)`` into an ``Intrinsic``; raise ``InvalidIntrinsic``."""
    parser = _Parser(text)
    parser.skip_spaces()
    call = parser.call(1)
    parser.skip_spaces()
    if parser.position != len(text):
        raise parser.error("unexpected text after the call")
    return Intrinsic(text, call.evaluate)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0

    def error(self, reason: str) -> InvalidIntrinsic:
        return InvalidIntrinsic(self.text, f"{reason} at position {self.position}")

    def skip_spaces(self) -> None:
        while self.position < len(self.text) and self.text[self.position] in _SPACES:
            self.position += 1

    def take(self, token: str) -> bool:
        self.skip_spaces()
        if self.text.startswith(token, self.position):
            self.position += len(token)
            return True
        return False

    def call(self, depth: int) -> _Argument:
        match = _NAME.match(self.text, self.position)
        if match is None:
            raise self.error("expected an intrinsic function such as States.Format(...)")
        name = match.group()
        function = FUNCTIONS.get(name)
        if function is None:
            raise self.error(f"unknown intrinsic function {name}")
        if depth > MAX_NESTING:
            raise self.error(f"more than {MAX_NESTING} intrinsic functions are nested")
        self.position = match.end()
        if not self.take("("):
            raise self.error(f"expected '(' after {name}")
        arguments = self.arguments(depth)
        if not function.accepts(len(arguments)):
            raise InvalidIntrinsic(
                self.text,
                f"{name} takes {function.expected()} arguments but {len(arguments)} were given",
            )
        return _Argument(self.bind(name, function, arguments))

    def arguments(self, depth: int) -> list[_Argument]:
        arguments: list[_Argument] = []
        if self.take(")"):
            return arguments
        while True:
            arguments.append(self.argument(depth))
            if self.take(")"):
                return arguments
            if not self.take(","):
                raise self.error("expected ',' or ')'")

    def argument(self, depth: int) -> _Argument:
        self.skip_spaces()
        if self.text.startswith("'", self.position):
            return self.string()
        if self.text.startswith("$", self.position):
            return self.path()
        if self.text.startswith("States.", self.position):
            return self.call(depth + 1)
        return self.literal()

    def literal(self) -> _Argument:
        keyword = _KEYWORD.match(self.text, self.position)
        if keyword is not None:
            self.position = keyword.end()
            return _constant(_KEYWORDS[keyword.group()])
        number = _NUMBER.match(self.text, self.position)
        if number is None:
            raise self.error("expected an argument (a string, number, boolean, null, path or call)")
        self.position = number.end()
        is_integer = number.group(1) is None and number.group(2) is None
        return _constant(int(number.group()) if is_integer else float(number.group()))

    def string(self) -> _Argument:
        start = self.position + 1
        position = start
        characters: list[str] = []
        has_open_escape = False
        while position < len(self.text) and self.text[position] != "'":
            if self.text[position] == "\\" and position + 1 < len(self.text):
                escaped = self.text[position + 1]
                has_open_escape = has_open_escape or escaped not in _ESCAPABLE
                characters.append(escaped)
                position += 2
            else:
                characters.append(self.text[position])
                position += 1
        if position >= len(self.text):
            raise self.error("unterminated string literal")
        self.position = position + 1
        if has_open_escape:
            return _Argument(_open_escape(self.text[start - 1 : self.position]))
        return _Argument(_constant("".join(characters)).evaluate, self.text[start:position])

    def path(self) -> _Argument:
        end = _path_end(self.text, self.position)
        text = self.text[self.position : end].rstrip(_SPACES)
        try:
            compiled = compile_path(text)
        except ValueError as error:
            raise self.error(f"invalid path {text!r} ({error})") from error
        self.position = end
        return _Argument(compiled.evaluate)

    def bind(self, name: str, function: Function, arguments: Sequence[_Argument]) -> Evaluator:
        if name == FORMAT and arguments[0].template is not None:
            return self.bind_format(arguments[0].template, arguments[1:])
        evaluators = [argument.evaluate for argument in arguments]
        if function.reads_ambient:
            return _bind_ambient(function.implementation, evaluators)
        return _bind(function.implementation, evaluators)

    def bind_format(self, template: str, arguments: Sequence[_Argument]) -> Evaluator:
        """Split a literal template once, and check its placeholders against the values now."""
        segments = split_literal_template(template)
        if len(segments) - 1 != len(arguments):
            raise InvalidIntrinsic(
                self.text,
                f"{FORMAT} has {len(segments) - 1} placeholders but {len(arguments)} values",
            )
        evaluators = [argument.evaluate for argument in arguments]
        return lambda scope: format_segments(segments, [value(scope) for value in evaluators])


def _path_end(text: str, position: int) -> int:
    """Where a path argument ends: the first ',' or ')' outside brackets, parentheses and quotes."""
    brackets = parentheses = 0
    quote = ""
    while position < len(text):
        character = text[position]
        if quote:
            if character == "\\":
                position += 1
            elif character == quote:
                quote = ""
        elif character in "'\"" and brackets:
            quote = character
        elif character in "[]":
            brackets += 1 if character == "[" else -1
        elif character == "(":
            parentheses += 1
        elif character in ",)" and not brackets and not parentheses:
            return position
        elif character == ")":
            parentheses -= 1
        position += 1
    return position


def _constant(value: JSON) -> _Argument:
    return _Argument(lambda _scope: value)


def _open_escape(literal: str) -> Evaluator:
    """AWS documents an unknown escape (a backslash before other than ' { } \\) as a run-time
    error, so the definition is accepted and the call fails when it runs."""

    def evaluate(_scope: Scope) -> JSON:
        raise StatesRuntime(f"The string literal {literal} contains an open escape character")

    return evaluate


def _bind(implementation: Callable[..., JSON], evaluators: Sequence[Evaluator]) -> Evaluator:
    """One closure per call, specialised by argument count: no list is built for the usual cases."""
    if not evaluators:
        return lambda _scope: implementation()
    if len(evaluators) == 1:
        (only,) = evaluators
        return lambda scope: implementation(only(scope))
    if len(evaluators) == 2:
        first, second = evaluators
        return lambda scope: implementation(first(scope), second(scope))
    return lambda scope: implementation(*[evaluate(scope) for evaluate in evaluators])


def _bind_ambient(
    implementation: Callable[..., JSON], evaluators: Sequence[Evaluator]
) -> Evaluator:
    """A call whose implementation reads the scope's ambient (the time, random draws) first."""
    return lambda scope: implementation(
        scope.ambient, *[evaluate(scope) for evaluate in evaluators]
    )
