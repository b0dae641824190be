"""Transitions: every target names a state, every state is referenced, some state ends.

AWS's rules, as its responses show them: a dangling target is reported at the field holding it
with the word ``Next`` whatever the field (``StartAt``, ``Default``, ``Choices[0]/Next``); a
state is unreachable when no other field references it (a true graph walk is not made); a
machine with no terminal state gets one ``MISSING_END_STATE`` and no reachability report.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from stepline.asl.validation.report import (
    MISSING_END_STATE,
    MISSING_TRANSITION_TARGET,
    Report,
    child,
    index,
)


def _targets(location: str, body: Mapping[str, Any]) -> Iterator[tuple[str, object]]:
    """(location, name) of every transition a state makes."""
    if "Next" in body:
        yield child(location, "Next"), body["Next"]
    if "Default" in body:
        yield child(location, "Default"), body["Default"]
    for field in ("Choices", "Catch"):
        entries = body.get(field)
        if not isinstance(entries, list):
            continue
        for position, entry in enumerate(entries):
            if isinstance(entry, dict) and "Next" in entry:
                yield child(index(child(location, field), position), "Next"), entry["Next"]


def _is_terminal(body: object) -> bool:
    return isinstance(body, dict) and (
        body.get("End") is True or body.get("Type") in ("Succeed", "Fail")
    )


def check_transitions(
    report: Report, location: str, start_at: str, states: Mapping[str, Any]
) -> None:
    """Targets, then the terminal state, then reachability, in the order AWS reports them."""
    referenced = {start_at}
    if start_at not in states:
        report.add(
            child(location, "StartAt"),
            f"Missing 'Next' target: {start_at}",
            MISSING_TRANSITION_TARGET,
        )
    for name, body in states.items():
        if not isinstance(body, dict):
            continue
        for target_location, target in _targets(child(child(location, "States"), name), body):
            if not isinstance(target, str):
                continue
            referenced.add(target)
            if target not in states:
                report.add(
                    target_location, f"Missing 'Next' target: {target}", MISSING_TRANSITION_TARGET
                )
    if not any(_is_terminal(body) for body in states.values()):
        report.add(
            "" if location == "/" else location, "Workflow has no terminal state", MISSING_END_STATE
        )
        return
    for name in states:
        if name not in referenced:
            report.add(
                child(child(location, "States"), name),
                f'State "{name}" is not reachable.',
                MISSING_TRANSITION_TARGET,
            )
