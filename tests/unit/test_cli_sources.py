"""Definition files and execution input: from a file, an argument or standard input, each
refused in one line when it cannot be read or is not JSON."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from stepline.cli.errors import UsageError
from stepline.cli.sources import add_input_options, check_json, input_of, read_text


class Pipe(io.BytesIO):
    """Standard input as a pipe gives it: bytes, not a terminal."""

    def isatty(self) -> bool:
        return False


def test_a_file_is_read_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "machine.json"
    path.write_text('{"Comment": "café"}', encoding="utf-8")
    assert read_text(str(path), "definition file") == '{"Comment": "café"}'


def test_a_dash_reads_standard_input() -> None:
    assert read_text("-", "input", Pipe(b'{"a": 1}')) == '{"a": 1}'


@pytest.mark.parametrize(
    ("name", "reason"),
    [("missing.json", "no such file"), (".", "it is a directory")],
)
def test_an_unreadable_file_is_refused_with_its_reason(
    tmp_path: Path, name: str, reason: str
) -> None:
    path = str(tmp_path / name)
    with pytest.raises(UsageError) as refused:
        read_text(path, "definition file")
    assert str(refused.value) == f"cannot read the definition file {path!r}: {reason}"


def test_a_path_through_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("{}")
    with pytest.raises(UsageError, match="a part of the path is not a directory"):
        read_text(str(tmp_path / "file" / "machine.json"), "definition file")


def test_text_that_is_not_utf8_is_refused_with_the_offending_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"a": "é"}'.encode("latin-1"))
    with pytest.raises(UsageError) as refused:
        read_text(str(path), "definition file")
    assert str(refused.value) == (
        f"the definition file {str(path)!r} is not UTF-8 text (byte 0xe9 at offset 7)"
    )
    with pytest.raises(UsageError, match="the input on standard input is not UTF-8 text"):
        read_text("-", "input", Pipe(b"\xff"))


def _input_options(*arguments: str, default: str | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_input_options(parser, default=default)
    return parser.parse_args(arguments)


def test_input_comes_from_the_argument_a_file_or_standard_input(tmp_path: Path) -> None:
    path = tmp_path / "input.json"
    path.write_text('{"from": "file"}')
    assert input_of(_input_options("--input", '{"from": "argument"}')) == '{"from": "argument"}'
    assert input_of(_input_options("--input-file", str(path))) == '{"from": "file"}'
    stdin = Pipe(b'{"from": "stdin"}')
    assert input_of(_input_options("--input", "-"), stdin) == '{"from": "stdin"}'
    stdin = Pipe(b'{"from": "stdin"}')
    assert input_of(_input_options("--input-file", "-"), stdin) == '{"from": "stdin"}'
    assert input_of(_input_options()) is None
    assert input_of(_input_options(default="{}")) == "{}"


def test_input_of_256_kib_is_read_whole_from_a_file_and_from_standard_input(
    tmp_path: Path,
) -> None:
    text = '{"data": "' + "x" * (256 * 1024 - 12) + '"}'
    path = tmp_path / "big.json"
    path.write_text(text)
    assert input_of(_input_options("--input-file", str(path))) == text
    assert input_of(_input_options("--input", "-"), Pipe(text.encode())) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "--input is empty: give a JSON value such as {}"),
        ("  \n", "--input is empty: give a JSON value such as {}"),
        ("{nope}", "--input is not valid JSON: Expecting property name enclosed in double quotes"),
        ('{"a": 1} {"b": 2}', "--input is not valid JSON: Extra data at line 1 column 10"),
        ("[1,\n 2", "--input is not valid JSON: Expecting ',' delimiter at line 2 column 3"),
    ],
)
def test_input_that_is_not_json_is_refused_saying_where(text: str, message: str) -> None:
    with pytest.raises(UsageError) as refused:
        check_json(text, "--input")
    assert str(refused.value).startswith(message)


def test_any_json_value_is_input() -> None:
    for text in ('"text"', "12", "null", "[]", '{"big": 123456789012345678901234567890}'):
        check_json(text, "--input")


def test_the_input_s_source_is_named_when_it_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "input.json"
    path.write_text("{")
    with pytest.raises(UsageError) as from_file:
        input_of(_input_options("--input-file", str(path)))
    assert str(from_file.value).startswith(f"the input file {str(path)!r} is not valid JSON: ")
    with pytest.raises(UsageError) as from_stdin:
        input_of(_input_options("--input-file", "-"), Pipe(b"{"))
    assert str(from_stdin.value).startswith("the input on standard input is not valid JSON: ")
