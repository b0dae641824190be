"""The CI ratchet: every target case passes unless ``known_failures.txt`` lists it.

Target cases are the self-contained executions AWS validated and the corpus records with high
confidence. Each runs twice: kept in memory, and rebuilt from its checkpoint at every step. A
listed case that starts passing fails too, so the list only ever shrinks; regenerate it with the
command in the file's header.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stepline.conformance.cases import Case, target_cases
from stepline.conformance.known_failures import read_known_failures
from stepline.conformance.runner import MODES, run_case

KNOWN_FAILURES_PATH = Path(__file__).with_name("known_failures.txt")
KNOWN_FAILURES = read_known_failures(KNOWN_FAILURES_PATH)
TARGET_CASES = target_cases()


def test_known_failures_name_target_cases() -> None:
    assert KNOWN_FAILURES.issubset({case.id for case in TARGET_CASES})


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", TARGET_CASES, ids=[case.id for case in TARGET_CASES])
def test_conformance_case(case: Case, mode: str) -> None:
    """``checkpoint`` runs every transition through a JSON checkpoint and a rebuild: the same
    history must come out as from a run kept in memory."""
    result = run_case(case, mode)
    if result.outcome == "skipped":
        pytest.skip(result.detail)
    if case.id in KNOWN_FAILURES:
        assert result.outcome == "failed", "now passes: remove it from known_failures.txt"
        return
    assert result.outcome == "passed", result.detail
