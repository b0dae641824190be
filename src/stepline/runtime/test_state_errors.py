"""The TestState requests AWS refuses, one class per AWS error code.

``RequestError`` is the base: ``code`` is AWS's error name and ``message`` its text, as the
API renders them (``stepline.api`` turns one into AWS's JSON error).
"""

from __future__ import annotations


class RequestError(Exception):
    """A TestState request AWS rejects; ``code`` is AWS's error name, ``message`` its text."""

    code = ""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class InvalidDefinition(RequestError):
    code = "InvalidDefinition"


class InvalidExecutionInput(RequestError):
    code = "InvalidExecutionInput"


class ValidationException(RequestError):
    code = "ValidationException"


def enum_error(name: str, value: str, allowed: tuple[str, ...]) -> ValidationException:
    """AWS's refusal of a value outside an enumeration (``inspectionLevel``...)."""
    return ValidationException(
        f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy "
        f"constraint: Member must satisfy enum value set: [{', '.join(allowed)}]"
    )
