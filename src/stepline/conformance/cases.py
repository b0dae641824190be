"""The recorded conformance corpus: cases loaded from JSON Lines, selected by kind and name.

Each case keeps the raw record (see ``tests/data/conformance/SOURCE.md``); the properties here
name the fields the runner reads, so the schema is spelled out in one place.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FROZEN_NOW = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)
"""The instant the harness froze "now" while recording: cases run on a fake clock started here,
so inputs derived from "now" need no shifting."""

KINDS = (
    "execution",
    "execution_output_only",
    "test_state",
    "validate_definition",
    "api_error",
    "sync_execution",
    "express_async",
)
EXECUTION_KINDS = frozenset({"execution", "execution_output_only"})
# Needs Stepline satisfies itself: Lambda handlers are replaced by in-process functions.
PROVIDED_NEEDS = frozenset({"lambda"})
DEFAULT_CASES_PATH = (
    Path(__file__).resolve().parents[3] / "tests" / "data" / "conformance" / "cases.jsonl"
)


@dataclass(frozen=True)
class Case:
    """One recorded case; ``record`` is the corpus line as parsed JSON."""

    record: Mapping[str, Any]

    @property
    def id(self) -> str:
        return str(self.record["id"])

    @property
    def kind(self) -> str:
        return str(self.record["kind"])

    @property
    def needs(self) -> list[str]:
        return list(self.record.get("needs") or [])

    @property
    def features(self) -> Mapping[str, Any]:
        return self.record.get("features") or {}

    @property
    def substitutions(self) -> list[Mapping[str, Any]]:
        return list(self.record.get("substitutions") or [])

    @property
    def state_machine_type(self) -> str:
        return str(self.record.get("state_machine_type") or "STANDARD")

    @property
    def input_text(self) -> str:
        """The exact input AWS received: ``{}`` when the test passed none."""
        if self.record.get("input_given") is False:
            return "{}"
        raw = self.record.get("input_raw")
        return "{}" if raw is None else str(raw)

    @property
    def expected(self) -> Mapping[str, Any]:
        return self.record.get("expected") or {}

    @property
    def expected_history(self) -> list[dict[str, Any]] | None:
        history = self.record.get("expected_history")
        return None if history is None else list(history)

    def has_substitution(self, name: str) -> bool:
        """Whether the test registered the named Custom/Generic/Utility transformer."""
        return any(entry.get("name") == name for entry in self.substitutions)

    def missing_services(self) -> list[str]:
        """Services the case needs that Stepline does not provide (reason to skip)."""
        return [need for need in self.needs if need not in PROVIDED_NEEDS]


def load_cases(path: Path | str = DEFAULT_CASES_PATH) -> list[Case]:
    """Read every case of a JSON Lines corpus file, in file order."""
    with Path(path).open(encoding="utf-8") as lines:
        return [Case(json.loads(line)) for line in lines if line.strip()]


def select_cases(
    cases: Iterable[Case], *, kinds: Sequence[str] = (), substring: str | None = None
) -> list[Case]:
    """Keep cases of the given kinds (all when empty) whose id contains ``substring``."""
    return [
        case
        for case in cases
        if (not kinds or case.kind in kinds) and (substring is None or substring in case.id)
    ]


def is_target(case: Case) -> bool:
    """The CI target set: self-contained executions AWS validated, recorded with confidence."""
    return (
        case.kind in EXECUTION_KINDS
        and case.needs == []
        and case.record.get("aws_validated") is True
        and case.record.get("confidence") == "high"
    )


def target_cases(path: Path | str = DEFAULT_CASES_PATH) -> list[Case]:
    """The cases the CI ratchet runs."""
    return [case for case in load_cases(path) if is_target(case)]
