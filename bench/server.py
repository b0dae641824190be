"""The server benchmark: Stepline's server against moto's and ministack's, on this machine:
``python -m bench.server [--quick] [--rounds N] [--peer moto|ministack]... [--only PART]...``.

Each server runs in a process of its own (``bench.server_processes``): ``stepline serve`` on
SQLite in a temporary directory, ``moto_server`` (executing state machines) and ministack. One
light client (``bench.server_client``: AWS's JSON protocol signed with botocore's SigV4 signer,
keep-alive sockets, several threads) drives them all with the same requests. Progress, the
figures against the issue's targets and each server's memory go to stderr; the output ends
with these lines on stdout (numbers measured, each the median of the rounds)::

    server workload=concurrency stepline=<executions/s> moto=<executions/s> ratio=<n>
    server workload=concurrency stepline=<executions/s> ministack=<executions/s> ratio=<n>
    server workload=start_latency stepline_ms=<median> moto_ms=<median>
    server workload=start_latency stepline_ms=<median> ministack_ms=<median>
    invoke requests_per_s=<n> p50_ms=<n> p99_ms=<n>
    server memory server=stepline rss_mb=<n> peak_rss_mb=<n>
    server memory server=moto rss_mb=<n> peak_rss_mb=<n>
    server memory server=ministack rss_mb=<n> peak_rss_mb=<n>

A peer left out (``--peer``) has no lines; ``invoke`` is Stepline's alone (the peers have no
such route). ``bench/README.md`` says what each part does.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import json
import os
import secrets
import statistics
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench import WORKLOAD_DIR, load_workload
from bench.server_processes import (
    RunningServer,
    progress,
    start_ministack,
    start_moto,
    start_stepline,
    temporary_directory,
)
from bench.server_workloads import (
    INVOKE3,
    ConcurrencyResult,
    LatencyResult,
    create_state_machine,
    run_concurrency,
    run_invoke,
    run_start_latency,
)

PEERS = ("moto", "ministack")
PARTS = ("concurrency", "start_latency", "invoke")
CONCURRENCY_RATIO_TARGET = 20.0
CONCURRENCY_RATIO_GOAL = 50.0
START_LATENCY_TARGET_MS = 2.0
INVOKE_RATE_TARGET = 1_000.0
INVOKE_P99_TARGET_MS = 25.0
"""The issue's targets (reported on stderr, never asserted)."""
RUN = secrets.token_hex(3)
"""Part of every state machine's name: a database given with ``--database`` may hold an
earlier run's."""
INVOKE_MACHINE = f"bench-invoke3-{RUN}"


@dataclass(frozen=True, slots=True)
class Sizes:
    """How much to run: rounds, and each measurement's size in a round."""

    rounds: int
    concurrency_executions: int | None
    """``None``: the workload's harness count (500)."""
    latency_executions: int | None
    """``None``: the workload's harness count (200)."""
    warmup_executions: int
    start_threads: int
    invoke_clients: int
    invoke_warmup_s: float
    invoke_measure_s: float


FULL = Sizes(
    rounds=3,
    concurrency_executions=None,
    latency_executions=None,
    warmup_executions=20,
    start_threads=4,
    invoke_clients=32,
    invoke_warmup_s=2.0,
    invoke_measure_s=10.0,
)
QUICK = Sizes(
    rounds=1,
    concurrency_executions=40,
    latency_executions=10,
    warmup_executions=4,
    start_threads=4,
    invoke_clients=32,
    invoke_warmup_s=0.3,
    invoke_measure_s=1.0,
)


@dataclass
class Figures:
    """What the rounds measured, by server."""

    concurrency: dict[str, list[ConcurrencyResult]] = field(default_factory=dict)
    latency: dict[str, list[LatencyResult]] = field(default_factory=dict)
    invoke_rates: list[float] = field(default_factory=list)
    invoke_p50s: list[float] = field(default_factory=list)
    invoke_p99s: list[float] = field(default_factory=list)
    memory: dict[str, tuple[float, float]] = field(default_factory=dict)

    def rate(self, server: str) -> float:
        return statistics.median(result.per_s for result in self.concurrency[server])

    def latency_ms(self, server: str) -> float:
        return statistics.median(result.median_ms for result in self.latency[server])


Starter = Callable[[Path], RunningServer]


@contextlib.contextmanager
def running(
    names: Sequence[str], directory: Path, arguments: argparse.Namespace
) -> Iterator[dict[str, RunningServer]]:
    """Start the servers named, side by side (moto takes seconds to import); stop them all at
    the end."""
    starters: dict[str, Starter] = {
        "stepline": lambda where: start_stepline(where, arguments.database),
        "moto": start_moto,
        "ministack": lambda where: start_ministack(where, arguments.ministack),
    }
    servers: dict[str, RunningServer] = {}
    try:
        with concurrent.futures.ThreadPoolExecutor(len(names)) as pool:
            starting = {name: pool.submit(starters[name], directory) for name in names}
            for name, future in starting.items():
                with contextlib.suppress(Exception):  # raised below, once all are known
                    servers[name] = future.result()
        for name, future in starting.items():
            future.result()
            server = servers[name]
            progress(f"{name}: pid {server.process.pid} on {server.endpoint.url}")
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def warm_up(servers: dict[str, RunningServer], sizes: Sizes, parts: Sequence[str]) -> None:
    """A few executions of each measured workload on each server, untimed but checked: first
    calls load code (moto's ANTLR parser) and fill caches."""
    concurrency, latency = load_workload("concurrency"), load_workload("start_latency")
    for name, server in servers.items():
        if "concurrency" in parts:
            run_concurrency(
                server,
                concurrency,
                f"bench-warmup-concurrency-{RUN}",
                executions=sizes.warmup_executions,
                threads=sizes.start_threads,
                poll_interval_s=0.01,
            )
        if "start_latency" in parts:
            run_start_latency(
                server,
                latency,
                f"bench-warmup-latency-{RUN}",
                executions=sizes.warmup_executions,
                poll_interval_s=0.001,
            )
        progress(f"{name}: warmed up")


def poll_interval(workload_name: str) -> float:
    """The workload file's ``harness.poll_interval_s``."""
    text = (WORKLOAD_DIR / f"{workload_name}.json").read_text(encoding="utf-8")
    return float(json.loads(text)["harness"]["poll_interval_s"])


def measure(
    servers: dict[str, RunningServer], sizes: Sizes, parts: Sequence[str], figures: Figures
) -> None:
    concurrency, latency = load_workload("concurrency"), load_workload("start_latency")
    concurrency_n = sizes.concurrency_executions or concurrency.executions
    latency_n = sizes.latency_executions or latency.executions
    for round_number in range(1, sizes.rounds + 1):
        tag = f"round {round_number}/{sizes.rounds}"
        if "concurrency" in parts:
            for name, server in servers.items():
                result = run_concurrency(
                    server,
                    concurrency,
                    f"bench-concurrency-{round_number}-{RUN}",
                    executions=concurrency_n,
                    threads=sizes.start_threads,
                    poll_interval_s=poll_interval("concurrency"),
                )
                figures.concurrency.setdefault(name, []).append(result)
                progress(f"concurrency {tag} {name}: {result.describe()}")
        if "start_latency" in parts:
            for name, server in servers.items():
                measured = run_start_latency(
                    server,
                    latency,
                    f"bench-latency-{round_number}-{RUN}",
                    executions=latency_n,
                    poll_interval_s=poll_interval("start_latency"),
                )
                figures.latency.setdefault(name, []).append(measured)
                progress(f"start_latency {tag} {name}: {measured.describe()}")
        if "invoke" in parts:
            invoked = run_invoke(
                servers["stepline"],
                INVOKE_MACHINE,
                clients=sizes.invoke_clients,
                warmup_s=sizes.invoke_warmup_s,
                measure_s=sizes.invoke_measure_s,
            )
            figures.invoke_rates.append(invoked.per_s)
            figures.invoke_p50s.append(invoked.p50_ms)
            figures.invoke_p99s.append(invoked.p99_ms)
            progress(f"invoke {tag} stepline: {invoked.describe()}")
            progress(
                f"invoke {tag}: the client used {invoked.usage.client_cpu_s:.2f} CPU s of the "
                f"machine's {2 * invoked.usage.wall_s:.2f} "
                f"({50 * invoked.usage.client_cpu_s / invoked.usage.wall_s:.0f}% of "
                f"{os.cpu_count()} cores), the server "
                f"{50 * invoked.usage.server_cpu_s / invoked.usage.wall_s:.0f}%"
            )


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def summary_lines(figures: Figures, peers: Sequence[str], parts: Sequence[str]) -> list[str]:
    """The stdout lines; the figures against the targets go to stderr on the way."""
    lines: list[str] = []
    if "concurrency" in parts:
        stepline = figures.rate("stepline")
        for peer in peers:
            peer_rate = figures.rate(peer)
            ratio = stepline / peer_rate
            lines.append(
                f"server workload=concurrency stepline={stepline:.1f} {peer}={peer_rate:.1f} "
                f"ratio={ratio:.2f}"
            )
            if peer == "moto":
                progress(
                    f"concurrency: {ratio:.1f}× moto; the target of {CONCURRENCY_RATIO_TARGET:g}× "
                    f"is {verdict(ratio >= CONCURRENCY_RATIO_TARGET)}, the goal of "
                    f"{CONCURRENCY_RATIO_GOAL:g}× {verdict(ratio >= CONCURRENCY_RATIO_GOAL)}"
                )
        if not peers:
            lines.append(f"server workload=concurrency stepline={stepline:.1f}")
    if "start_latency" in parts:
        stepline_ms = figures.latency_ms("stepline")
        for peer in peers:
            lines.append(
                f"server workload=start_latency stepline_ms={stepline_ms:.2f} "
                f"{peer}_ms={figures.latency_ms(peer):.2f}"
            )
        if not peers:
            lines.append(f"server workload=start_latency stepline_ms={stepline_ms:.2f}")
        progress(
            f"start_latency: Stepline's median {stepline_ms:.2f} ms; the target of under "
            f"{START_LATENCY_TARGET_MS:g} ms is {verdict(stepline_ms < START_LATENCY_TARGET_MS)}"
        )
    if "invoke" in parts:
        rate = statistics.median(figures.invoke_rates)
        p50 = statistics.median(figures.invoke_p50s)
        p99 = statistics.median(figures.invoke_p99s)
        lines.append(f"invoke requests_per_s={rate:.1f} p50_ms={p50:.2f} p99_ms={p99:.2f}")
        progress(
            f"invoke: {rate:.0f} requests/s, p99 {p99:.2f} ms; the targets of "
            f"{INVOKE_RATE_TARGET:,.0f} requests/s and p99 under {INVOKE_P99_TARGET_MS:g} ms "
            f"are {verdict(rate >= INVOKE_RATE_TARGET)} and "
            f"{verdict(p99 < INVOKE_P99_TARGET_MS)}"
        )
    for name, (rss, peak) in figures.memory.items():
        lines.append(f"server memory server={name} rss_mb={rss:.1f} peak_rss_mb={peak:.1f}")
    return lines


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.server",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="a much smaller run (seconds)")
    parser.add_argument("--rounds", type=int, help="rounds (median; default 3, --quick 1)")
    parser.add_argument(
        "--peer",
        action="append",
        choices=PEERS,
        help="peer to measure (repeatable; default: moto and ministack)",
    )
    parser.add_argument("--no-peers", action="store_true", help="Stepline's server alone")
    parser.add_argument(
        "--only",
        action="append",
        choices=PARTS,
        help="run only this part (repeatable; default: every part)",
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        help="Stepline's database (default: SQLite in a temporary directory)",
    )
    parser.add_argument(
        "--ministack",
        metavar="PATH",
        help="a ministack executable (default: its own virtual environment, made on first use "
        "under ~/.cache/stepline-bench or $STEPLINE_BENCH_PEERS)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    sizes = QUICK if arguments.quick else FULL
    if arguments.rounds:
        sizes = dataclasses.replace(sizes, rounds=arguments.rounds)
    parts = arguments.only or list(PARTS)
    chosen = set(arguments.peer or PEERS)
    peers = [] if arguments.no_peers else [peer for peer in PEERS if peer in chosen]
    if not {"concurrency", "start_latency"} & set(parts):
        peers = []
    progress(f"load average at the start: {_load()}")
    figures = Figures()
    with (
        temporary_directory() as directory,
        running(["stepline", *peers], directory, arguments) as servers,
    ):
        if "invoke" in parts:
            create_state_machine(servers["stepline"].endpoint, INVOKE_MACHINE, INVOKE3, "EXPRESS")
        warm_up(servers, sizes, parts)
        measure(servers, sizes, parts, figures)
        for name, server in servers.items():
            memory = server.memory()
            figures.memory[name] = (memory.rss_mb, memory.peak_mb)
            progress(
                f"{name}: resident memory {memory.rss_mb:.1f} MB at the end, "
                f"{memory.peak_mb:.1f} MB at its peak"
            )
    progress(f"load average at the end: {_load()}")
    for line in summary_lines(figures, peers, parts):
        print(line)
    return 0


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
