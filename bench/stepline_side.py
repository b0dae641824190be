"""The Stepline side: compile the definition once, then run executions in-process.

``stepline.runtime`` is imported when a measurement starts, so the harness (and the moto side)
load even where the runtime cannot.
"""

from __future__ import annotations

import cProfile
import gc
import io
import pstats
import time

from bench import Workload, check_outputs

PROFILE_TOP = 25


def measure_stepline(workload: Workload, executions: int) -> float:
    """Run ``executions`` executions on Stepline; check every output; return the timed seconds."""
    from stepline.runtime import compile_definition, run_execution  # noqa: PLC0415

    plan = compile_definition(workload.definition)
    input_text = workload.input_text
    gc.collect()
    started = time.perf_counter()
    results = [
        run_execution(plan, input_text, execution_name=f"bench-{index}")
        for index in range(executions)
    ]
    elapsed = time.perf_counter() - started
    check_outputs(workload, [(result.status, result.output) for result in results])
    return elapsed


def profile_stepline(workload: Workload, executions: int) -> str:
    """Run the Stepline side under cProfile; return the top functions by cumulative time."""
    profiler = cProfile.Profile()
    profiler.runcall(measure_stepline, workload, executions)
    report = io.StringIO()
    stats = pstats.Stats(profiler, stream=report)
    stats.sort_stats(pstats.SortKey.CUMULATIVE).print_stats(PROFILE_TOP)
    return report.getvalue()
