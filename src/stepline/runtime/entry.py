"""One entry into a state: the input it got, the event that recorded it, and what expressions
evaluated during this entry can see (the context object is built only if something reads it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from stepline.asl.errors import RUNTIME, StatesError
from stepline.asl.scope import JSON, Scope
from stepline.runtime.clock import format_timestamp
from stepline.runtime.frame import Frame


class EnteredState(Protocol):
    """What an entry needs of the state it entered (a compiled ``StatePlan``)."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def can_retry(self) -> bool: ...
    @property
    def uses_context(self) -> bool: ...
    @property
    def is_jsonata(self) -> bool: ...


_PREFIX = "An error occurred while executing the state '{name}' (entered at the event id #{id}). "


class Entry:
    """``input_text`` is the input's JSON text as it was given, when known (AWS hands an input
    passed on unchanged as that text); ``entered_previous`` and ``entered_at`` are the
    StateEntered event's ``previousEventId`` and time."""

    __slots__ = (
        "_context",
        "entered_at",
        "entered_id",
        "entered_previous",
        "frame",
        "input",
        "input_text",
        "retry_count",
        "state",
    )

    def __init__(
        self,
        frame: Frame,
        state: EnteredState,
        state_input: JSON,
        entered_id: int,
        *,
        input_text: str | None = None,
        entered_previous: int = 0,
        entered_at: float = 0.0,
    ) -> None:
        self.frame = frame
        self.state = state
        self.input = state_input
        self.input_text = input_text
        self.entered_id = entered_id
        self.entered_previous = entered_previous
        self.entered_at = entered_at
        self.retry_count = 0
        self._context: JSON = None

    def note_retry(self, count: int) -> None:
        """A retry starts: the context object must show the new RetryCount."""
        self.retry_count = count
        self._context = None

    def context(self) -> JSON:
        """The context object (``$$``) as this state sees it."""
        if self._context is None:
            entered = datetime.fromtimestamp(self.entered_at, UTC)
            retry_count = self.retry_count if self.state.can_retry else None
            self._context = self.frame.context_object(
                self.state.name, format_timestamp(entered), retry_count
            )
        return self._context

    def scope(self, data: JSON) -> Scope:
        context = self.context() if self.state.uses_context else None
        return Scope(data, context, self.frame.variables, self.frame.execution)

    def states(self, **extra: JSON) -> dict[str, Any]:
        """The ``$states`` binding JSONata expressions see."""
        bound: dict[str, Any] = {"input": self.input, "context": self.context()}
        bound.update(extra)
        return bound

    @property
    def variables(self) -> Mapping[str, JSON]:
        return self.frame.variables

    def runtime_error(self, message: str) -> StatesError:
        """A States.Runtime error with AWS's prefix naming this state and its entered event."""
        return StatesError(self.prefix() + message, RUNTIME)

    def prefix(self) -> str:
        return _PREFIX.format(name=self.state.name, id=self.entered_id)

    def qualify(self, error: StatesError) -> StatesError:
        """Give a States.Runtime error raised below the runtime AWS's state prefix."""
        if error.error == RUNTIME and not error.cause.startswith("An error occurred while"):
            error.cause = self.prefix() + error.cause
        return error
