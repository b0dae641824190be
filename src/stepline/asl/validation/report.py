"""The collector every check writes to, and the JSON-pointer spelling AWS uses for locations.

AWS writes object keys as pointer steps and array indices as brackets on the previous step
(``/States/C/Choices[0]/Next``), so ``child`` follows that form rather than RFC 6901's ``/0``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from stepline.asl.diagnostics import (
    MISSING_TRANSITION_TARGET,
    SCHEMA_VALIDATION_FAILED,
    Diagnostic,
)
from stepline.asl.jsontext import type_name

MISSING_END_STATE = "MISSING_END_STATE"
INVALID_STATE_NAME = "INVALID_STATE_NAME"
DUPLICATE_STATE_NAME = "DUPLICATE_STATE_NAME"
INVALID_LABEL_NAME = "INVALID_LABEL_NAME"
INVALID_JSONATA_EXPRESSION = "INVALID_JSONATA_EXPRESSION"

__all__ = [
    "DUPLICATE_STATE_NAME",
    "INVALID_JSONATA_EXPRESSION",
    "INVALID_LABEL_NAME",
    "INVALID_STATE_NAME",
    "MISSING_END_STATE",
    "MISSING_TRANSITION_TARGET",
    "SCHEMA_VALIDATION_FAILED",
    "Report",
    "child",
    "index",
]


def child(location: str, key: str) -> str:
    """The location of ``key`` inside the object at ``location`` (``/`` is the root)."""
    return f"/{key}" if location == "/" else f"{location}/{key}"


def index(location: str, position: int) -> str:
    """The location of an array element, in AWS's bracket form."""
    return f"{location}[{position}]"


@dataclass
class Report:
    """Diagnostics in the order they were found; every check appends, none raises."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    root_language: str = "JSONPath"
    machine_type: str = "STANDARD"
    """STANDARD or EXPRESS: EXPRESS machines cannot use waiting integrations."""
    """The definition's top-level QueryLanguage, which nested machines' states inherit."""

    def add(self, location: str, message: str, code: str = SCHEMA_VALIDATION_FAILED) -> None:
        self.diagnostics.append(Diagnostic(code, location, message))

    def required(self, location: str, names: Iterable[str]) -> None:
        """AWS's message for missing fields, all named in one diagnostic."""
        listed = ", ".join(names)
        self.add(location, f"These fields are required: [{listed}]")

    def unsupported(self, location: str, name: str) -> None:
        self.add(location, f"Field '{name}' is not supported")

    def wrong_type(self, location: str, name: str, expected: str, value: object) -> None:
        self.add(
            location,
            f"The value of the field '{name}' must be {expected}, not {type_name(value)}",
        )

    def empty(self, location: str) -> None:
        self.add(location, "Value cannot be empty")
