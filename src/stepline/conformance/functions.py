"""Stepline's own functions standing in for the Lambda handlers the recorded cases invoked.

The cases name LocalStack's handler files (``lambda_functions[].handler_file``); each entry
here behaves as that handler did when AWS ran it, judged from the recorded outputs, and is
registered under the function name the case's definition and input use.
"""

from __future__ import annotations

import linecache
from collections.abc import Callable, Mapping
from pathlib import PurePosixPath
from typing import Any

Handler = Callable[[Any, Any], Any]


def return_input(event: Any, _context: Any) -> Any:
    """Returns its event unchanged (an identity function)."""
    return event


# The raising handlers are compiled from one stand-in of Lambda's ``/var/task/handler.py``, so
# the stack trace in Lambda's error cause reads as recorded (file, line, ``in handler``, source
# line). One text serves both: the traceback reads source lines by file name.
LAMBDA_HANDLER_FILE = "/var/task/handler.py"

_HANDLER_SOURCE = """\
def handler(event, context):
    raise Exception("Some exception was raised.")
raise_exception = handler

class CustomException(Exception):
    def __init__(self):
        self.message = "CustomException message"
def handler(event, context):
    raise CustomException()
raise_custom_exception = handler
"""


def _compile_handlers(source: str) -> dict[str, Any]:
    linecache.cache[LAMBDA_HANDLER_FILE] = (
        len(source),
        None,
        source.splitlines(keepends=True),
        LAMBDA_HANDLER_FILE,
    )
    namespace: dict[str, Any] = {"__name__": "handler"}
    exec(compile(source, LAMBDA_HANDLER_FILE, "exec"), namespace)
    return namespace


_COMPILED = _compile_handlers(_HANDLER_SOURCE)
raise_exception: Handler = _COMPILED["raise_exception"]
raise_custom_exception: Handler = _COMPILED["raise_custom_exception"]


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
