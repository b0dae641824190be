"""Memory of many waiting executions, in a process of its own so that its resident memory is
the engine's alone: ``python -m bench.engine_waiting --executions N``.

The child starts N executions of a machine whose first state is a 30 s Wait (on a FakeClock),
steps the engine until every one has begun and waits (``run_until_idle`` bounded so the clock
does not reach the timers), reads its resident memory (``VmRSS`` in ``/proc/self/status``), then
lets them all wake and checks that all SUCCEEDED. It prints progress on stderr and one JSON
object on stdout; ``run_waiting`` runs it and reads that object.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import OutputMismatchError
from bench.engine_machines import WAITING, WAITING_SECONDS
from bench.engine_stores import SQLITE_NORMAL, fresh_store
from stepline.engine import Engine
from stepline.runtime import FakeClock

REPOSITORY = Path(__file__).resolve().parent.parent
START_BATCH = 1_000
"""Executions started per ``start_executions`` call (one transaction)."""


@dataclass(frozen=True, slots=True)
class WaitingResult:
    executions: int
    rss_mb: float
    """Resident memory once every execution waits."""
    peak_rss_mb: float
    """The process's peak resident memory up to then (``VmHWM``)."""
    baseline_rss_mb: float
    """Resident memory before the first start (interpreter, Stepline, the store)."""
    start_s: float
    """Seconds taken by the ``start_executions`` calls (``START_BATCH`` executions each)."""
    begin_s: float
    """Seconds the loop took to claim and begin them all (until each waits)."""
    wake_s: float
    """Seconds the loop took to wake and end them all."""
    cached_runs: int

    def describe(self) -> str:
        n = self.executions
        return (
            f"waiting: {n} executions; starting {self.start_s:.1f} s "
            f"({n / self.start_s:.0f}/s, {START_BATCH} per start_executions call), beginning "
            f"{self.begin_s:.1f} s ({n / self.begin_s:.0f}/s), waking and ending "
            f"{self.wake_s:.1f} s ({n / self.wake_s:.0f}/s); RSS {self.rss_mb:.1f} MB while all "
            f"wait (peak {self.peak_rss_mb:.1f} MB, {self.baseline_rss_mb:.1f} MB before the "
            f"first start, {self.cached_runs} runs in the engine's cache)"
        )


def memory_mb(field: str = "VmRSS") -> float:
    """A memory figure of this process from ``/proc/self/status``, in MB (MiB)."""
    with Path("/proc/self/status").open(encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def measure_waiting(executions: int) -> WaitingResult:
    """In this process: start, begin, measure, wake, check."""
    clock = FakeClock()
    with fresh_store(SQLITE_NORMAL) as store:
        engine = Engine(store, clock=clock)
        try:
            machine = engine.register_state_machine("bench-waiting", WAITING)
            baseline = memory_mb()
            started = time.perf_counter()
            tenth = max(1, executions // 10)
            for first in range(0, executions, START_BATCH):
                inputs = [
                    f'{{"i": {index}}}'
                    for index in range(first, min(executions, first + START_BATCH))
                ]
                engine.start_executions(machine, inputs)
                done = first + len(inputs)
                if done % tenth < START_BATCH:
                    print(
                        f"waiting: {done} started ({time.perf_counter() - started:.1f} s)",
                        file=sys.stderr,
                        flush=True,
                    )
            start_s = time.perf_counter() - started
            began_at = clock.now().timestamp()
            started = time.perf_counter()
            engine.run_until_idle(max_seconds=WAITING_SECONDS / 2)
            begin_s = time.perf_counter() - started
            running = store.count_executions(status="RUNNING")
            due = store.next_due()
            if running != executions or due is None or due < began_at + WAITING_SECONDS - 1:
                raise OutputMismatchError(
                    f"waiting: {running} of {executions} running, next wake-up at {due} "
                    f"(expected every one waiting until {began_at + WAITING_SECONDS})"
                )
            rss, peak = memory_mb(), memory_mb("VmHWM")
            cached = len(engine.loop.cache)
            print(f"waiting: all {executions} wait; RSS {rss:.1f} MB", file=sys.stderr, flush=True)
            started = time.perf_counter()
            engine.run_until_idle()
            wake_s = time.perf_counter() - started
            succeeded = store.count_executions(status="SUCCEEDED")
            if succeeded != executions:
                raise OutputMismatchError(f"waiting: {succeeded} of {executions} SUCCEEDED")
            _check_outputs(engine, machine, executions)
        finally:
            engine.close()
    return WaitingResult(
        executions, rss, peak, baseline, start_s, begin_s, wake_s, cached_runs=cached
    )


def _check_outputs(engine: Engine, machine: str, executions: int) -> None:
    """Every execution's output, read back page by page through ListExecutions and
    DescribeExecution, is ``{"i": <its index>, "woke": true}``."""
    seen: set[int] = set()
    token = None
    while True:
        page = engine.list_executions(machine, max_results=1000, next_token=token)
        for item in page["executions"]:
            described = engine.describe_execution(item["executionArn"])
            output = json.loads(described.get("output") or "null")
            if described["status"] != "SUCCEEDED" or not isinstance(output, dict):
                raise OutputMismatchError(f"waiting: {item['executionArn']} ended {output}")
            if output.get("woke") is not True or output.get("i") in seen:
                raise OutputMismatchError(f"waiting: {item['executionArn']} returned {output}")
            seen.add(output["i"])
        token = page.get("nextToken")
        if token is None:
            break
    if seen != set(range(executions)):
        raise OutputMismatchError(f"waiting: {len(seen)} distinct outputs for {executions}")


def run_waiting(executions: int) -> WaitingResult:
    """Run the measurement in a child process (its progress goes to this stderr)."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.engine_waiting", "--executions", str(executions)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPOSITORY,
        check=True,
    )
    fields = json.loads(completed.stdout.strip().splitlines()[-1])
    result = WaitingResult(**fields)
    print(result.describe(), file=sys.stderr, flush=True)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.engine_waiting", description=__doc__)
    parser.add_argument("--executions", type=int, default=100_000)
    arguments = parser.parse_args(argv)
    result = measure_waiting(arguments.executions)
    fields = {name: getattr(result, name) for name in result.__dataclass_fields__}
    print(json.dumps(fields))
    return 0


if __name__ == "__main__":
    sys.exit(main())
