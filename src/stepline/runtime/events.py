"""Execution history: AWS's events, with their ``…EventDetails``, recorded cheaply.

Payloads (state input and output, task parameters) are kept as the Python values they were —
values are never mutated after they are produced — and rendered to JSON text only when the
history is read, so recording an event on the hot path costs a tuple and a small dict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

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


Stamp = Callable[[], "datetime | float"]
"""When an event happens: a datetime, or (cheaper to take) POSIX seconds."""


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


class EventLog:
    """The history of one execution. Ids count from 1, in the order events were recorded.

    ``stamp`` dates each event: the clock's ``now``, or where the clock offers one (a
    ``SystemClock``), its cheaper ``stamp`` in POSIX seconds.
    """

    __slots__ = ("events", "stamp")

    def __init__(self, stamp: Stamp) -> None:
        self.events: list[HistoryEvent] = []
        self.stamp = stamp

    @classmethod
    def on(cls, clock: Any) -> EventLog:
        """A log dated by ``clock``."""
        return cls(getattr(clock, "stamp", clock.now))

    def add(self, event_type: str, previous: int, details: dict[str, Any] | None = None) -> int:
        events = self.events
        event_id = len(events) + 1
        events.append(HistoryEvent(event_id, previous, self.stamp(), event_type, details))
        return event_id

    @property
    def last_id(self) -> int:
        return len(self.events)

    def to_api(self) -> list[dict[str, Any]]:
        return [event.to_api() for event in self.events]
