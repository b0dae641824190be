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
from collections.abc import Callable

from bench import Workload, check_outputs

PROFILE_TOP = 25

# An execution's status and output text, as the checks take them.
Outcome = tuple[str, str | None]


def _execute(workload: Workload, executions: int) -> Callable[[], list[Outcome]]:
    """Compile the definition now; return the loop that runs ``executions`` executions."""
    from stepline.runtime import compile_definition, run_execution  # noqa: PLC0415

    plan = compile_definition(workload.definition)
    input_text = workload.input_text

    def run_all() -> list[Outcome]:
        # Only what the checks need is kept: as on moto's side, where DescribeExecution's
        # status and output are all the harness holds on to.
        outcomes: list[Outcome] = []
        for index in range(executions):
            result = run_execution(plan, input_text, execution_name=f"bench-{index}")
            outcomes.append((result.status, result.output))
        return outcomes

    return run_all


def measure_stepline(workload: Workload, executions: int) -> float:
    """Run ``executions`` executions on Stepline; check every output; return the timed seconds."""
    run_all = _execute(workload, executions)
    gc.collect()
    started = time.perf_counter()
    outcomes = run_all()
    elapsed = time.perf_counter() - started
    check_outputs(workload, outcomes)
    return elapsed


def profile_stepline(workload: Workload, executions: int) -> str:
    """Profile the executions alone (import and compile excluded): top functions, cumulative."""
    run_all = _execute(workload, executions)
    profiler = cProfile.Profile()
    outcomes = profiler.runcall(run_all)
    check_outputs(workload, outcomes)
    report = io.StringIO()
    stats = pstats.Stats(profiler, stream=report)
    stats.sort_stats(pstats.SortKey.CUMULATIVE).print_stats(PROFILE_TOP)
    return report.getvalue()
