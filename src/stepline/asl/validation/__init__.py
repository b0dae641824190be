"""Definition validation: every problem in a definition at once, in AWS's codes and words.

``validate_definition`` walks the document once; each module checks one concern (``machine``:
the machine and its nesting, ``states``: the fields each state type takes, ``fields``,
``choice``, ``map_parallel``, ``retry_catch``, ``resources``: the values of those fields,
``expressions``: JSONPath, intrinsic and JSONata syntax, ``transitions``: targets, reachability
and terminal states). Checks never raise; they append to a ``Report``.
"""

from __future__ import annotations

from stepline.asl.diagnostics import Diagnostic
from stepline.asl.scope import JSON
from stepline.asl.validation.machine import check_definition
from stepline.asl.validation.report import Report

__all__ = ["validate_definition"]


def validate_definition(
    document: JSON, *, state_machine_type: str = "STANDARD"
) -> list[Diagnostic]:
    """All the problems AWS would report for ``document`` as a ``state_machine_type`` machine."""
    report = Report(machine_type=state_machine_type)
    check_definition(report, document)
    return report.diagnostics
