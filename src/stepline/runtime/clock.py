"""Time as data: the interpreter asks a Clock for the time and to let time pass.

``SystemClock`` is real time. ``FakeClock`` jumps instead of sleeping, so a Wait of a day or a
retry back-off costs nothing in tests, and every timestamp it hands out is predictable.
``SkippingClock`` is real time that jumps over the waits of an engine with nothing to do (a
server run for tests: ``stepline serve --time-skipping``).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` pass (a Wait state, a retry back-off)."""
        ...


class SystemClock:
    """Wall-clock time; ``sleep`` blocks the calling thread."""

    stamp = staticmethod(time.time)
    """The time as POSIX seconds: what the history records, cheaper to take than ``now``."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class FakeClock:
    """A clock that only moves when told to: ``sleep`` and ``advance`` jump it forward."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start if start is not None else datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)
        if self._now.tzinfo is None:
            self._now = self._now.replace(tzinfo=UTC)
        self._lock = threading.Lock()
        self.slept: list[float] = []
        """Every sleep asked of this clock, in order (tests read back-off delays from it)."""

    def now(self) -> datetime:
        return self._now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self._now += timedelta(seconds=seconds)

    def set(self, moment: datetime) -> None:
        """Put the clock at ``moment`` (even backwards: a test harness starting over)."""
        with self._lock:
            self._now = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class SkippingClock:
    """Real time plus every wait skipped so far: it runs as a wall clock does, and ``advance``
    (or ``sleep``) moves it forward at once. Work that runs takes its real time; what an idle
    engine would wait for (a Wait state, a retry back-off) comes at once."""

    skips_idle_time = True
    """Tells an engine to ``advance`` this clock to its next due instant whenever it is idle."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def stamp(self) -> float:
        """The time as POSIX seconds."""
        return time.time() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.stamp(), UTC)

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self._offset += seconds


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 with milliseconds and ``Z``, as AWS writes times in the context object."""
    # isoformat ends "+00:00" in UTC; it takes half strftime's time and writes four-digit years.
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
