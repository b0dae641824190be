"""What the units of an execution (machines, child executions) tell its cursor
(``transition.ExecutionRun``): the effects they start and await, and those they give up."""

from __future__ import annotations

from typing import Any, Protocol

from stepline.runtime.effects import Effect


class Cursor(Protocol):
    def started(self, effect: Effect, owner: Any) -> None:
        """``owner`` has started ``effect`` and awaits its signal."""
        ...

    def restored(self, effect: Effect, owner: Any, started: bool) -> None:
        """``owner``, rebuilt, awaits ``effect`` (started earlier, running if ``started``)."""
        ...

    def cancel(self, key: int) -> None:
        """The effect ``key`` is no longer wanted."""
        ...

    def notice(self, effect: Effect) -> None:
        """Hand the driver ``effect``, which nothing awaits (a ``MapRunNotice``)."""
        ...
