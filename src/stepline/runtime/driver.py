"""The in-process driver: carries out an execution's effects at once, in this process.

Functions run on the calling thread when one is all the execution waits for, else on a thread
pool so that Map iterations and Parallel branches overlap. Work is answered with TaskStarted as
it starts and with its result once it ends. Timers (Wait states, retry back-off, the Task and
execution timeouts) fire in order of their due time: a ``FakeClock`` jumps to it, a
``SystemClock`` sleeps until it, and functions still running are waited for first, for as long
as the clock says no timer is due.
"""

from __future__ import annotations

import concurrent.futures
import heapq
import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol, TypeVar

from stepline.asl.errors import StatesError, TaskError
from stepline.asl.scope import JSON
from stepline.runtime.clock import Clock
from stepline.runtime.effects import (
    Cancel,
    Dispatch,
    Effect,
    Routine,
    Signal,
    StartExecution,
    StartTimer,
    TaskFailed,
    TaskStarted,
    TaskSucceeded,
    TimerFired,
)
from stepline.runtime.frame import Execution
from stepline.runtime.functions import FunctionRegistry
from stepline.runtime.resources import is_activity

POOL_WORKERS = 64

T = TypeVar("T")


class Drivable(Protocol):
    """What the driver moves: an ``ExecutionRun`` or a single ``RoutineRun``."""

    execution: Execution
    functions: FunctionRegistry
    clock: Clock
    result: Any

    @property
    def finished(self) -> bool: ...
    def start(self, now: float | None = None) -> list[Effect]: ...
    def advance(self, signal: Signal, now: float | None = None) -> list[Effect]: ...


Children = Callable[[StartExecution, str, str], Signal]
"""Runs a child execution to its end: (effect, region, account) -> its ExecutionEnded."""


def drive(
    run: Drivable,
    between: Callable[[Any], Any] | None = None,
    children: Children | None = None,
) -> Any:
    """Run ``run`` to its end, carrying out every effect it starts; what it returned.

    ``between``, if given, is called with the run after each transition and returns the run
    to go on with: a test can put every step through a checkpoint and a rebuild.
    ``children`` runs the child executions of distributed Maps.
    """
    driver = _Driver(run, children)
    try:
        driver.take(run.start(driver.now()))
        while not run.finished:
            if between is not None:
                run = driver.run = between(run)
                driver.execution = run.execution
            driver.take(run.advance(driver.next_signal(), driver.now()))
    finally:
        driver.close()
    return run.result


@dataclass(order=True)
class _Timer:
    due: float
    order: int
    key: int = field(compare=False)
    seconds: float = field(compare=False)
    set_at: float = field(compare=False)


class _Driver:
    def __init__(self, run: Drivable, children: Children | None) -> None:
        self.run = run
        self.children = children
        self.execution = run.execution
        self.clock: Clock = run.clock
        self.ready: deque[Signal] = deque()
        self.calls: dict[int, concurrent.futures.Future[JSON]] = {}
        self.timers: list[_Timer] = []
        self.order = itertools.count()
        self.pool: concurrent.futures.ThreadPoolExecutor | None = None

    def now(self) -> float:
        return self.clock.now().timestamp()

    # Effects ------------------------------------------------------------------------------

    def take(self, effects: list[Effect]) -> None:
        # Work that is all the execution waits for runs here: nothing else could move meanwhile.
        alone = len(effects) == 1 and not self.calls and not self.timers
        for effect in effects:
            if isinstance(effect, Dispatch):
                self.ready.append(TaskStarted(effect.key))
                if alone and effect.timeout_seconds is None:
                    self.ready.append(_answer(effect.key, partial(self._work, effect)))
                else:
                    self._call_on_pool(effect)
            elif isinstance(effect, StartTimer):
                timer = _Timer(effect.due, next(self.order), effect.key, effect.seconds, self.now())
                heapq.heappush(self.timers, timer)
            elif isinstance(effect, StartExecution):
                if self.children is None:
                    raise RuntimeError("this driver cannot run child executions")
                execution = self.execution
                self.ready.append(self.children(effect, execution.region, execution.account))
            elif isinstance(effect, Cancel):
                self._cancel(effect.key)

    def _call_on_pool(self, effect: Dispatch) -> None:
        if self.pool is None:
            self.pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=POOL_WORKERS, thread_name_prefix="stepline-function"
            )
        self.calls[effect.key] = self.pool.submit(self._work, effect)

    def _work(self, effect: Dispatch) -> JSON:
        execution = self.execution
        if is_activity(effect.resource):
            raise TaskError(
                "States.Runtime",
                f"No worker can take the tasks of activity {effect.resource} in an execution "
                "run in-process: run it on a server (stepline serve), whose workers poll for "
                "them with GetActivityTask",
            )
        return self.run.functions.perform(
            effect.resource,
            effect.parameters,
            region=execution.region,
            account=execution.account,
            now=self.clock.now(),
        )

    def _cancel(self, key: int) -> None:
        self.calls.pop(key, None)  # a running function cannot be stopped; its result is dropped
        self.ready = deque(signal for signal in self.ready if signal.key != key)
        if any(timer.key == key for timer in self.timers):
            self.timers = [timer for timer in self.timers if timer.key != key]
            heapq.heapify(self.timers)

    # Signals ------------------------------------------------------------------------------

    def next_signal(self) -> Signal:
        """The next answer: work that started or ended, else the earliest timer."""
        while True:
            if self.ready:
                return self.ready.popleft()
            if self._collect_calls(block=False):
                continue
            if self.timers and (not self.calls or self._timer_due()):
                return self._fire_timer()
            if not self.calls:
                raise RuntimeError("the execution awaits effects that were never started")
            if not self._collect_calls(block=True) and self.timers:
                return self._fire_timer()  # waited as long as the first timer allowed

    def _timer_due(self) -> bool:
        return self.timers[0].due <= self.now()

    def _collect_calls(self, *, block: bool) -> bool:
        """Move finished calls to ``ready``; with ``block``, wait for one first (no longer
        than the first timer is away)."""
        if block:
            limit = None
            if self.timers:
                limit = max(0.0, self.timers[0].due - self.now())
            concurrent.futures.wait(
                list(self.calls.values()),
                timeout=limit,
                return_when=concurrent.futures.FIRST_COMPLETED,
            )
        for key, future in list(self.calls.items()):
            if future.done():
                del self.calls[key]
                self.ready.append(_answer(key, future.result))
        return bool(self.ready)

    def _fire_timer(self) -> Signal:
        timer = heapq.heappop(self.timers)
        now = self.now()
        # A timer set just now waits its own seconds exactly (no rounding through datetimes).
        seconds = timer.seconds if now == timer.set_at else timer.due - now
        self.clock.sleep(max(0.0, seconds))
        return TimerFired(timer.key)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False)


def _answer(key: int, result: Callable[[], JSON]) -> Signal:
    """The signal for a function's result, or for the Task error it raised."""
    try:
        return TaskSucceeded(key, result())
    except StatesError as error:
        return TaskFailed(key, error.error, error.cause)


class RoutineRun:
    """A single routine driven like an execution (TestState runs one state's this way)."""

    def __init__(
        self,
        execution: Execution,
        routine: Routine[Any],
        functions: FunctionRegistry,
        clock: Clock,
    ) -> None:
        self.execution = execution
        self.routine = routine
        self.functions = functions
        self.clock = clock
        self.result: Any = None
        self.finished = False

    def start(self, now: float | None = None) -> list[Effect]:
        return self._send(None, now)

    def advance(self, signal: Signal, now: float | None = None) -> list[Effect]:
        return self._send(signal, now)

    def _send(self, signal: Signal | None, now: float | None) -> list[Effect]:
        self.execution.now = self.clock.now().timestamp() if now is None else now
        try:
            effects: list[Effect] = self.routine.send(signal)
        except StopIteration as stop:
            self.finished, self.result = True, stop.value
            return []
        return effects
