"""How a case ends: ``CaseResult`` for the tally, ``SkipCase`` for a case Stepline cannot run.

Every module that runs a kind of case raises ``SkipCase``; the runner turns it into a result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CaseResult:
    """One case's outcome: ``passed``, ``failed`` or ``skipped``, with why for the last two."""

    case_id: str
    kind: str
    outcome: str
    detail: str = ""
    features: tuple[str, ...] = field(default=())


class SkipCase(Exception):
    """Raised while preparing a case Stepline cannot run; the message is the reason."""


_ENDINGS = {
    "SUCCEEDED": ("ExecutionSucceeded", "executionSucceededEventDetails"),
    "FAILED": ("ExecutionFailed", "executionFailedEventDetails"),
    "TIMED_OUT": ("ExecutionTimedOut", "executionTimedOutEventDetails"),
    "ABORTED": ("ExecutionAborted", "executionAbortedEventDetails"),
}


def terminal_event(answer: Mapping[str, Any]) -> dict[str, Any]:
    """A StartSyncExecution answer (status, output or error and cause) as the terminal event a
    history would hold."""
    event_type, details_key = _ENDINGS[str(answer["status"])]
    details = {key: answer[key] for key in ("output", "error", "cause") if key in answer}
    return {"type": event_type, details_key: details}
