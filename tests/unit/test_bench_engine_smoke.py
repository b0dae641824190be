"""The engine benchmark runs end to end in its quick form and prints its summary lines.

No timing is asserted here: the figures depend on the machine and whatever else runs on it.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
from bench import OutputMismatchError, load_workload
from bench.engine import main
from bench.engine_durable import check_record, run_in_flight
from bench.engine_stores import (
    DEFAULT_POSTGRES_URL,
    SQLITE_NORMAL,
    fresh_store,
    postgres_unavailable,
)
from bench.engine_wakeup import block_times, early_and_late

from stepline.engine import Engine
from stepline.store import ExecutionRecord
from stepline.store.scratch import with_database
from tests.support.postgres import SessionDatabases

NUMBER = r"\d+(\.\d+)?"
SQLITE_LINES = [
    rf"durable store=sqlite synchronous=NORMAL in_flight=100 transitions_per_s={NUMBER}",
    rf"durable store=sqlite synchronous=NORMAL workload=task_wait in_flight=100 "
    rf"transitions_per_s={NUMBER}",
    rf"durable store=sqlite synchronous=FULL in_flight=100 transitions_per_s={NUMBER}",
    rf"durable store=sqlite synchronous=FULL workload=task_wait in_flight=100 "
    rf"transitions_per_s={NUMBER}",
]
OTHER_LINES = [
    rf"wakeup iterations=\d+ evicted_s={NUMBER} cached_s={NUMBER} ratio={NUMBER}",
    rf"waiting executions=\d+ rss_mb={NUMBER}",
    rf"express mode=sync executions_per_s={NUMBER}",
    rf"express mode=async executions_per_s={NUMBER}",
]
POSTGRES_LINES = [
    rf"durable store=postgresql in_flight=100 transitions_per_s={NUMBER}",
    rf"durable store=postgresql workload=task_wait in_flight=100 transitions_per_s={NUMBER}",
]


def _assert_lines(output: str, patterns: list[str]) -> None:
    lines = output.splitlines()
    assert len(lines) == len(patterns), output
    for line, pattern in zip(lines, patterns, strict=True):
        assert re.fullmatch(pattern, line), (line, pattern)


def test_quick_run_on_sqlite_prints_every_summary_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quick", "--store", "sqlite"]) == 0
    captured = capsys.readouterr()
    _assert_lines(captured.out, SQLITE_LINES + OTHER_LINES)
    assert "executions checked" in captured.err
    assert "first 50:" in captured.err  # the wake-up blocks, first and last
    assert "waiting: 1000 executions; starting" in captured.err


def test_quick_durable_run_on_postgresql(
    postgres_databases: SessionDatabases, capsys: pytest.CaptureFixture[str]
) -> None:
    # The suite's PostgreSQL server (tests/conftest.py): the benchmark makes and drops its own
    # stepline_bench_* databases there.
    admin_url = postgres_databases.server.url
    arguments = ["--quick", "--store", "postgresql", "--only", "durable"]
    assert main([*arguments, "--postgres-url", admin_url]) == 0
    _assert_lines(capsys.readouterr().out, POSTGRES_LINES)


def test_an_unreachable_postgresql_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql://postgres@127.0.0.1:1/postgres"
    assert postgres_unavailable(url) is not None
    assert main(["--quick", "--store", "postgresql", "--postgres-url", url]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "PostgreSQL: cannot connect" in captured.err


def test_wrong_outputs_fail_the_durable_run() -> None:
    workload = dataclasses.replace(load_workload("concurrency"), expected_output={"n": 11})
    with fresh_store(SQLITE_NORMAL) as store:
        engine = Engine(store)
        try:
            with pytest.raises(OutputMismatchError, match=r"concurrency: .* returned"):
                run_in_flight(
                    engine, [workload], in_flight=2, warmup_s=0, measure_s=0.1, label="wrong"
                )
        finally:
            engine.close()


def test_a_failed_execution_is_reported() -> None:
    workload = load_workload("concurrency")
    record = ExecutionRecord(
        1, "arn:x", "x", "arn:m", 1, "STANDARD", "FAILED", "{}", 0.0, None, "E", "C", 1.0
    )
    with pytest.raises(OutputMismatchError, match="ended FAILED"):
        check_record(workload, record)


def test_block_times_cover_the_first_and_last_iterations() -> None:
    stamps = [0.0, 1.0, 3.0, 6.0, 10.0, 15.0, 21.0]
    assert block_times(stamps, 2) == [3.0, 7.0, 11.0]
    assert block_times(stamps, 4) == [10.0, 18.0]
    with pytest.raises(ValueError, match="fewer than a block"):
        block_times(stamps, 7)


def test_early_and_late_iterations_are_averaged_over_executions() -> None:
    # Two executions of 6 calls each: 1 s per iteration early on, 2 s late in the first; 3 s
    # and 5 s in the second.
    first = [0.0, 1.0, 2.0, 3.0, 5.0, 7.0]
    second = [100.0, 103.0, 106.0, 109.0, 114.0, 119.0]
    early, late = early_and_late(first + second, [(0, 5), (6, 11)])
    assert (early, late) == (2000.0, 3500.0)


def test_postgres_database_url_replaces_the_database() -> None:
    assert with_database(DEFAULT_POSTGRES_URL, "stepline_bench_1_1") == (
        "postgresql://postgres@127.0.0.1:5432/stepline_bench_1_1"
    )
    assert with_database("postgresql://u:p@h/db?sslmode=disable", "b") == (
        "postgresql://u:p@h/b?sslmode=disable"
    )
