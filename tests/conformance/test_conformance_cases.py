"""The CI ratchets: every target case passes unless ``known_failures.txt`` lists it, and no
case of the whole corpus fails unless ``corpus_known_failures.txt`` lists it.

Target cases are the self-contained executions AWS validated and the corpus records with high
confidence. Each runs three ways: kept in memory, rebuilt from its checkpoint at every step, and
on the durable engine; a target case skipped fails. The whole corpus runs in memory: a case
may be skipped there only for a service Stepline does not provide; it also runs rebuilt from
checkpoints and on the engine (SQLite here, PostgreSQL through the command line), where every
case must have the outcome it has in memory. A listed case that
starts passing fails too, so the lists only ever shrink; regenerate them with the command in
their header.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from stepline.conformance.cases import Case, load_cases, target_cases
from stepline.conformance.engine_cases import DATABASE_PREFIX
from stepline.conformance.known_failures import read_known_failures
from stepline.conformance.runner import MODES, run_case
from tests.support.postgres import SessionDatabases

CASES_PATH = Path(__file__).parents[1] / "data" / "conformance" / "cases.jsonl"
KNOWN_FAILURES_PATH = Path(__file__).with_name("known_failures.txt")
KNOWN_FAILURES = read_known_failures(KNOWN_FAILURES_PATH)
CORPUS_KNOWN_FAILURES = read_known_failures(Path(__file__).with_name("corpus_known_failures.txt"))
TARGET_CASES = target_cases()
# Why a case outside the target set may be skipped: each reason names something Stepline lacks.
SKIP_REASONS = ("needs services Stepline does not provide", "no Stepline stand-in", "API error")


def test_known_failures_name_target_cases() -> None:
    assert KNOWN_FAILURES.issubset({case.id for case in TARGET_CASES})


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", TARGET_CASES, ids=[case.id for case in TARGET_CASES])
def test_conformance_case(case: Case, mode: str) -> None:
    """``checkpoint`` runs every transition through a JSON checkpoint and a rebuild: the same
    history must come out as from a run kept in memory."""
    result = run_case(case, mode)
    # A target case is self-contained: nothing excuses skipping it.
    assert result.outcome != "skipped", f"a target case was skipped: {result.detail}"
    if case.id in KNOWN_FAILURES:
        assert result.outcome == "failed", "now passes: remove it from known_failures.txt"
        return
    assert result.outcome == "passed", result.detail


def test_whole_corpus_ratchet() -> None:
    cases = load_cases()
    assert CORPUS_KNOWN_FAILURES.issubset({case.id for case in cases})
    results = [run_case(case) for case in cases]
    regressed = [
        f"{r.case_id}: {r.detail}"
        for r in results
        if r.outcome == "failed" and r.case_id not in CORPUS_KNOWN_FAILURES
    ]
    now_passing = [
        r.case_id for r in results if r.outcome == "passed" and r.case_id in CORPUS_KNOWN_FAILURES
    ]
    unexplained_skips = [
        f"{r.case_id}: {r.detail}"
        for r in results
        if r.outcome == "skipped" and not r.detail.startswith(SKIP_REASONS)
    ]
    assert regressed == [], "cases that used to pass fail now"
    assert now_passing == [], "now passing: regenerate corpus_known_failures.txt"
    assert unexplained_skips == []


def _outcomes(mode: str) -> dict[str, str]:
    return {case.id: run_case(case, mode).outcome for case in load_cases()}


@pytest.fixture(scope="module")
def outcomes_in_memory() -> dict[str, str]:
    return _outcomes("memory")


@pytest.mark.parametrize("mode", [mode for mode in MODES if mode != "memory"])
def test_whole_corpus_has_the_same_outcomes_in_every_mode(
    mode: str, outcomes_in_memory: dict[str, str]
) -> None:
    outcomes = _outcomes(mode)
    differing = {
        case_id: (outcomes_in_memory[case_id], outcome)
        for case_id, outcome in outcomes.items()
        if outcome != outcomes_in_memory[case_id]
    }
    assert differing == {}


def test_whole_corpus_on_the_engine_on_postgresql_as_in_memory(
    postgres_databases: SessionDatabases, outcomes_in_memory: dict[str, str], tmp_path: Path
) -> None:
    """The command line's engine mode on a PostgreSQL server: it runs in a database of its own
    (twice, as a user reruns it: execution names repeat), dropped when it ends."""
    server = postgres_databases.server
    report = tmp_path / "report.json"
    command = [sys.executable, "-m", "stepline", "conformance", "--mode", "engine"]
    command += ["--report", str(report), str(CASES_PATH)]
    environment = {"STEPLINE_CONFORMANCE_DATABASE": server.url}
    for _ in range(2):
        completed = subprocess.run(
            command,
            check=False,
            env={**os.environ, **environment},
            capture_output=True,
            text=True,
            timeout=300,
        )
        # 1: some cases failed (as in memory); anything else is the runner's own failure.
        assert completed.returncode in (0, 1), completed.stderr
        cases = json.loads(report.read_text())["cases"]
        outcomes = {case["id"]: case["outcome"] for case in cases}
        assert outcomes == outcomes_in_memory
    with psycopg.connect(server.url, autocommit=True) as connection:
        left = connection.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s",
            (DATABASE_PREFIX.replace("_", r"\_") + "%",),
        ).fetchall()
    assert left == []
