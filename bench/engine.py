"""The durable engine's benchmark:
``python -m bench.engine [--quick] [--store sqlite|postgresql|all] [--only PART]...``.

Progress goes to stderr; the output ends with these lines on stdout (numbers measured)::

    durable store=sqlite synchronous=NORMAL in_flight=100 transitions_per_s=<n>
    durable store=sqlite synchronous=NORMAL workload=task_wait in_flight=100 transitions_per_s=<n>
    durable store=sqlite synchronous=FULL in_flight=100 transitions_per_s=<n>
    durable store=sqlite synchronous=FULL workload=task_wait in_flight=100 transitions_per_s=<n>
    durable store=postgresql in_flight=100 transitions_per_s=<n>
    durable store=postgresql workload=task_wait in_flight=100 transitions_per_s=<n>
    wakeup iterations=10000 evicted_s=<a> cached_s=<b> ratio=<a/b>
    waiting executions=100000 rss_mb=<n>
    express mode=sync executions_per_s=<n>
    express mode=async executions_per_s=<n>

``--store`` chooses the stores of the ``durable`` lines; the other parts run on SQLite
(``synchronous=NORMAL``, the default store). ``--quick`` runs a much smaller version of
everything (seconds). ``bench/README.md`` says what each part does.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from bench import load_workload
from bench.engine_durable import run_in_flight
from bench.engine_express import run_express
from bench.engine_machines import TASK_WAIT, TASK_WAIT_SECONDS, bench_increment
from bench.engine_stores import (
    DEFAULT_POSTGRES_URL,
    POSTGRESQL,
    SQLITE_FULL,
    SQLITE_NORMAL,
    StoreSpec,
    fresh_store,
    postgres_unavailable,
)
from bench.engine_waiting import run_waiting
from bench.engine_wakeup import run_wakeup
from stepline.engine import Engine
from stepline.runtime import FunctionRegistry

SHARED_WORKLOADS = ("concurrency", "pass100")
"""The shared workloads the durable lines run, in turn (``bench/workloads/``)."""

PARTS = ("durable", "wakeup", "waiting", "express")
TARGETS = {"sqlite": 5_000, "postgresql": 2_000}
"""The issue's targets for the durable lines, in transitions/s (reported, never asserted)."""
WAKEUP_RATIO_BOUND = 3.0
WAITING_RSS_BOUND_MB = 500.0
STORES = {
    "sqlite": (SQLITE_NORMAL, SQLITE_FULL),
    "postgresql": (POSTGRESQL,),
    "all": (SQLITE_NORMAL, SQLITE_FULL, POSTGRESQL),
}


@dataclass(frozen=True, slots=True)
class Sizes:
    """How much of everything to run."""

    in_flight: int
    warmup_s: float
    measure_s: float
    task_wait_warmup_s: float
    task_wait_measure_s: float
    wakeup_iterations: int
    wakeup_per_execution: int
    wakeup_block: int
    waiting_executions: int
    express_executions: int
    express_threads: int


FULL = Sizes(
    in_flight=100,
    warmup_s=3.0,
    measure_s=15.0,
    task_wait_warmup_s=2.0,
    task_wait_measure_s=10.0,
    wakeup_iterations=10_000,
    wakeup_per_execution=2_500,
    wakeup_block=1_000,
    waiting_executions=100_000,
    express_executions=5_000,
    express_threads=8,
)
QUICK = Sizes(
    in_flight=100,
    warmup_s=0.3,
    measure_s=1.0,
    task_wait_warmup_s=1.1,
    task_wait_measure_s=1.0,
    wakeup_iterations=200,
    wakeup_per_execution=120,
    wakeup_block=50,
    waiting_executions=1_000,
    express_executions=200,
    express_threads=4,
)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def durable_lines(spec: StoreSpec, sizes: Sizes, postgres_url: str) -> list[str]:
    """The shared workloads, then ``task_wait``, each on a fresh store of ``spec``."""
    workloads = [load_workload(name) for name in SHARED_WORKLOADS]
    with fresh_store(spec, postgres_url) as store:
        engine = Engine(store)
        try:
            shared = run_in_flight(
                engine,
                workloads,
                in_flight=sizes.in_flight,
                warmup_s=sizes.warmup_s,
                measure_s=sizes.measure_s,
                label=f"durable {spec.label}",
            )
        finally:
            engine.close()
    progress(f"durable {spec.label}: {shared.describe()}")
    target = TARGETS[spec.kind]
    verdict = "met" if shared.transitions_per_s >= target else "NOT met"
    progress(f"durable {spec.label}: the issue's target of {target} transitions/s is {verdict}")
    functions = FunctionRegistry({"bench_increment": bench_increment})
    with fresh_store(spec, postgres_url) as store:
        engine = Engine(store, functions=functions)
        try:
            task_wait = run_in_flight(
                engine,
                [TASK_WAIT],
                in_flight=sizes.in_flight,
                warmup_s=sizes.task_wait_warmup_s,
                measure_s=sizes.task_wait_measure_s,
                label=f"durable {spec.label} workload=task_wait",
                stagger_s=TASK_WAIT_SECONDS,
            )
        finally:
            engine.close()
    progress(f"durable {spec.label} workload=task_wait: {task_wait.describe()}")
    return [
        f"durable {spec.label} in_flight={shared.in_flight} "
        f"transitions_per_s={shared.transitions_per_s:.1f}",
        f"durable {spec.label} workload=task_wait in_flight={task_wait.in_flight} "
        f"transitions_per_s={task_wait.transitions_per_s:.1f}",
    ]


def wakeup_line(sizes: Sizes) -> str:
    """The Task→Wait loop with the run cache off, then at its default."""
    evicted, cached = run_wakeup(
        sizes.wakeup_iterations,
        cache_sizes=(0, None),
        block=sizes.wakeup_block,
        per_execution=sizes.wakeup_per_execution,
    )
    ratio = evicted.elapsed_s / cached.elapsed_s
    progress(
        f"wakeup: evicted/cached {ratio:.2f} (the issue's bound: {WAKEUP_RATIO_BOUND:g}; in "
        f"CPU time {evicted.cpu_s / cached.cpu_s:.2f}); "
        f"last/first {sizes.wakeup_block} iterations: {evicted.last_s / evicted.first_s:.2f} "
        f"evicted, {cached.last_s / cached.first_s:.2f} cached (1 when a wake-up's cost "
        "does not grow with the history)"
    )
    return (
        f"wakeup iterations={sizes.wakeup_iterations} evicted_s={evicted.elapsed_s:.3f} "
        f"cached_s={cached.elapsed_s:.3f} ratio={ratio:.2f}"
    )


def waiting_line(sizes: Sizes) -> str:
    result = run_waiting(sizes.waiting_executions)
    progress(f"waiting: the issue's bound is {WAITING_RSS_BOUND_MB:g} MB")
    return f"waiting executions={result.executions} rss_mb={result.rss_mb:.1f}"


def express_lines(sizes: Sizes) -> list[str]:
    result = run_express(sizes.express_executions, sizes.express_threads)
    return [
        f"express mode=sync executions_per_s={result.sync_per_s:.1f}",
        f"express mode=async executions_per_s={result.async_per_s:.1f}",
    ]


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.engine",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="a much smaller run (seconds)")
    parser.add_argument(
        "--store",
        choices=sorted(STORES),
        default="all",
        help="stores of the durable lines (default: all)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=PARTS,
        help="run only this part (repeatable; default: every part)",
    )
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_URL,
        help="a PostgreSQL database to connect to in order to create (and drop) the "
        f"benchmark's own stepline_bench_* databases (default: {DEFAULT_POSTGRES_URL})",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    sizes = QUICK if arguments.quick else FULL
    parts = arguments.only or list(PARTS)
    specs = STORES[arguments.store]
    if "durable" in parts and POSTGRESQL in specs:
        reason = postgres_unavailable(arguments.postgres_url)
        if reason is not None:
            progress(f"PostgreSQL: {reason} (run with --store sqlite to leave it out)")
            return 2
    lines: list[str] = []
    if "durable" in parts:
        for spec in specs:
            lines += durable_lines(spec, sizes, arguments.postgres_url)
    if "wakeup" in parts:
        lines.append(wakeup_line(sizes))
    if "waiting" in parts:
        lines.append(waiting_line(sizes))
    if "express" in parts:
        lines += express_lines(sizes)
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
