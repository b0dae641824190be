"""Definition diagnostics: collected, never raised, each with AWS's code and a location."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SCHEMA_VALIDATION_FAILED = "SCHEMA_VALIDATION_FAILED"
MISSING_TRANSITION_TARGET = "MISSING_TRANSITION_TARGET"
INVALID_JSON_DESCRIPTION = "INVALID_JSON_DESCRIPTION"


@dataclass(frozen=True)
class Diagnostic:
    """One problem in a definition: ``code at location: message`` in AWS's vocabulary.

    ``location`` is a JSON pointer into the definition (``/States/Pay/Next``); ``/`` is the root.
    An empty location (a problem with the document as a whole) reads ``at null``, as AWS writes it.
    """

    code: str
    location: str
    message: str
    severity: Literal["ERROR", "WARNING"] = "ERROR"

    def __str__(self) -> str:
        return f"{self.code}: {self.message} at {self.location or 'null'}"
