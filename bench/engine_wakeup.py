"""Wake-up cost: a Task→Wait loop, counted by a Choice, run on a FakeClock with
``run_until_idle()``, with the engine's run cache off (``cache_size=0``: every wake-up rebuilds
the execution from its stored checkpoint) or at its default.

AWS ends an execution at 25,000 history events and an iteration records 9, so the iterations
are run as several executions one after another, each of at most
``WAKEUP_ITERATIONS_PER_EXECUTION`` iterations (22,504 events for 2,500): what a workflow on AWS
does to loop for longer (it starts a new execution to continue). Each execution's last event
id is checked against the quota.

The two modes run on engines and stores of their own and take turns, one execution each, so
that a change in the machine's load weighs on both alike. The in-process function stamps the
time at each call (on a clock that stops while the other mode runs), so the time of any run of
consecutive iterations is known: the first and the last 1,000 must take about as long (a
wake-up must not cost more as the history grows).
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench import OutputMismatchError
from bench.engine_machines import (
    HISTORY_QUOTA,
    WAKEUP_FUNCTION,
    WAKEUP_ITERATIONS_PER_EXECUTION,
    WAKEUP_LOOP,
)
from bench.engine_stores import SQLITE_NORMAL, fresh_store
from stepline.engine import Engine
from stepline.runtime import FakeClock, FunctionRegistry
from stepline.store import SqlStore


@dataclass(frozen=True, slots=True)
class WakeupResult:
    """One mode's run: total seconds, and the seconds of each block of iterations."""

    cache_size: int | None
    iterations: int
    elapsed_s: float
    cpu_s: float
    """CPU seconds of the whole process (every thread) while it ran."""
    block: int
    blocks_s: list[float]
    early_late_ms: tuple[float, float]
    """Milliseconds an iteration takes early in its execution's history and late in it."""
    executions: int
    most_events: int

    @property
    def first_s(self) -> float:
        return self.blocks_s[0]

    @property
    def last_s(self) -> float:
        return self.blocks_s[-1]

    def describe(self) -> str:
        mode = "default cache" if self.cache_size is None else f"cache_size={self.cache_size}"
        blocks = " ".join(f"{seconds:.3f}" for seconds in self.blocks_s)
        return (
            f"wakeup {mode}: {self.iterations} iterations in {self.elapsed_s:.3f} s "
            f"({self.elapsed_s / self.iterations * 1e3:.3f} ms each, CPU {self.cpu_s:.3f} s; "
            f"{self.executions} "
            f"executions, at most {self.most_events} events each); first {self.block}: "
            f"{self.first_s:.3f} s, last {self.block}: {self.last_s:.3f} s; "
            f"every {self.block}: {blocks}; an iteration in the first fifth of its execution: "
            f"{self.early_late_ms[0]:.3f} ms, in the last fifth: {self.early_late_ms[1]:.3f} ms"
        )


def block_times(stamps: list[float], block: int) -> list[float]:
    """Seconds taken by consecutive blocks of ``block`` iterations (an iteration: from one
    Task call to the next); the last block ends at the last call."""
    intervals = len(stamps) - 1
    if intervals < block:
        raise ValueError(f"{len(stamps)} iterations are fewer than a block of {block}")
    starts = list(range(0, intervals - block + 1, block))
    if starts[-1] != intervals - block:
        starts.append(intervals - block)
    return [stamps[start + block] - stamps[start] for start in starts]


class _Mode:
    """One engine (and store) of the comparison, timed only while it runs."""

    def __init__(self, store: SqlStore, cache_size: int | None) -> None:
        self.cache_size = cache_size
        self.stamps: list[float] = []
        """When each Task call ran, on a clock that stops while the other mode runs."""
        self.elapsed_s = 0.0
        self.cpu_s = 0.0
        self.executions = 0
        self.most_events = 0
        self.bounds: list[tuple[int, int]] = []
        """Each execution's first and last index in ``stamps``."""
        self._paused_s = 0.0
        self._stopped_at: float | None = None
        functions = FunctionRegistry({WAKEUP_FUNCTION: self._tick})
        options: dict[str, Any] = {} if cache_size is None else {"cache_size": cache_size}
        self.engine = Engine(store, functions=functions, clock=FakeClock(), **options)
        self.machine = self.engine.register_state_machine("bench-wakeup", WAKEUP_LOOP)

    def _tick(self, event: Any, context: Any) -> Any:
        self.stamps.append(time.perf_counter() - self._paused_s)
        return {"i": event["i"] + 1, "limit": event["limit"]}

    def run_execution(self, count: int) -> None:
        """One execution of ``count`` iterations, to its end; then checked."""
        started, cpu_started = time.perf_counter(), time.process_time()
        if self._stopped_at is not None:
            self._paused_s += started - self._stopped_at
        first = len(self.stamps)
        arn = self.engine.start_execution(self.machine, json.dumps({"i": 0, "limit": count}))
        self.engine.run_until_idle()
        self._stopped_at = time.perf_counter()
        self.bounds.append((first, len(self.stamps) - 1))
        self.elapsed_s += self._stopped_at - started
        self.cpu_s += time.process_time() - cpu_started
        _check(self.engine, arn, count)
        self.most_events = max(self.most_events, _last_event_id(self.engine, arn))
        self.executions += 1

    def result(self, iterations: int, block: int) -> WakeupResult:
        if len(self.stamps) != iterations:
            raise OutputMismatchError(
                f"wakeup: {len(self.stamps)} Task calls for {iterations} iterations"
            )
        if self.most_events >= HISTORY_QUOTA:
            raise OutputMismatchError(f"wakeup: an execution recorded {self.most_events} events")
        return WakeupResult(
            self.cache_size,
            iterations,
            self.elapsed_s,
            self.cpu_s,
            block,
            block_times(self.stamps, block),
            early_and_late(self.stamps, self.bounds),
            self.executions,
            self.most_events,
        )


def early_and_late(stamps: list[float], bounds: list[tuple[int, int]]) -> tuple[float, float]:
    """Mean milliseconds of an iteration in the first fifth of its execution and in the last
    fifth (short histories against long ones), over every execution (``bounds``: each one's
    first and last index in ``stamps``)."""
    early = late = 0.0
    counted = 0
    for first, last in bounds:
        fifth = (last - first) // 5
        if fifth < 1:
            continue
        early += stamps[first + fifth] - stamps[first]
        late += stamps[last] - stamps[last - fifth]
        counted += fifth
    if not counted:
        return (0.0, 0.0)
    return (early / counted * 1e3, late / counted * 1e3)


def run_wakeup(
    iterations: int,
    *,
    cache_sizes: Sequence[int | None] = (0, None),
    block: int,
    per_execution: int = WAKEUP_ITERATIONS_PER_EXECUTION,
) -> list[WakeupResult]:
    """Run ``iterations`` iterations, in executions of at most ``per_execution``, with each
    cache size (None: the engine's default), each on an engine and store of its own. The
    modes take turns, one execution each, so that a change in the machine's load weighs on
    both alike."""
    with contextlib.ExitStack() as stack:
        modes = []
        for cache_size in cache_sizes:
            mode = _Mode(stack.enter_context(fresh_store(SQLITE_NORMAL)), cache_size)
            stack.callback(mode.engine.close)
            modes.append(mode)
        remaining = iterations
        while remaining:
            count = min(remaining, per_execution)
            for mode in modes:
                mode.run_execution(count)
            remaining -= count
    results = [mode.result(iterations, block) for mode in modes]
    for result in results:
        print(result.describe(), file=sys.stderr, flush=True)
    return results


def _check(engine: Engine, arn: str, count: int) -> None:
    described = engine.describe_execution(arn)
    output = json.loads(described.get("output") or "null")
    if described["status"] != "SUCCEEDED" or output != {"i": count, "limit": count}:
        raise OutputMismatchError(
            f"wakeup: {arn} ended {described['status']} with {described.get('output')} "
            f"({described.get('error')}: {described.get('cause')})"
        )


def _last_event_id(engine: Engine, arn: str) -> int:
    page = engine.get_execution_history(
        arn, reverse_order=True, max_results=1, include_execution_data=False
    )
    return int(page["events"][0]["id"])
