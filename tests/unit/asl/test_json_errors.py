"""Malformed JSON described as AWS's parser describes it."""

from __future__ import annotations

import json

import pytest

from stepline.asl.json_errors import EXPECTED_VALUE, json_syntax_error


def _reason(text: str) -> tuple[str, int, int]:
    with pytest.raises(json.JSONDecodeError) as raised:
        json.loads(text)
    found = json_syntax_error(text, raised.value)
    return found.reason, found.line, found.column


@pytest.mark.parametrize(
    ("text", "reason", "column"),
    [
        # The two AWS recorded for StartExecution's input.
        ("not some json", f"Unrecognized token 'not': was expecting {EXPECTED_VALUE}", 4),
        (
            "{'not': 'json'",
            "Unexpected character (''' (code 39)): was expecting double-quote to start field name",
            2,
        ),
        ("$", f"Unexpected character ('$' (code 36)): expected a valid value {EXPECTED_VALUE}", 1),
        (
            '{"a" 1}',
            "Unexpected character ('1' (code 49)): was expecting a colon to separate field name "
            "and value",
            6,
        ),
        (
            "[1 2]",
            "Unexpected character ('2' (code 50)): was expecting comma to separate Array entries",
            4,
        ),
        (
            '{"a":1 "b":2}',
            "Unexpected character ('\"' (code 34)): was expecting comma to separate Object entries",
            8,
        ),
        ('{"a":1}x', "Unexpected character ('x' (code 120)): expected end-of-input", 8),
        ('{"a":[1,2', "Unexpected end-of-input: expected close marker for Array", 10),
        ('{"a":', "Unexpected end-of-input: expected close marker for Object", 6),
    ],
)
def test_reasons_read_as_jacksons(text: str, reason: str, column: int) -> None:
    assert _reason(text) == (reason, 1, column)


def test_brackets_inside_strings_and_escaped_quotes_do_not_confuse_the_container() -> None:
    text = '{"a\\"[": [1, {"b": "}"} 3]}'
    assert _reason(text)[0].endswith("was expecting comma to separate Array entries")


def test_lines_are_counted() -> None:
    assert _reason('{\n  "a": tru\n}')[1:] == (2, 11)
