"""Text the user hands a command: definition files and execution input, from a file, an
argument or standard input (``-``), each refused in one line when it cannot be read.

An argument is capped by the OS at 128 KiB, below the 256 KiB AWS allows for an input, so
``--input-file`` and standard input carry any size; the server alone judges the limit.
"""

from __future__ import annotations

import argparse
import errno
import json
import sys
from pathlib import Path
from typing import Any, BinaryIO

from stepline.cli.errors import UsageError

STANDARD_INPUT = "-"


def read_text(source: str, what: str, stdin: BinaryIO | None = None) -> str:
    """The UTF-8 text of the file ``source`` names, or of standard input for ``-``."""
    if source == STANDARD_INPUT:
        return _read_standard_input(what, stdin)
    try:
        data = Path(source).read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read the {what} {source!r}: {reason_of(error)}") from None
    return _decode(data, f"the {what} {source!r}")


def _read_standard_input(what: str, stdin: BinaryIO | None) -> str:
    stream = stdin if stdin is not None else sys.stdin.buffer
    if stream.isatty():
        print(f"reading the {what} from standard input (end it with Ctrl-D)", file=sys.stderr)
    try:
        data = stream.read()
    except OSError as error:
        raise UsageError(
            f"cannot read the {what} from standard input: {reason_of(error)}"
        ) from None
    return _decode(data, f"the {what} on standard input")


def _decode(data: bytes, described: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UsageError(
            f"{described} is not UTF-8 text (byte 0x{data[error.start]:02x} at offset "
            f"{error.start})"
        ) from None


def reason_of(error: OSError) -> str:
    """Why a file could not be read, in a few words."""
    known = {
        errno.ENOENT: "no such file",
        errno.EISDIR: "it is a directory",
        errno.EACCES: "permission denied",
        errno.ENOTDIR: "a part of the path is not a directory",
    }
    return known.get(error.errno or 0, error.strerror or str(error))


# Execution input -----------------------------------------------------------------------------


def add_input_options(parser: Any, default: str | None = None) -> None:
    """``--input JSON`` (``-`` reads standard input) or ``--input-file PATH``."""
    given = parser.add_mutually_exclusive_group()
    shown = f" (default {default})" if default is not None else ""
    given.add_argument(
        "--input",
        metavar="JSON",
        help=f"the execution input as JSON text, or - to read it from standard input{shown}; "
        "the OS caps an argument at 128 KiB, so larger input goes through a file or stdin",
    )
    given.add_argument(
        "--input-file", metavar="PATH", help="read the execution input from a file (- for stdin)"
    )
    parser.set_defaults(default_input=default)


def input_of(arguments: argparse.Namespace, stdin: BinaryIO | None = None) -> str | None:
    """The input text the options give (checked to be JSON), or the default."""
    if arguments.input_file not in (None, STANDARD_INPUT):
        text = read_text(arguments.input_file, "input file", stdin)
        option = f"the input file {arguments.input_file!r}"
    elif STANDARD_INPUT in (arguments.input, arguments.input_file):
        text = read_text(STANDARD_INPUT, "input", stdin)
        option = "the input on standard input"
    elif arguments.input is not None:
        text, option = arguments.input, "--input"
    else:
        default: str | None = arguments.default_input
        return default
    check_json(text, option)
    return text


def check_json(text: str, described: str) -> None:
    """Refuse text that is not one JSON value, saying where it goes wrong."""
    if not text.strip():
        raise UsageError(f"{described} is empty: give a JSON value such as {{}}")
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(
            f"{described} is not valid JSON: {error.msg} at line {error.lineno} "
            f"column {error.colno}"
        ) from None
    except ValueError as error:  # integers beyond the conversion limit, for one
        raise UsageError(f"{described} is not valid JSON: {error}") from None


def uses_standard_input(*sources: str | None) -> int:
    """How many of ``sources`` read standard input (it can feed only one of them)."""
    return sum(source == STANDARD_INPUT for source in sources)
