"""Intrinsic functions: parsing, each function's rules, AWS-recorded results and failures."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from stepline.asl.errors import StatesIntrinsicFailure, StatesRuntime
from stepline.asl.intrinsics import FUNCTION_NAMES, InvalidIntrinsic, compile_intrinsic
from stepline.asl.jsonpath import PathNotFound
from stepline.asl.scope import JSON, Scope

CASES = Path(__file__).parents[2] / "data" / "conformance" / "cases.jsonl"

DATA = {
    "name": "Arnav",
    "template": "Hello, my name is {}.",
    "counter": {"i": 41},
    "items": [1, 2, 3, 4, 5, 6, 7, 8, 9],
    "text": "Data to encode",
    "object": {"a": 1, "b": [True, None]},
}
CONTEXT = {"StateMachine": {"Id": "arn:aws:states:::stateMachine:m", "Name": "m"}}


def run(text: str, data: JSON = None, variables: dict[str, JSON] | None = None) -> JSON:
    scope = Scope(DATA if data is None else data, CONTEXT, variables or {})
    return compile_intrinsic(text).evaluate(scope)


def failure(text: str, data: JSON = None) -> str:
    with pytest.raises(StatesIntrinsicFailure) as caught:
        run(text, data)
    assert caught.value.error == "States.IntrinsicFailure"
    return caught.value.cause


def invalid(text: str) -> str:
    with pytest.raises(InvalidIntrinsic) as caught:
        compile_intrinsic(text)
    assert caught.value.text == text
    return caught.value.reason


# --- parsing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("States.Array()", []),
        (
            "States.Array( 'a' ,1 , -2 ,1.5, -0.25, 1e3, true, false, null )",
            ["a", 1, -2, 1.5, -0.25, 1000.0, True, False, None],
        ),
        (" States.Array ( 1 ) ", [1]),
        (
            "States.Array('it\\'s', '\\{\\}', 'back\\\\slash', '{raw}')",
            ["it's", "{}", "back\\slash", "{raw}"],
        ),
        ("States.Array('a,b)', 'Hello\nWorld')", ["a,b)", "Hello\nWorld"]),
        ("States.Array($.name, $$.StateMachine.Name, $v)", ["Arnav", "m", "variable"]),
        ("States.Array($.items[0:2], $['name'])", [[1, 2], "Arnav"]),
        ("States.Array($.items[?(@ > 8)])", [[9]]),
        ("States.Array($['a,b)'], $[\"q'\"], $['q\\'r)'])", [1, 2, 3]),
        ("States.Array(States.Array(States.Array()))", [[[]]]),
    ],
)
def test_arguments_are_literals_paths_and_calls(text: str, expected: JSON) -> None:
    data = dict(DATA, **{"a,b)": 1, "q'": 2, "q'r)": 3})
    assert run(text, data, {"v": "variable"}) == expected


def test_integer_and_decimal_literals_keep_their_type() -> None:
    values = run("States.Array(2, 2.0, -0)")
    assert [type(value) for value in values] == [int, float, int]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "expected an intrinsic function such as States.Format(...) at position 0"),
        ("$.name", "expected an intrinsic function such as States.Format(...) at position 0"),
        ("States.Nope(1)", "unknown intrinsic function States.Nope at position 0"),
        ("States.array()", "unknown intrinsic function States.array at position 0"),
        ("States.Array", "expected '(' after States.Array at position 12"),
        ("States.Array(1", "expected ',' or ')' at position 14"),
        ("States.Array(1 2)", "expected ',' or ')' at position 15"),
        (
            "States.Array(1,)",
            "expected an argument (a string, number, boolean, null, path or call) at position 15",
        ),
        ("States.Array(1) x", "unexpected text after the call at position 16"),
        ("States.Array('abc)", "unterminated string literal at position 13"),
        ("States.Array('abc\\", "unterminated string literal at position 13"),
        (
            "States.Array(truth)",
            "expected an argument (a string, number, boolean, null, path or call) at position 13",
        ),
        (
            "States.Array(01)",
            "expected an argument (a string, number, boolean, null, path or call) at position 13",
        ),
        (
            "States.Array(1.)",
            "expected an argument (a string, number, boolean, null, path or call) at position 13",
        ),
        ("States.Array($)x)", "unexpected text after the call at position 15"),
        ("States.Array($.name", "expected ',' or ')' at position 19"),
    ],
)
def test_syntax_errors_name_the_problem(text: str, reason: str) -> None:
    assert invalid(text) == reason


def test_invalid_path_argument_is_a_definition_error() -> None:
    assert invalid("States.Array($..)").startswith("invalid path '$..'")
    # Parentheses outside brackets stay part of the path (Jayway's functions), and are refused.
    assert invalid("States.Array($.items.length(), 1)").startswith(
        "invalid path '$.items.length()'"
    )


def test_invalid_intrinsic_is_a_value_error_quoting_the_text() -> None:
    with pytest.raises(ValueError, match=r"Invalid intrinsic function call 'States\.Nope\(\)'"):
        compile_intrinsic("States.Nope()")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("States.Format()", "States.Format takes at least 1 arguments but 0 were given"),
        ("States.MathAdd(1)", "States.MathAdd takes 2 arguments but 1 were given"),
        ("States.UUID(1)", "States.UUID takes 0 arguments but 1 were given"),
        ("States.MathRandom(1)", "States.MathRandom takes 2 to 3 arguments but 1 were given"),
        ("States.JsonMerge($.a, $.b)", "States.JsonMerge takes 3 arguments but 2 were given"),
        (
            "States.Array(States.ArrayLength())",
            "States.ArrayLength takes 1 arguments but 0 were given",
        ),
        ("States.Format('{} and {}', 1)", "States.Format has 2 placeholders but 1 values"),
        ("States.Format('none', 1)", "States.Format has 0 placeholders but 1 values"),
    ],
)
def test_argument_counts_are_checked_when_compiled(text: str, reason: str) -> None:
    assert invalid(text) == reason


def test_nesting_is_limited_to_ten_calls() -> None:
    ten = "States.Array(" * 10 + ")" * 10
    assert run(ten) == json.loads("[" * 10 + "]" * 10)
    assert invalid("States.Array(" * 11 + ")" * 11) == (
        "more than 10 intrinsic functions are nested at position 130"
    )


def test_catalog_names_the_eighteen_functions() -> None:
    assert len(FUNCTION_NAMES) == 18
    assert all(name.startswith("States.") for name in FUNCTION_NAMES)


def test_open_escape_fails_when_run_not_when_compiled() -> None:
    compiled = compile_intrinsic("States.Array('a\\nb')")
    with pytest.raises(StatesRuntime) as caught:
        compiled.evaluate(Scope({}, {}, {}))
    assert caught.value.cause == "The string literal 'a\\nb' contains an open escape character"


def test_missing_path_propagates_for_the_template_to_report() -> None:
    with pytest.raises(PathNotFound):
        run("States.MathAdd($.counter.missing, 1)")


def test_compiled_intrinsic_is_reusable_and_keeps_its_text() -> None:
    compiled = compile_intrinsic("States.MathAdd($.counter.i, 1)")
    assert compiled.text == "States.MathAdd($.counter.i, 1)"
    assert [compiled.evaluate(Scope({"counter": {"i": n}}, {}, {})) for n in range(3)] == [1, 2, 3]


# --- States.Format ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("States.Format('Hello, my name is {}.', $.name)", "Hello, my name is Arnav."),
        ("States.Format($.template, $.name)", "Hello, my name is Arnav."),
        ("States.Format('{}{}', 'a', 'b')", "ab"),
        ("States.Format('\\{\\} {} \\\\ \\'', 1)", "{} 1 \\ '"),
        ("States.Format('{ {}', 1)", "{ 1"),
        ("States.Format('{} {} {} {}', null, true, false, -3)", "null true false -3"),
        ("States.Format('{} {} {} {}', 1.1, 1.0, 0.001, 1234567.5)", "1.1 1.0 0.001 1234567.5"),
        ("States.Format('{} {} {}', 1e20, 0.0001, -12345678.9)", "1.0E20 1.0E-4 -1.23456789E7"),
        ("States.Format('{}', 0.0)", "0.0"),
        (
            "States.Format('{} {}', $.object, $.items)",
            "{a=1, b=[true, null]} [1, 2, 3, 4, 5, 6, 7, 8, 9]",
        ),
        (
            "States.Format('snd={}.', $$.StateMachine)",
            "snd={Id=arn:aws:states:::stateMachine:m, Name=m}.",
        ),
        ("States.Format(States.Format('{}', '{} x'), 'y')", "y x"),
    ],
)
def test_format(text: str, expected: str) -> None:
    assert run(text) == expected


def test_format_template_from_a_path_is_checked_when_run() -> None:
    assert failure("States.Format($.template)") == (
        "Invalid arguments in States.Format: the template has 1 placeholders but 0 values follow"
    )
    assert failure("States.Format($.counter, 1)") == (
        "Invalid arguments in States.Format: the template must be a string, got object"
    )


# --- JSON and strings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("", None),
        (" ", None),
        ("null", None),
        ("-0", 0),
        ("1.1", 1.1),
        ('"HelloWorld"', "HelloWorld"),
        ('{"Arg1": 1, "Arg2": []}', {"Arg1": 1, "Arg2": []}),
    ],
)
def test_string_to_json(given: str, expected: JSON) -> None:
    assert run("States.StringToJson($.value)", {"value": given}) == expected


def test_string_to_json_failures() -> None:
    assert failure("States.StringToJson('{nope')") == (
        "Invalid arguments in States.StringToJson: the argument is not valid JSON text"
    )
    assert failure("States.StringToJson(1)") == (
        "Invalid arguments in States.StringToJson: the argument must be a string, got number"
    )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, "null"),
        (1.1, "1.1"),
        (True, "true"),
        ("HelloWorld", '"HelloWorld"'),
        ({"Arg1": 1, "Arg2": [1, 2, "é"]}, '{"Arg1":1,"Arg2":[1,2,"é"]}'),
    ],
)
def test_json_to_string_is_compact(given: JSON, expected: str) -> None:
    assert run("States.JsonToString($.value)", {"value": given}) == expected


@pytest.mark.parametrize(
    ("text", "delimiter", "expected"),
    [
        (" ", ",", [" "]),
        (", , ,", ",", [" ", " "]),
        (",,,,", ",", []),
        ("1,2,3,4,5", ",", ["1", "2", "3", "4", "5"]),
        ("This.is+a,test=string", ".+,=", ["This", "is", "a", "test", "string"]),
        ("split on T and \nnew line", "T\n", ["split on ", " and ", "new line"]),
        ("a]b^c\\d", "]^\\", ["a", "b", "c", "d"]),
        ("abc", "", ["abc"]),
        ("", "", []),
    ],
)
def test_string_split_splits_on_any_delimiter_character(
    text: str, delimiter: str, expected: list[str]
) -> None:
    assert run(
        "States.StringSplit($.text, $.delimiter)", {"text": text, "delimiter": delimiter}
    ) == (expected)


def test_string_split_failures() -> None:
    assert failure("States.StringSplit(1, ',')") == (
        "Invalid arguments in States.StringSplit: the first argument must be a string, got number"
    )
    assert failure("States.StringSplit('a', null)") == (
        "Invalid arguments in States.StringSplit: the delimiter must be a string, got null"
    )


# --- encodings and hashes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [("", ""), ("Data to encode", "RGF0YSB0byBlbmNvZGU="), ("héllo", "aMOpbGxv")],
)
def test_base64_round_trip(raw: str, encoded: str) -> None:
    assert run("States.Base64Encode($.value)", {"value": raw}) == encoded
    assert run("States.Base64Decode($.value)", {"value": encoded}) == raw


def test_base64_decode_is_mime_lenient() -> None:
    assert run("States.Base64Decode('RGF0YSB0\r\nbyBlbmNvZGU')") == "Data to encode"
    assert run("States.Base64Decode('/w==')") == "\ufffd"


def test_base64_failures() -> None:
    assert failure("States.Base64Decode('abcde')") == (
        "Invalid arguments in States.Base64Decode: the argument is not valid Base64"
    )
    assert failure("States.Base64Encode($.value)", {"value": "x" * 10_001}) == (
        "Invalid arguments in States.Base64Encode: the argument must be at most 10000 characters"
        " long, got 10001"
    )
    assert run("States.Base64Encode($.value)", {"value": "x" * 10_000}).startswith("eHh4")
    assert failure("States.Base64Decode(null)") == (
        "Invalid arguments in States.Base64Decode: the argument must be a string, got null"
    )


@pytest.mark.parametrize(
    ("algorithm", "digest"),
    [
        ("MD5", "d41d8cd98f00b204e9800998ecf8427e"),
        ("SHA-1", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("SHA-256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (
            "SHA-384",
            "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b",
        ),
        (
            "SHA-512",
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
        ),
    ],
)
def test_hash_algorithms(algorithm: str, digest: str) -> None:
    assert run("States.Hash('', $.algorithm)", {"algorithm": algorithm}) == digest


def test_hash_recorded_on_aws() -> None:
    assert run("States.Hash('Hash this string', 'SHA-256')") == (
        "1cac63f39fd68d8c531f27b807610fb3d50f0fc3f186995767fb6316e7200a3e"
    )


def test_hash_failures() -> None:
    assert failure("States.Hash('x', 'sha-256')") == (
        "Invalid arguments in States.Hash: the algorithm must be one of MD5, SHA-1, SHA-256,"
        " SHA-384, SHA-512, got sha-256"
    )
    assert failure("States.Hash($.object, 'MD5')") == (
        "Invalid arguments in States.Hash: the data must be a string, got object"
    )


# --- arrays -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (4, [[1, 2, 3, 4], [5, 6, 7, 8], [9]]),
        (9, [[1, 2, 3, 4, 5, 6, 7, 8, 9]]),
        (20.0, [DATA["items"]]),
    ],
)
def test_array_partition(size: JSON, expected: JSON) -> None:
    assert run("States.ArrayPartition($.items, $.size)", dict(DATA, size=size)) == expected


def test_array_partition_of_empty_array() -> None:
    assert run("States.ArrayPartition(States.Array(), 3)") == []


def test_array_partition_failures() -> None:
    assert failure("States.ArrayPartition($.items, 0)") == (
        "Invalid arguments in States.ArrayPartition: the chunk size must be a positive integer,"
        " got 0"
    )
    assert failure("States.ArrayPartition($.items, 1.5)") == (
        "Invalid arguments in States.ArrayPartition: the chunk size must be an integer, got 1.5"
    )
    assert failure("States.ArrayPartition($.items, true)") == (
        "Invalid arguments in States.ArrayPartition: the chunk size must be an integer, got boolean"
    )
    assert failure("States.ArrayPartition($.name, 1)") == (
        "Invalid arguments in States.ArrayPartition: the first argument must be an array,"
        " got string"
    )


@pytest.mark.parametrize(
    ("values", "wanted", "expected"),
    [
        ([], None, False),
        ([[1, 2, 3], 2], [1, 2, 3], True),
        ([{"1": 2, "2": []}], {"2": [], "1": 2}, True),
        ([{"1": 2, "2": []}], [], False),
        ([True, False], False, True),
        ([1, 2], True, False),
        ([1, 2], 1.0, False),
        ([None], None, True),
    ],
)
def test_array_contains_uses_json_equality(values: JSON, wanted: JSON, expected: bool) -> None:
    data = {"values": values, "wanted": wanted}
    assert run("States.ArrayContains($.values, $.wanted)", data) is expected


def test_array_contains_needs_an_array() -> None:
    assert failure("States.ArrayContains($.counter, 1)") == (
        "Invalid arguments in States.ArrayContains: the first argument must be an array, got object"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("States.ArrayRange(1, 9, 2)", [1, 3, 5, 7, 9]),
        ("States.ArrayRange(1, 10, 2)", [1, 3, 5, 7, 9]),
        ("States.ArrayRange(0, 3, 1)", [0, 1, 2, 3]),
        ("States.ArrayRange(10, 1, -3)", [10, 7, 4, 1]),
        ("States.ArrayRange(1, 10, -1)", []),
        ("States.ArrayRange(5, 5, 3)", [5]),
        ("States.ArrayRange(1.0, 2, 1)", [1, 2]),
    ],
)
def test_array_range(text: str, expected: list[int]) -> None:
    assert run(text) == expected


def test_array_range_limits() -> None:
    assert len(run("States.ArrayRange(1, 1000, 1)")) == 1000
    assert failure("States.ArrayRange(0, 1000, 1)") == (
        "Invalid arguments in States.ArrayRange: the range would hold 1001 items, more than 1000"
    )
    assert failure("States.ArrayRange(0, 10, 0)") == (
        "Invalid arguments in States.ArrayRange: the step must not be zero"
    )
    assert failure("States.ArrayRange(0, '10', 1)") == (
        "Invalid arguments in States.ArrayRange: the second argument must be an integer, got string"
    )


def test_array_get_item() -> None:
    assert run("States.ArrayGetItem($.items, 5)") == 6
    assert run("States.ArrayGetItem(States.StringSplit('a-b', '-'), 0)") == "a"
    assert failure("States.ArrayGetItem($.items, 9)") == (
        "Invalid arguments in States.ArrayGetItem: the index 9 is out of bounds for an array of"
        " length 9"
    )
    assert failure("States.ArrayGetItem($.items, -1)") == (
        "Invalid arguments in States.ArrayGetItem: the index -1 is out of bounds for an array of"
        " length 9"
    )


def test_array_length() -> None:
    assert run("States.ArrayLength($.items)") == 9
    assert run("States.ArrayLength(States.Array())") == 0
    assert failure("States.ArrayLength(null)") == (
        "Invalid arguments in States.ArrayLength: the argument must be an array, got null"
    )


def test_array_unique_keeps_first_occurrences_by_json_equality() -> None:
    values = [
        None,
        None,
        True,
        True,
        False,
        1,
        1,
        1.0,
        0,
        "a",
        "a",
        [],
        [],
        [None],
        [None],
        {"a": 1, "b": 2},
        {"b": 2, "a": 1},
        {"a": 1, "b": 1},
    ]
    assert run("States.ArrayUnique($.values)", {"values": values}) == [
        None,
        True,
        False,
        1,
        1.0,
        0,
        "a",
        [],
        [None],
        {"a": 1, "b": 2},
        {"a": 1, "b": 1},
    ]
    assert failure("States.ArrayUnique('x')") == (
        "Invalid arguments in States.ArrayUnique: the argument must be an array, got string"
    )


# --- JSON merge, maths, UUID ------------------------------------------------------------------


def test_json_merge_is_shallow_and_the_second_object_wins() -> None:
    data = {"json1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "json2": {"a": {"a3": 1, "a4": 2}, "c": 3}}
    assert run("States.JsonMerge($.json1, $.json2, false)", data) == {
        "a": {"a3": 1, "a4": 2},
        "b": 2,
        "c": 3,
    }
    assert data["json1"] == {"a": {"a1": 1, "a2": 2}, "b": 2}


def test_json_merge_failures() -> None:
    assert failure("States.JsonMerge($.object, $.object, true)") == (
        "Invalid arguments in States.JsonMerge: deep merging is not supported; the third argument"
        " must be false"
    )
    assert failure("States.JsonMerge($.object, $.object, 0)") == (
        "Invalid arguments in States.JsonMerge: the third argument must be a boolean, got number"
    )
    assert failure("States.JsonMerge($.object, $.items, false)") == (
        "Invalid arguments in States.JsonMerge: the second argument must be an object, got array"
    )


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (-9, 3, -6),
        (1.49, 1.5, 3),
        (1.5, 1.51, 4),
        (-1.49, -1.5, -2),
        (-1.5, -1.51, -3),
        (1.49, -1.49, 0),
        (0.5, 0, 1),
        (2.5, 0, 3),
        (-0.5, 0.5, 1),
        (-0.5, 0, 0),
        (-2.5, 0, -2),
        (-3.5, 0, -3),
        (111, -1, 110),
        (2**70, 1, 2**70 + 1),
    ],
)
def test_math_add_rounds_each_argument_half_up(first: JSON, second: JSON, expected: int) -> None:
    result = run("States.MathAdd($.first, $.second)", {"first": first, "second": second})
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize(
    ("argument", "cause"),
    [
        ("'1'", "the first argument must be a number, got string"),
        ("true", "the first argument must be a number, got boolean"),
        ("$.items", "the first argument must be a number, got array"),
    ],
)
def test_math_add_failures(argument: str, cause: str) -> None:
    assert (
        failure(f"States.MathAdd({argument}, 1)") == f"Invalid arguments in States.MathAdd: {cause}"
    )


def test_math_add_rejects_a_non_number_second_argument() -> None:
    assert failure("States.MathAdd(1, null)") == (
        "Invalid arguments in States.MathAdd: the second argument must be a number, got null"
    )


def test_math_random_stays_in_range() -> None:
    results = {run("States.MathRandom(1, 3)") for _ in range(200)}
    assert results == {1, 2, 3}
    assert all(-99999 <= run("States.MathRandom(-99999, -9999)") <= -9999 for _ in range(50))
    assert 12 <= run("States.MathRandom(12.5, 44.51)") <= 45
    assert run("States.MathRandom(7, 7)") == 7


def test_math_random_with_a_seed_is_deterministic() -> None:
    seeded = compile_intrinsic("States.MathRandom(0, 999, $.seed)")
    first = [seeded.evaluate(Scope({"seed": seed}, {}, {})) for seed in range(20)]
    again = [seeded.evaluate(Scope({"seed": seed}, {}, {})) for seed in range(20)]
    assert first == again
    assert all(0 <= value <= 999 for value in first)
    assert len(set(first)) > 1


def test_math_random_failures() -> None:
    assert failure("States.MathRandom(10, 1)") == (
        "Invalid arguments in States.MathRandom: the end (1) must not be less than the start (10)"
    )
    assert failure("States.MathRandom(1, 10, 'seed')") == (
        "Invalid arguments in States.MathRandom: the seed must be a number, got string"
    )
    assert failure("States.MathRandom('1', 10)") == (
        "Invalid arguments in States.MathRandom: the start must be a number, got string"
    )


def test_uuid_is_a_fresh_version_4_uuid() -> None:
    compiled = compile_intrinsic("States.UUID()")
    values = {compiled.evaluate(Scope({}, {}, {})) for _ in range(10)}
    assert len(values) == 10
    for value in values:
        assert re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", value
        )
        assert uuid.UUID(value).version == 4


# --- AWS-recorded executions ------------------------------------------------------------------


def _recorded_calls() -> list[Any]:
    """Single-Pass-state cases whose one ``.$`` field is an intrinsic call, with their results.

    Results AWS recorded through placeholders (random numbers, UUIDs, execution names) are left
    out: the comparison needs the exact value.
    """
    cases = []
    for line in CASES.read_text(encoding="utf-8").split("\n"):
        if not line:
            continue
        case = json.loads(line)
        if case["kind"] != "execution" or (case["expected"] or {}).get("status") != "SUCCEEDED":
            continue
        states = (case["definition"] or {}).get("States", {})
        if len(states) != 1:
            continue
        (state,) = states.values()
        fields = [
            (key, value)
            for key, value in (state.get("Parameters") or {}).items()
            if key.endswith(".$") and str(value).startswith("States.")
        ]
        output = case["expected"]["output"]
        shown = json.dumps(output)
        if any(str(change["placeholder"]) in shown for change in case["substitutions"]):
            continue
        if len(fields) != 1 or not isinstance(output, dict) or "<" in json.dumps(output):
            continue
        key, text = fields[0]
        if key[:-2] in output and "ResultPath" not in state and "OutputPath" not in state:
            data = json.loads(case["input_raw"]) if case["input_given"] else {}
            cases.append(pytest.param(text, data, output[key[:-2]], id=case["id"].split("::")[-1]))
    return cases


@pytest.mark.parametrize(("text", "data", "expected"), _recorded_calls())
def test_results_recorded_on_aws(text: str, data: JSON, expected: JSON) -> None:
    scope = Scope(data, {"Execution": {"Input": data}}, {})
    result = compile_intrinsic(text).evaluate(scope)
    assert result == expected
    assert json.dumps(result) == json.dumps(expected)
