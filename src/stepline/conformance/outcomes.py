"""How a case ends: ``CaseResult`` for the tally, ``SkipCase`` for a case Stepline cannot run.

Every module that runs a kind of case raises ``SkipCase``; the runner turns it into a result.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CaseResult:
    """One case's outcome: ``passed``, ``failed`` or ``skipped``, with why for the last two."""

    case_id: str
    kind: str
    outcome: str
    detail: str = ""
    features: tuple[str, ...] = field(default=())


class SkipCase(Exception):
    """Raised while preparing a case Stepline cannot run; the message is the reason."""
