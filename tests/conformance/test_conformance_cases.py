"""The CI ratchets: every target case passes unless ``known_failures.txt`` lists it, and no
case of the whole corpus fails unless ``corpus_known_failures.txt`` lists it.

Target cases are the self-contained executions AWS validated and the corpus records with high
confidence. Each runs three ways: kept in memory, rebuilt from its checkpoint at every step, and
on the durable engine; a target case skipped fails. The whole corpus runs once, in memory: a
case may be skipped there only for a service Stepline does not provide. A listed case that
starts passing fails too, so the lists only ever shrink; regenerate them with the command in
their header.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stepline.conformance.cases import Case, load_cases, target_cases
from stepline.conformance.known_failures import read_known_failures
from stepline.conformance.runner import MODES, run_case

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
