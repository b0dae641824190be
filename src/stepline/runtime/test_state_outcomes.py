"""What a tested state did (``Outcome``): its error handled as TestState reports it, and the
outcome rendered as AWS's TestState response.

An error a retrier takes is RETRIABLE with the back-off the retry would wait (without jitter:
TestState reports, never waits); one a catcher takes is CAUGHT_ERROR with the catcher's output;
anything else FAILED.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stepline.asl.errors import StatesError, error_matches
from stepline.asl.jsontext import dumps
from stepline.asl.model import Retrier
from stepline.asl.scope import JSON
from stepline.runtime.entry import Entry
from stepline.runtime.test_state_requests import Request

_NUMERIC_FIELDS = frozenset(
    {"maxConcurrency", "toleratedFailureCount", "toleratedFailurePercentage", "errorDetails"}
)


@dataclass
class Outcome:
    """What the tested state did, before it is rendered as AWS's response."""

    status: str = "SUCCEEDED"
    output: JSON = None
    has_output: bool = False
    error: str | None = None
    cause: str | None = None
    next_state: str | None = None
    inspection: dict[str, Any] = field(default_factory=dict)


def handle_error(request: Request, entry: Entry, error: StatesError, outcome: Outcome) -> Outcome:
    """A retrier with attempts left makes it RETRIABLE; else a catcher, else FAILED."""
    outcome.error, outcome.cause = error.error or None, error.cause or None
    plan = request.plan
    retriers: tuple[Retrier, ...] = getattr(plan.model, "retry", ())
    count = request.configuration.retrier_retry_count
    for index, retrier in enumerate(retriers):
        if error_matches(retrier.error_equals, error.error):
            if count < retrier.max_attempts:
                outcome.status = "RETRIABLE"
                outcome.inspection["errorDetails"] = {
                    "retryBackoffIntervalSeconds": _backoff(retrier, count),
                    "retryIndex": index,
                }
                return outcome
            break
    for index, catcher in enumerate(plan.catchers):
        if error_matches(catcher.error_equals, error.error):
            step = catcher.handle(entry, {"Error": error.error, "Cause": error.cause})
            outcome.status = "CAUGHT_ERROR"
            outcome.output, outcome.has_output = step.output, True
            outcome.next_state = catcher.next_name
            outcome.inspection["errorDetails"] = {"catchIndex": index}
            return outcome
    outcome.status = "FAILED"
    return outcome


def _backoff(retrier: Retrier, count: int) -> int:
    """The back-off before retry ``count + 1``, without jitter: TestState reports, not waits."""
    delay = retrier.interval_seconds * retrier.backoff_rate**count
    if retrier.max_delay_seconds is not None:
        delay = min(delay, retrier.max_delay_seconds)
    return int(delay)


def render_response(outcome: Outcome, level: str) -> dict[str, Any]:
    """AWS's TestState response: JSON values as text, inspection data past the INFO level."""
    response: dict[str, Any] = {"status": outcome.status}
    if outcome.has_output:
        response["output"] = dumps(outcome.output)
    optional = {"error": outcome.error, "cause": outcome.cause, "nextState": outcome.next_state}
    response.update((key, value) for key, value in optional.items() if value is not None)
    if level != "INFO":
        response["inspectionData"] = {
            key: value if key in _NUMERIC_FIELDS else dumps(value)
            for key, value in outcome.inspection.items()
        }
    return response
