"""Tallies and the JSON report of a conformance run.

The last line of the printed summary is always ``N passed, M failed, K skipped`` so scripts and
CI can read it without parsing the rest.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from stepline.conformance.outcomes import CaseResult

OUTCOMES = ("passed", "failed", "skipped")


def totals_line(results: Sequence[CaseResult]) -> str:
    """``N passed, M failed, K skipped``."""
    counts = Counter(result.outcome for result in results)
    return ", ".join(f"{counts[outcome]} {outcome}" for outcome in OUTCOMES)


def _tally(groups: dict[str, Counter[str]]) -> list[str]:
    width = max((len(name) for name in groups), default=0)
    return [
        f"  {name:<{width}}  " + "  ".join(f"{counts[o]:>4} {o}" for o in OUTCOMES)
        for name, counts in sorted(groups.items())
    ]


def summary_lines(results: Sequence[CaseResult]) -> list[str]:
    """Tallies by kind, by feature, the skip reasons, and the totals line last."""
    by_kind: dict[str, Counter[str]] = {}
    by_feature: dict[str, Counter[str]] = {}
    for result in results:
        by_kind.setdefault(result.kind, Counter())[result.outcome] += 1
        for label in result.features:
            by_feature.setdefault(label, Counter())[result.outcome] += 1
    skip_reasons = Counter(r.detail for r in results if r.outcome == "skipped")
    lines = ["By kind:", *_tally(by_kind), "By feature:", *_tally(by_feature)]
    if skip_reasons:
        lines.append("Skipped because:")
        lines.extend(f"  {count:>4}  {reason}" for reason, count in skip_reasons.most_common())
    lines.append(totals_line(results))
    return lines


def failure_lines(results: Sequence[CaseResult]) -> list[str]:
    """One line per failed case: its id and the first difference."""
    return [f"FAILED {r.case_id}: {r.detail}" for r in results if r.outcome == "failed"]


def write_report(results: Sequence[CaseResult], path: Path | str) -> None:
    """The JSON report: each case's id, kind, outcome and, unless it passed, why."""
    cases = []
    for result in results:
        entry = {"id": result.case_id, "kind": result.kind, "outcome": result.outcome}
        if result.outcome == "failed":
            entry["diff"] = result.detail
        elif result.outcome == "skipped":
            entry["reason"] = result.detail
        cases.append(entry)
    document = {"totals": dict(Counter(r.outcome for r in results)), "cases": cases}
    Path(path).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
