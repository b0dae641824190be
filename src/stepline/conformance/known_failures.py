"""The CI ratchets' lists of cases known to fail: one case id per line, ``#`` comments.

A case leaves a list when it starts passing (the test says so); a list is regenerated with
``stepline conformance [--target] --update-known-failures FILE CASES.jsonl``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from stepline.conformance.outcomes import CaseResult

HEADER = (
    "# Conformance cases Stepline is known to fail; one case id per line.\n"
    "# Regenerate: stepline conformance [--target] --update-known-failures THIS_FILE "
    "tests/data/conformance/cases.jsonl\n"
    "# (--target for known_failures.txt, the target cases; none for the whole corpus)\n"
)


def read_known_failures(path: Path | str) -> set[str]:
    """Case ids listed in the file (none when it does not exist)."""
    file = Path(path)
    if not file.exists():
        return set()
    lines = (line.strip() for line in file.read_text(encoding="utf-8").splitlines())
    return {line for line in lines if line and not line.startswith("#")}


def write_known_failures(path: Path | str, results: Sequence[CaseResult]) -> None:
    """List every failed case (skipped ones need no entry), sorted for stable diffs."""
    failed = sorted(result.case_id for result in results if result.outcome == "failed")
    Path(path).write_text(HEADER + "".join(f"{case_id}\n" for case_id in failed), encoding="utf-8")
