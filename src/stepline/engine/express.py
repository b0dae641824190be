"""Express executions: run in memory, start to end, with nothing written between steps.

An asynchronous one is accepted durably (its execution row and a ``start`` wake-up are
committed before StartExecution returns), then claimed and run here; if the node dies before
it ends, the wake-up is still there and the execution runs again from its start after a
restart or on another node: at least once, as AWS runs them. A synchronous one is never
written before it ends, so it runs at most once; its caller waits for the ending.

When it ends, an asynchronous Express execution's row gets its status, output or error, and
its history as the state machine's logging level asks (all of it, errors only, or nothing;
all of it when no logging is configured), kept for ``history_seconds`` (AWS keeps none;
Stepline lets them be read like a Standard execution's). A synchronous one is written only
when a logging level other than ``OFF`` is configured (with no logging configuration AWS keeps
nothing of it, and nothing was written before it ended), by the loop, in one transaction with
the other endings of its step, before its caller is answered (ADR 0010). AWS's five-minute
limit applies to both kinds.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from stepline.asl.jsontext import dumps
from stepline.engine.history import to_record
from stepline.runtime.effects import Cancel, Dispatch, Effect, Signal, StartTimer, TimerFired
from stepline.runtime.events import HistoryEvent
from stepline.runtime.transition import ExecutionRun, SignalRefused
from stepline.store import EventRecord, NewExecution, StepWrite

LOGGING_LEVELS = ("ALL", "ERROR", "FATAL", "OFF")

_ERROR_EVENT_ENDINGS = ("Failed", "TimedOut", "Aborted")
_FATAL_EVENTS = frozenset({"ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"})


def kept_events(events: list[HistoryEvent], level: str | None) -> list[EventRecord]:
    """The events an Express execution keeps: all (``ALL``, or no logging configured), the
    failures (``ERROR``), the execution's own failure (``FATAL``), or none (``OFF``)."""
    if level == "OFF":
        return []
    if level == "ERROR":
        events = [event for event in events if event.type.endswith(_ERROR_EVENT_ENDINGS)]
    elif level == "FATAL":
        events = [event for event in events if event.type in _FATAL_EVENTS]
    return [to_record(event) for event in events]


@dataclass(eq=False)
class ExpressRun:
    """One Express execution running here."""

    run: ExecutionRun
    execution_id: int | None
    """Its row (asynchronous), or None (synchronous)."""
    logging_level: str | None
    record: NewExecution | None = None
    """A synchronous execution's row, written when it ends; None when nothing of it is kept."""
    ending: Future[StepWrite] = field(default_factory=Future)
    events: list[HistoryEvent] = field(default_factory=list)

    @property
    def kept(self) -> bool:
        """Whether its ending is written (asynchronous, or synchronous with a row to write)."""
        return self.execution_id is not None or self.record is not None


Submit = Callable[["ExpressRun", Dispatch, str, str], None]


class ExpressRunner:
    """The Express executions of one node, moved by the engine's loop."""

    def __init__(self, submit: Submit, history_seconds: float) -> None:
        self.submit = submit
        self.history_seconds = history_seconds
        self.runs: set[ExpressRun] = set()
        self._timers: list[tuple[float, int, ExpressRun, int]] = []
        self._order = itertools.count()
        self._answers: list[tuple[ExpressRun, Signal]] = []
        self._lock = threading.Lock()

    def post(self, express: ExpressRun, signal: Signal) -> None:
        with self._lock:
            self._answers.append((express, signal))

    def begin(self, express: ExpressRun, now: float) -> None:
        self.runs.add(express)
        self._take(express, express.run.start(now))

    @property
    def has_answers(self) -> bool:
        return bool(self._answers)

    def next_due(self) -> float | None:
        timers = self._timers
        while timers and timers[0][3] not in timers[0][2].run.awaited:
            heapq.heappop(timers)  # cancelled, or its run has ended
        return timers[0][0] if timers else None

    def step(self, now: float) -> list[ExpressRun]:
        """Apply the answers posted and the timers due; the runs that ended."""
        with self._lock:
            answers, self._answers = self._answers, []
        while self._timers and self._timers[0][0] <= now:
            _, _, express, key = heapq.heappop(self._timers)
            answers.append((express, TimerFired(key)))
        ended: list[ExpressRun] = []
        for express, signal in answers:
            if express.run.finished:
                continue
            try:
                effects = express.run.advance(signal, now)
            except SignalRefused:
                continue
            self._take(express, effects)
            if express.run.finished:
                ended.append(express)
        return ended

    def _take(self, express: ExpressRun, effects: list[Effect]) -> None:
        run = express.run
        drained = run.execution.log.drain()
        if express.kept:
            express.events.extend(drained)
        for effect in effects:
            if isinstance(effect, StartTimer):
                heapq.heappush(self._timers, (effect.due, next(self._order), express, effect.key))
            elif isinstance(effect, Dispatch):
                self.submit(express, effect, run.execution.region, run.execution.account)
            elif isinstance(effect, Cancel):
                pass  # a cancelled timer fires into a run that no longer awaits it: ignored

    def ending(self, express: ExpressRun, now: float) -> StepWrite:
        """What an ended Express execution writes (its history as its logging level asks;
        only its ending, when nothing of it is kept)."""
        self.runs.discard(express)
        run = express.run
        drained = run.execution.log.drain()
        ending = run.result
        assert ending is not None
        kept = express.kept
        return StepWrite(
            execution_id=express.execution_id or 0,
            expected_version=0,
            checkpoint=dumps(run.checkpoint()) if kept else "",
            status=ending.status,
            events=kept_events([*express.events, *drained], express.logging_level) if kept else [],
            output=ending.output,
            error=ending.error,
            cause=ending.cause,
            stop_date=now,
            release=True,
            expires_at=now + self.history_seconds,
        )
