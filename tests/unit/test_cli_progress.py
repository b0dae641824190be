"""Progress of a running execution read from its history: a line for each state entered at
the top level and each task failure, the states running now, nested states counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from stepline.cli.progress import Progress

START = datetime(2026, 1, 31, 12, 0, 0, tzinfo=UTC)


class History:
    """Events numbered and timed as a server gives them."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def add(self, kind: str, at: float, **details: Any) -> dict[str, Any]:
        event: dict[str, Any] = {
            "id": len(self.events) + 1,
            "type": kind,
            "timestamp": START + timedelta(seconds=at),
        }
        event.update(details)
        self.events.append(event)
        return event


def entered(history: History, kind: str, name: str, at: float) -> dict[str, Any]:
    return history.add(f"{kind}StateEntered", at, stateEnteredEventDetails={"name": name})


def exited(history: History, kind: str, name: str, at: float) -> dict[str, Any]:
    return history.add(f"{kind}StateExited", at, stateExitedEventDetails={"name": name})


def test_top_level_states_get_a_line_with_the_time_since_the_start() -> None:
    history = History()
    progress = Progress(START)
    assert progress.take(history.add("ExecutionStarted", 0)) is None
    assert progress.take(entered(history, "Wait", "Nap", 0.01)) == "  +0.0s  Nap (Wait)"
    assert progress.status(START + timedelta(seconds=0.5)) == "running 0.5s · in Nap"
    assert progress.take(exited(history, "Wait", "Nap", 1.02)) is None
    assert progress.status(START + timedelta(seconds=1.1)) == "running 1.1s"
    assert progress.take(entered(history, "Task", "Charge", 1.02)) == "  +1.0s  Charge (Task)"
    failed = history.add("TaskFailed", 1.5, taskFailedEventDetails={"error": "States.Timeout"})
    assert progress.take(failed) == "  +1.5s    TaskFailed: States.Timeout"
    assert progress.last_event_id == 5


def test_states_inside_a_map_are_counted_not_printed() -> None:
    history = History()
    progress = Progress(START)
    lines = [
        progress.take(entered(history, "Map", "Each", 0)),
        progress.take(history.add("MapStateStarted", 0)),
        *(progress.take(entered(history, "Task", "Process", 0.1)) for _ in range(3)),
        progress.take(history.add("TaskFailed", 0.2, taskFailedEventDetails={"error": "E"})),
    ]
    assert lines == ["  +0.0s  Each (Map)", None, None, None, None, None]
    assert progress.status(START + timedelta(seconds=65)) == "running 1m 05s · in Each, Process ×3"
    for _ in range(3):
        progress.take(exited(history, "Task", "Process", 0.3))
    progress.take(history.add("MapStateSucceeded", 0.4))
    assert progress.take(exited(history, "Map", "Each", 0.4)) is None
    assert progress.take(entered(history, "Succeed", "Done", 0.4)) == "  +0.4s  Done (Succeed)"


def test_many_running_states_are_shortened() -> None:
    history = History()
    progress = Progress(START)
    progress.take(entered(history, "Parallel", "Fan", 0))
    progress.take(history.add("ParallelStateStarted", 0))
    for name in ("A", "B", "C", "D"):
        progress.take(entered(history, "Pass", name, 0))
    assert progress.status(START) == "running 0.0s · in Fan, A, B, …"


def test_a_redrive_starts_afresh() -> None:
    history = History()
    progress = Progress(START)
    progress.take(entered(history, "Task", "Charge", 0))
    progress.take(history.add("ExecutionFailed", 1))
    assert progress.take(history.add("ExecutionRedriven", 60)) == "  +1m 00s  redriven"
    assert progress.status(START + timedelta(seconds=61)) == "running 1m 01s"
