"""What must hold once every execution of a durability run has ended, however often its nodes
were killed: each execution (and each child of its distributed Map) SUCCEEDED with the output
worked out independently; each history has one terminal event, last, and ids 1..n each
following an earlier one; each top-level state was entered exactly once; replaying the journal
gives the stored history; nothing is left queued.

``verify`` returns the problems found (an empty list when all holds), each naming the
execution, so a failure can be looked up in the store and the node logs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from stepline.asl.jsontext import loads
from stepline.engine import Engine
from stepline.store import ExecutionRecord
from tests.durability import workflow

TERMINAL_EVENTS = frozenset(
    {"ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"}
)
CHILD_PATH = ("Cube",)


def history(engine: Engine, arn: str) -> list[dict[str, Any]]:
    """Every event of the execution, through GetExecutionHistory's pages."""
    events: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = engine.get_execution_history(arn, max_results=1000, next_token=token)
        events += page["events"]
        token = page.get("nextToken")
        if token is None:
            return events


def history_problems(events: list[dict[str, Any]]) -> list[str]:
    """What is wrong with a history's shape: ids, links, its terminal event."""
    problems = []
    ids = [event["id"] for event in events]
    if ids != list(range(1, len(events) + 1)):
        problems.append(f"event ids are not 1..{len(events)}: {_ranges(ids)}")
    for event in events:
        if not 0 <= event["previousEventId"] < event["id"]:
            problems.append(
                f"event {event['id']} ({event['type']}) follows {event['previousEventId']}"
            )
    if not events or events[0]["type"] != "ExecutionStarted":
        problems.append("the first event is not ExecutionStarted")
    terminal = [event for event in events if event["type"] in TERMINAL_EVENTS]
    if len(terminal) != 1:
        problems.append(
            f"{len(terminal)} terminal events: {[(e['id'], e['type']) for e in terminal]}"
        )
    elif events[-1] is not terminal[0]:
        problems.append(f"the terminal event {terminal[0]['id']} is not the last")
    return problems


def entered_states(events: list[dict[str, Any]], names: tuple[str, ...]) -> list[str]:
    """The states among ``names`` the history entered, in order."""
    return [
        event["stateEnteredEventDetails"]["name"]
        for event in events
        if event["type"].endswith("StateEntered")
        and event["stateEnteredEventDetails"]["name"] in names
    ]


def excerpt(events: list[dict[str, Any]], limit: int = 80) -> str:
    """A history, one line per event, for a report."""
    lines = []
    for event in events[:limit]:
        details = {key: value for key, value in event.items() if key.endswith("EventDetails")}
        text = json.dumps(details, default=str)[:160]
        lines.append(f"  {event['id']:>4} <- {event['previousEventId']:>4} {event['type']} {text}")
    if len(events) > limit:
        lines.append(f"  ... {len(events) - limit} more")
    return "\n".join(lines)


def _ranges(ids: list[int]) -> str:
    shown = ids[:40]
    return f"{shown}{' ...' if len(ids) > len(shown) else ''}"


class Verification:
    """The problems found, with the first failing history kept for the report."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.first_history: tuple[str, list[dict[str, Any]]] | None = None
        self.checked = 0

    def add(self, arn: str, problem: str, events: list[dict[str, Any]] | None = None) -> None:
        self.problems.append(f"{arn}: {problem}")
        if events is not None and self.first_history is None:
            self.first_history = (arn, events)

    def report(self, context: str, limit: int = 30) -> str:
        lines = [f"{len(self.problems)} problems ({context}); the first {limit}:"]
        lines += [f"- {problem}" for problem in self.problems[:limit]]
        if self.first_history is not None:
            arn, events = self.first_history
            lines.append(f"history of {arn}:\n{excerpt(events)}")
        return "\n".join(lines)


def verify(engine: Engine, runs: Mapping[str, int], *, replay: bool = True) -> Verification:
    """Check every execution of ``runs`` (ARN -> its number) and its children."""
    found = Verification()
    store = engine.store
    expected_children = 0
    for arn, number in runs.items():
        events = _check_execution(engine, found, arn, workflow.TOP_LEVEL_PATH, replay=replay)
        described = engine.describe_execution(arn)
        if described["status"] == "SUCCEEDED":
            output = loads(described["output"])
            if output != workflow.expected_output(number):
                found.add(arn, f"output {output} is not {workflow.expected_output(number)}")
        record = store.execution(arn)
        assert record is not None
        items = workflow.items_of(number)
        expected_children += len(items)
        children = store.executions(parent_id=record.id, limit=10 * len(items) + 10)
        _check_children(
            engine, found, arn, events=events, children=children, items=items, replay=replay
        )
    everything = store.executions(limit=10 * (len(runs) + expected_children) + 10)
    found.checked = len(everything)
    if len(everything) != len(runs) + expected_children:
        found.add(
            "store",
            f"{len(everything)} executions; {len(runs)} were started, whose distributed "
            f"Maps must have started {expected_children} children",
        )
    due = store.next_due()
    if due is not None:
        found.add("store", f"a wake-up is still queued (due {due}) though every run ended")
    left = store.tasks([record.id for record in everything])
    if left:
        found.add("store", f"{len(left)} dispatched tasks are still queued: {left[:5]}")
    return found


def _check_execution(
    engine: Engine,
    found: Verification,
    arn: str,
    path: tuple[str, ...],
    *,
    replay: bool,
) -> list[dict[str, Any]]:
    described = engine.describe_execution(arn)
    events = history(engine, arn)
    found.checked += 1
    if described["status"] != "SUCCEEDED":
        found.add(
            arn,
            f"{described['status']} ({described.get('error')}: {described.get('cause')})",
            events,
        )
    for problem in history_problems(events):
        found.add(arn, problem, events)
    entered = entered_states(events, path)
    if entered != list(path):
        found.add(arn, f"top-level states entered {entered}, not once each {list(path)}", events)
    if replay:
        difference = engine.check_replay(arn)
        if difference is not None:
            found.add(arn, f"replay differs: {difference}", events)
    return events


def _check_children(
    engine: Engine,
    found: Verification,
    arn: str,
    *,
    events: list[dict[str, Any]],
    children: list[ExecutionRecord],
    items: list[int],
    replay: bool,
) -> None:
    """The distributed Map started one child per item, each of which cubed its item."""
    inputs = sorted(loads(child.input) for child in children)
    if inputs != items or len({child.name for child in children}) != len(children):
        found.add(
            arn,
            f"its distributed Map's children had inputs {inputs} "
            f"(names {sorted(child.name for child in children)}), not one per item {items}",
            events,
        )
    for child in children:
        _check_execution(engine, found, child.arn, CHILD_PATH, replay=replay)
        if child.status == "SUCCEEDED" and loads(child.output or "null") != loads(child.input) ** 3:
            found.add(child.arn, f"output {child.output} is not the cube of {child.input}")
