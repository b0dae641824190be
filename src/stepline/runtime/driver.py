"""The in-process driver: carries out an execution's effects at once, in this process.

Functions run on the calling thread when one is all the execution waits for, else on a thread
pool so that Map iterations and Parallel branches overlap; a function past its TimeoutSeconds is
answered with TaskTimedOut (and left to finish on its thread, its result dropped). Timers fire in
order of their due time: a ``FakeClock`` jumps to it, a ``SystemClock`` sleeps until it, and
functions still running are waited for first, as long as the clock says no timer is due.
"""

from __future__ import annotations

import concurrent.futures
import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TypeVar

from stepline.asl.errors import StatesError
from stepline.asl.scope import JSON
from stepline.runtime.clock import Clock
from stepline.runtime.effects import (
    Effect,
    InvokeFunction,
    Signal,
    StartTimer,
    TaskFailed,
    TaskSucceeded,
    TaskTimedOut,
    TimerFired,
)
from stepline.runtime.frame import Execution
from stepline.runtime.functions import invoke_response
from stepline.runtime.transition import Run, advance, start

POOL_WORKERS = 64

T = TypeVar("T")


def drive(run: Run[T]) -> T:
    """Run ``run`` to its end, carrying out every effect it starts; what its routine returned
    (or the exception it raised)."""
    driver = _Driver(run.execution)
    try:
        driver.take(start(run))
        while not run.finished:
            driver.take(advance(run, driver.next_signal()))
    finally:
        driver.close()
    return run.result  # type: ignore[return-value]


@dataclass(order=True)
class _Timer:
    due: datetime
    order: int
    key: int = field(compare=False)
    seconds: float = field(compare=False)
    set_at: datetime = field(compare=False)


@dataclass
class _Call:
    future: concurrent.futures.Future[JSON]
    deadline: float | None
    """``time.monotonic()`` after which the call has timed out, if it has a timeout."""


class _Driver:
    def __init__(self, execution: Execution) -> None:
        self.execution = execution
        self.clock: Clock = execution.clock
        self.ready: deque[Signal] = deque()
        self.calls: dict[int, _Call] = {}
        self.timers: list[_Timer] = []
        self.order = itertools.count()
        self.pool: concurrent.futures.ThreadPoolExecutor | None = None

    # Effects ------------------------------------------------------------------------------

    def take(self, effects: list[Effect]) -> None:
        # A call that is all the execution waits for runs here: nothing else could move meanwhile.
        alone = len(effects) == 1 and not self.calls and not self.timers
        for effect in effects:
            if isinstance(effect, InvokeFunction):
                if alone and effect.timeout_seconds is None:
                    self.ready.append(_answer(effect.key, partial(self._invoke, effect)))
                else:
                    self._call_on_pool(effect)
            elif isinstance(effect, StartTimer):
                now = self.clock.now()
                timer = _Timer(effect.due, next(self.order), effect.key, effect.seconds, now)
                heapq.heappush(self.timers, timer)
            else:
                self._cancel(effect.key)

    def _call_on_pool(self, effect: InvokeFunction) -> None:
        if self.pool is None:
            self.pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=POOL_WORKERS, thread_name_prefix="stepline-function"
            )
        future = self.pool.submit(self._invoke, effect)
        timeout = effect.timeout_seconds
        deadline = time.monotonic() + timeout if timeout is not None else None
        self.calls[effect.key] = _Call(future, deadline)

    def _invoke(self, effect: InvokeFunction) -> JSON:
        execution = self.execution
        result = execution.functions.invoke(
            effect.function, effect.payload, region=execution.region, account=execution.account
        )
        if effect.as_invoke_response:
            return invoke_response(result, now=self.clock.now())
        return result

    def _cancel(self, key: int) -> None:
        self.calls.pop(key, None)  # a running function cannot be stopped; its result is dropped
        self.timers = [timer for timer in self.timers if timer.key != key]
        heapq.heapify(self.timers)

    # Signals ------------------------------------------------------------------------------

    def next_signal(self) -> Signal:
        """The next answer: a function that finished or timed out, else the earliest timer."""
        while True:
            if self.ready:
                return self.ready.popleft()
            if self._collect_calls(block=False):
                continue
            if self.timers and (not self.calls or self._timer_due()):
                return self._fire_timer()
            if not self.calls:
                raise RuntimeError("the execution awaits effects that were never started")
            self._collect_calls(block=True)

    def _timer_due(self) -> bool:
        return self.timers[0].due <= self.clock.now()

    def _collect_calls(self, *, block: bool) -> bool:
        """Move finished or timed-out calls to ``ready``; with ``block``, wait for one first."""
        if block:
            concurrent.futures.wait(
                [call.future for call in self.calls.values()],
                timeout=self._wait_limit(),
                return_when=concurrent.futures.FIRST_COMPLETED,
            )
        now = time.monotonic()
        for key, call in list(self.calls.items()):
            if call.future.done():
                del self.calls[key]
                self.ready.append(_answer(key, call.future.result))
            elif call.deadline is not None and now >= call.deadline:
                del self.calls[key]
                self.ready.append(TaskTimedOut(key))
        return bool(self.ready)

    def _wait_limit(self) -> float | None:
        """How long to wait for calls: until the first deadline or (by the clock) timer."""
        limits = [
            call.deadline - time.monotonic()
            for call in self.calls.values()
            if call.deadline is not None
        ]
        if self.timers:
            limits.append((self.timers[0].due - self.clock.now()).total_seconds())
        return max(0.0, min(limits)) if limits else None

    def _fire_timer(self) -> Signal:
        timer = heapq.heappop(self.timers)
        now = self.clock.now()
        # A timer set just now waits its own seconds exactly (no rounding through datetimes).
        seconds = timer.seconds if now == timer.set_at else (timer.due - now).total_seconds()
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
