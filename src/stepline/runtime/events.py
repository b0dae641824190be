"""Execution history: AWS's events, with their ``…EventDetails``, recorded cheaply.

Payloads (state input and output, task parameters) are kept as the Python values they were —
values are never mutated after they are produced — and rendered to JSON text only when the
history is read, so recording an event on the hot path costs a tuple and a small dict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from stepline.asl.jsontext import dumps
from stepline.asl.scope import JSON

# The key of each event type's details object, where it is not simply the type with a lower-case
# first letter plus "EventDetails" (every <Type>StateEntered shares stateEnteredEventDetails...).
_DETAILS_KEYS = {
    "Entered": "stateEnteredEventDetails",
    "Exited": "stateExitedEventDetails",
}


def details_key(event_type: str) -> str:
    """The name of the details field AWS uses for ``event_type``."""
    if event_type.endswith("StateEntered"):
        return _DETAILS_KEYS["Entered"]
    if event_type.endswith("StateExited"):
        return _DETAILS_KEYS["Exited"]
    return event_type[0].lower() + event_type[1:] + "EventDetails"


class Json:
    """A payload inside event details, rendered to JSON text when the history is read."""

    __slots__ = ("text", "value")

    def __init__(self, value: JSON, text: str | None = None) -> None:
        self.value = value
        self.text = text

    def render(self) -> str:
        if self.text is None:
            self.text = dumps(self.value)
        return self.text


@dataclass(slots=True)
class HistoryEvent:
    id: int
    previous_event_id: int
    stamp: datetime | float
    type: str
    details: dict[str, Any] | None

    @property
    def timestamp(self) -> datetime:
        stamp = self.stamp
        return stamp if isinstance(stamp, datetime) else datetime.fromtimestamp(stamp, UTC)

    def details_text(self) -> str | None:
        """The details as JSON text, payloads rendered to JSON strings (what a store keeps)."""
        if self.details is None:
            return None
        try:  # payloads rendered as orjson meets them, without a rendered copy of the details
            return orjson.dumps(self.details, default=_rendered).decode()
        except TypeError:  # an integer beyond 64 bits: the standard library's turn
            return dumps(_render(self.details))

    def to_api(self) -> dict[str, Any]:
        """The event as GetExecutionHistory returns it (boto3's shape: a datetime timestamp)."""
        event: dict[str, Any] = {
            "timestamp": self.timestamp,
            "type": self.type,
            "id": self.id,
            "previousEventId": self.previous_event_id,
        }
        if self.details is not None:
            event[details_key(self.type)] = _render(self.details)
        return event


def _rendered(value: Any) -> str:
    if isinstance(value, Json):
        return value.render()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _render(details: dict[str, Any]) -> dict[str, Any]:
    rendered: dict[str, Any] = {}
    for key, value in details.items():
        if isinstance(value, Json):
            rendered[key] = value.render()
        elif isinstance(value, dict):
            rendered[key] = _render(value)
        else:
            rendered[key] = value
    return rendered


HISTORY_LIMIT = 25_000
"""AWS's quota of events in one execution's history."""


class HistoryLimitReached(BaseException):  # a signal to unwind, not an error
    """An execution's history has reached ``HISTORY_LIMIT``; it must fail now.

    A BaseException so that nothing inside the interpreter (catchers, the conversion of
    unexpected errors into ``States.Runtime``) can take it: the transition function does.
    """


class EventLog:
    """The history of one execution. Ids count from 1, in the order events were recorded.

    ``events`` holds what has been recorded since the log was opened or last drained (an
    in-process run keeps all of it; a durable engine drains each step's events into its store
    and holds none between steps). While ``replaying``, ids are handed out but nothing is kept:
    the events were recorded, and stored, the first time round.
    """

    __slots__ = ("events", "limit", "next_id", "replaying")

    def __init__(self, next_id: int = 1) -> None:
        self.events: list[HistoryEvent] = []
        self.next_id = next_id
        self.replaying = False
        self.limit = HISTORY_LIMIT - 1
        """The last id a state's event may take; the execution's ending may take the next."""

    def add(
        self,
        event_type: str,
        previous: int,
        details: dict[str, Any] | None,
        stamp: float,
    ) -> int:
        event_id = self.next_id
        if event_id > self.limit:
            raise HistoryLimitReached
        self.next_id = event_id + 1
        if not self.replaying:
            self.events.append(HistoryEvent(event_id, previous, stamp, event_type, details))
        return event_id

    @property
    def last_id(self) -> int:
        return self.next_id - 1

    def drain(self) -> list[HistoryEvent]:
        """The events recorded since the last drain, handed over and forgotten."""
        events, self.events = self.events, []
        return events

    def to_api(self) -> list[dict[str, Any]]:
        return [event.to_api() for event in self.events]
