"""Stepline's own functions standing in for the Lambda handlers the recorded cases invoked.

The cases name LocalStack's handler files (``lambda_functions[].handler_file``); each entry
here behaves as that handler did when AWS ran it, judged from the recorded outputs, and is
registered under the function name the case's definition and input use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import PurePosixPath
from typing import Any

Handler = Callable[[Any, Any], Any]


class CustomException(Exception):
    """The error type the recorded custom-exception handler raised."""

    def __init__(self) -> None:
        super().__init__()
        self.message = "CustomException message"


def return_input(event: Any, _context: Any) -> Any:
    """Returns its event unchanged (an identity function)."""
    return event


def raise_exception(_event: Any, _context: Any) -> Any:
    """Always fails with a plain ``Exception``."""
    raise Exception("Some exception was raised.")


def raise_custom_exception(_event: Any, _context: Any) -> Any:
    """Always fails with ``CustomException`` carrying no message argument."""
    raise CustomException


def return_bytes_string(_event: Any, _context: Any) -> Any:
    """Returns raw payload bytes that are the JSON string ``"HelloWorld!"``."""
    return b'"HelloWorld!"'


def return_decorated_input(event: Any, _context: Any) -> Any:
    """Returns the event rendered as Python text inside a string."""
    return f"input-event-{event}"


def return_greeting(_event: Any, _context: Any) -> Any:
    """Returns a constant object, whatever the event."""
    return {"Return": "HelloWorld"}


def return_large_string(_event: Any, _context: Any) -> Any:
    """Returns 257 KiB of raw payload bytes: over the 256 KiB state data limit."""
    return b"a" * (257 * 1024)


HANDLERS: Mapping[str, Handler] = {
    "id_function.py": return_input,
    "raise_exception.py": raise_exception,
    "raise_custom_exception.py": raise_custom_exception,
    "return_bytes_str.py": return_bytes_string,
    "return_decorated_input.py": return_decorated_input,
    "echo_function.py": return_greeting,
    "large_output_string.py": return_large_string,
}


def handler_for(handler_file: str) -> Handler | None:
    """The stand-in for a recorded handler file, or None when Stepline has none (skip)."""
    return HANDLERS.get(PurePosixPath(handler_file).name)


def unsupported_handlers(lambda_functions: list[Mapping[str, Any]]) -> list[str]:
    """Handler files among ``lambda_functions`` that have no stand-in."""
    return [
        str(entry["handler_file"])
        for entry in lambda_functions
        if handler_for(str(entry["handler_file"])) is None
    ]
