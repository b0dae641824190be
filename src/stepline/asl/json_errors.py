"""Why a JSON text does not parse, worded as AWS's parser (Jackson) words it.

AWS quotes its parser's complaint in InvalidDefinition diagnostics and InvalidExecutionInput
errors: ``Unrecognized token 'not': was expecting (JSON String, ...)`` for a bare word,
``Unexpected character (''' (code 39)): was expecting double-quote to start field name`` for
a single-quoted key. Python's decoder says the same things in other words; this module maps
one wording onto the other.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

_TOKEN = re.compile(r"[A-Za-z0-9_]+")
EXPECTED_VALUE = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
# What Jackson says it expected, for each complaint of Python's decoder.
_EXPECTATIONS = {
    "Expecting value": f"expected a valid value {EXPECTED_VALUE}",
    "Expecting property name enclosed in double quotes": (
        "was expecting double-quote to start field name"
    ),
    "Expecting ':' delimiter": "was expecting a colon to separate field name and value",
    "Extra data": "expected end-of-input",
}


_CONTAINERS = {"{": "Object", "[": "Array"}


@dataclass(frozen=True)
class JsonSyntaxError:
    """The parser's complaint, and the 1-based line and column it points at."""

    reason: str
    line: int
    column: int


def json_syntax_error(text: str, error: json.JSONDecodeError) -> JsonSyntaxError:
    """The complaint about ``text`` that made ``json.loads`` raise ``error``."""
    token = _TOKEN.match(text, error.pos)
    if token is not None and error.msg == "Expecting value":
        reason = f"Unrecognized token '{token.group(0)}': was expecting {EXPECTED_VALUE}"
        return JsonSyntaxError(reason, error.lineno, error.colno + len(token.group(0)))
    if error.pos >= len(text):
        opener = _innermost_opener(text, error.pos)
        closing = f"expected close marker for {_CONTAINERS[opener]}" if opener else error.msg
        return JsonSyntaxError(f"Unexpected end-of-input: {closing}", error.lineno, error.colno)
    character = text[error.pos]
    reason = f"Unexpected character ('{character}' (code {ord(character)})): {_expected(error)}"
    return JsonSyntaxError(reason, error.lineno, error.colno)


def _expected(error: json.JSONDecodeError) -> str:
    if error.msg == "Expecting ',' delimiter":
        opener = _innermost_opener(error.doc, error.pos) or "{"
        return f"was expecting comma to separate {_CONTAINERS[opener]} entries"
    return _EXPECTATIONS.get(error.msg, error.msg)


def _innermost_opener(text: str, end: int) -> str | None:
    """The bracket (``{`` or ``[``) still open at ``end``, strings skipped."""
    stack: list[str] = []
    in_string = escaped = False
    for character in text[:end]:
        if in_string:
            in_string = escaped or character != '"'
            escaped = not escaped and character == "\\"
        elif character == '"':
            in_string = True
        elif character in "{[":
            stack.append(character)
        elif character in "}]" and stack:
            stack.pop()
    return stack[-1] if stack else None
