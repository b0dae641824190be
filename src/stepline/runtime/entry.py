"""One entry into a state: the input it got, the event that recorded it, and what expressions
evaluated during this entry can see (the context object is built only if something reads it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from stepline.asl.errors import RUNTIME, StatesError
from stepline.asl.scope import JSON, Scope
from stepline.runtime.clock import format_timestamp
from stepline.runtime.frame import Frame

if TYPE_CHECKING:
    from stepline.runtime.plan import StatePlan

_PREFIX = "An error occurred while executing the state '{name}' (entered at the event id #{id}). "


class Entry:
    __slots__ = ("_context", "entered_id", "frame", "input", "retry_count", "state")

    def __init__(self, frame: Frame, state: StatePlan, state_input: JSON, entered_id: int) -> None:
        self.frame = frame
        self.state = state
        self.input = state_input
        self.entered_id = entered_id
        self.retry_count = 0
        self._context: JSON = None

    def note_retry(self, count: int) -> None:
        """A retry starts: the context object must show the new RetryCount."""
        self.retry_count = count
        self._context = None

    def context(self) -> JSON:
        """The context object (``$$``) as this state sees it."""
        if self._context is None:
            entered = self.frame.execution.log.events[self.entered_id - 1].timestamp
            retry_count = self.retry_count if self.state.can_retry else None
            self._context = self.frame.context_object(
                self.state.name, format_timestamp(entered), retry_count
            )
        return self._context

    def scope(self, data: JSON) -> Scope:
        context = self.context() if self.state.uses_context else None
        return Scope(data, context, self.frame.variables)

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
