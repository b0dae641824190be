"""Standard executions kept at a fixed number in flight on a durable store.

The engine's loop runs in its thread (``engine.start()``). One client thread starts
``in_flight`` executions, then starts a new one each time one ends, until the measured window
is over; then it lets the last ones end. Every execution that ends is read back from the store
(its committed row) and checked against its workload's expected output. The rate counts the
states entered by the executions that ended inside the window (after a warm-up), per second.

How the client learns that an execution ended: the engine has no public way to wait for any
one of many executions (``Engine.wait`` takes one ARN, and every ending wakes every waiter),
so the benchmark chains a callback onto ``engine.loop.ended``, which the loop calls for each
execution a committed step ended (a server on the engine would need the same).
"""

from __future__ import annotations

import itertools
import json
import queue
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench import OutputMismatchError, Workload
from stepline.engine import Engine
from stepline.store import ExecutionRecord, StepWrite

STALL_SECONDS = 60.0
"""No execution ending for this long means the engine is stuck: the benchmark fails."""


@dataclass(slots=True)
class InFlightResult:
    """What one run at a fixed number in flight measured."""

    in_flight: int
    measured_s: float
    ended_in_window: Counter[str] = field(default_factory=Counter)
    transitions_in_window: int = 0
    checked: int = 0
    latencies_s: list[float] = field(default_factory=list)
    """From ``start_execution`` returning to the client seeing the ending, for the executions
    that ended in the window."""

    @property
    def transitions_per_s(self) -> float:
        return self.transitions_in_window / self.measured_s

    def describe(self) -> str:
        """One line of detail for stderr."""
        parts = [
            f"{name}: {count} executions ({count / self.measured_s:.1f}/s)"
            for name, count in sorted(self.ended_in_window.items())
        ]
        latencies = ""
        if self.latencies_s:
            latencies = (
                f"; start to ending seen: median {statistics.median(self.latencies_s):.3f} s, "
                f"max {max(self.latencies_s):.3f} s"
            )
        return (
            f"{'; '.join(parts)}; {self.transitions_in_window} transitions in "
            f"{self.measured_s:.1f} s; {self.checked} executions checked{latencies}"
        )


def check_record(workload: Workload, record: ExecutionRecord) -> None:
    """Raise unless the stored execution SUCCEEDED with the workload's expected output."""
    if record.status != "SUCCEEDED":
        message = (
            f"{workload.name}: {record.arn} ended {record.status} ({record.error}: {record.cause})"
        )
        raise OutputMismatchError(message)
    output = None if record.output is None else json.loads(record.output)
    if output != workload.expected_output:
        raise OutputMismatchError(f"{workload.name}: {record.arn} returned {record.output}")


def states_entered(engine: Engine, execution_arn: str) -> int:
    """How many states the execution entered, counted in its stored history."""
    entered, token = 0, None
    while True:
        page = engine.get_execution_history(
            execution_arn, max_results=1000, next_token=token, include_execution_data=False
        )
        entered += sum(1 for event in page["events"] if event["type"].endswith("StateEntered"))
        token = page.get("nextToken")
        if token is None:
            return entered


def run_in_flight(
    engine: Engine,
    workloads: Sequence[Workload],
    *,
    in_flight: int,
    warmup_s: float,
    measure_s: float,
    label: str,
    stagger_s: float = 0.0,
) -> InFlightResult:
    """Keep ``in_flight`` executions running (the workloads' in turn) on ``engine``; the
    first ``in_flight`` starts are spread evenly over ``stagger_s`` (so that executions that
    all wait as long do not end in waves)."""
    machines = {
        workload.name: engine.register_state_machine(f"bench-{workload.name}", workload.definition)
        for workload in workloads
    }
    by_machine = {machines[workload.name]: workload for workload in workloads}
    ended: queue.SimpleQueue[int] = queue.SimpleQueue()
    engine_ended = engine.loop.ended

    def on_ended(execution_id: int, write: StepWrite) -> None:
        engine_ended(execution_id, write)
        ended.put(execution_id)

    engine.loop.ended = on_ended
    turns = itertools.cycle(workloads)

    started_at: dict[str, float] = {}

    def start_one() -> None:
        workload = next(turns)
        arn = engine.start_execution(machines[workload.name], workload.input_text)
        started_at[arn] = time.perf_counter()

    engine.start()
    started = time.perf_counter()
    window_start = started + warmup_s
    window_end = window_start + measure_s
    running, unstarted = 0, in_flight
    result = InFlightResult(in_flight, measure_s)
    sampled: dict[str, str] = {}
    print(f"{label}: {in_flight} in flight, warm-up {warmup_s:g} s", file=sys.stderr, flush=True)
    while running or unstarted:
        timeout = STALL_SECONDS
        if unstarted:
            timeout = started + (in_flight - unstarted) * stagger_s / in_flight
            timeout -= time.perf_counter()
            if timeout <= 0:
                start_one()
                running, unstarted = running + 1, unstarted - 1
                continue
        try:
            execution_id = ended.get(timeout=timeout)
        except queue.Empty:
            if unstarted:
                continue
            raise RuntimeError(
                f"{label}: no execution ended for {STALL_SECONDS:g} s ({running} running)"
            ) from None
        now = time.perf_counter()
        running -= 1
        record = engine.store.execution_by_id(execution_id)
        if record is None:
            raise OutputMismatchError(f"{label}: execution {execution_id} is not in the store")
        workload = by_machine[record.state_machine_arn]
        check_record(workload, record)
        latency = now - started_at.pop(record.arn)
        result.checked += 1
        sampled.setdefault(workload.name, record.arn)
        if window_start <= now < window_end:
            result.ended_in_window[workload.name] += 1
            result.transitions_in_window += workload.units_per_execution
            result.latencies_s.append(latency)
        if now < window_end:
            start_one()
            running += 1
    for name, arn in sampled.items():
        workload = next(workload for workload in workloads if workload.name == name)
        counted = states_entered(engine, arn)
        if counted != workload.units_per_execution:
            raise OutputMismatchError(
                f"{name}: an execution entered {counted} states, the workload says "
                f"{workload.units_per_execution}"
            )
    return result
