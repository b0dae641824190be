"""Run the in-process benchmarks: ``python -m bench.run [--workload NAME]... [--repeat N]``.

Each repeat runs Stepline, then moto, on the same workload in this process; the median rate of
each side over the repeats, and their ratio, end the output, one line per workload:
``<workload> stepline=<rate> moto=<rate> ratio=<stepline/moto>``. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench import IN_PROCESS_WORKLOADS, Workload, load_workload
from bench.peers import measure_moto
from bench.stepline_side import measure_stepline, profile_stepline

# A side takes a workload and a number of executions, and returns the timed seconds.
Side = Callable[[Workload, int], float]

NOT_YET_RUN = {
    "start_latency": "a server's workload: python -m bench.server runs it",
    "concurrency": "a server's workload: python -m bench.server runs it",
}


@dataclass(frozen=True, slots=True)
class Comparison:
    """The median rates of both sides on one workload."""

    workload: str
    stepline_rate: float
    moto_rate: float

    @property
    def ratio(self) -> float:
        """How many times Stepline's rate moto's is: the figure of merit."""
        return self.stepline_rate / self.moto_rate

    def line(self) -> str:
        """The summary line, rates without thousands separators."""
        return (
            f"{self.workload} stepline={self.stepline_rate:.1f} "
            f"moto={self.moto_rate:.1f} ratio={self.ratio:.2f}"
        )


def rate(workload: Workload, executions: int, elapsed_s: float) -> float:
    """Units (state transitions or Map items) per second."""
    return workload.units_per_execution * executions / elapsed_s


@dataclass(frozen=True, slots=True)
class Plan:
    """How much to run: rounds, and executions per round on each side."""

    repeat: int
    stepline_executions: int
    moto_executions: int


def compare(workload: Workload, plan: Plan, stepline: Side, moto: Side) -> Comparison:
    """Alternate the two sides ``plan.repeat`` times; keep each side's median rate."""
    stepline_rates: list[float] = []
    moto_rates: list[float] = []
    stepline_n, moto_n = plan.stepline_executions, plan.moto_executions
    repeat = plan.repeat
    for round_number in range(1, repeat + 1):
        stepline_rates.append(rate(workload, stepline_n, stepline(workload, stepline_n)))
        moto_rates.append(rate(workload, moto_n, moto(workload, moto_n)))
        print(
            f"{workload.name} round {round_number}/{repeat}: stepline={stepline_rates[-1]:.1f} "
            f"moto={moto_rates[-1]:.1f} {workload.unit}",
            file=sys.stderr,
            flush=True,
        )
    return Comparison(
        workload.name, statistics.median(stepline_rates), statistics.median(moto_rates)
    )


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument(
        "--workload",
        action="append",
        choices=[*IN_PROCESS_WORKLOADS, *NOT_YET_RUN],
        help="workload to run (repeatable; default: all in-process workloads)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="rounds per workload (median)")
    parser.add_argument(
        "--executions", type=int, help="executions per round (default: the workload's harness)"
    )
    parser.add_argument(
        "--moto-executions",
        type=int,
        help="executions per round on moto only (default: as --executions)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run only the Stepline side, once, under cProfile; print the top 25 functions",
    )
    parser.add_argument(
        "--peer-jsonpath-cache",
        action="store_true",
        help="memoise moto's JSONPath parsing (a stronger peer; see bench/README.md)",
    )
    return parser.parse_args(argv)


def plan_for(workload: Workload, arguments: argparse.Namespace) -> Plan:
    """The workload's harness count unless the command line overrides it."""
    executions = arguments.executions or workload.executions
    return Plan(arguments.repeat, executions, arguments.moto_executions or executions)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen workloads; print one summary line per workload, last."""
    arguments = parse_arguments(argv)
    names = arguments.workload or list(IN_PROCESS_WORKLOADS)
    for name in names:
        if name in NOT_YET_RUN:
            print(f"{name}: not yet run ({NOT_YET_RUN[name]})", file=sys.stderr)
    workloads = [load_workload(name) for name in names if name not in NOT_YET_RUN]
    if arguments.profile:
        for workload in workloads:
            print(f"== {workload.name} (Stepline under cProfile)")
            print(profile_stepline(workload, arguments.executions or workload.executions))
        return 0

    def moto(workload: Workload, executions: int) -> float:
        return measure_moto(workload, executions, cache_jsonpath=arguments.peer_jsonpath_cache)

    comparisons = [
        compare(workload, plan_for(workload, arguments), measure_stepline, moto)
        for workload in workloads
    ]
    for comparison in comparisons:
        print(comparison.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
