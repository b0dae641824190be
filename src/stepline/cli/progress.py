"""Live progress of a running execution (``--watch``): a line for each state the execution
enters and each task that fails, with the time since the start, and, on a terminal, a status
line redrawn in place (the current states, the time elapsed) until the execution ends.

Progress goes to standard error, so that standard output holds only the execution's output.
States inside a Parallel or Map update the status line only: a Map over a thousand items
would otherwise print thousands of lines.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TextIO

from stepline.cli.errors import Interrupted
from stepline.cli.output import duration, moment
from stepline.cli.remote import Remote

POLL_SECONDS = 0.25
TERMINAL_STATUSES = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})
_NESTING_STARTED = frozenset({"ParallelStateStarted", "MapStateStarted"})
_NESTING_ENDED = frozenset(
    f"{kind}State{ending}"
    for kind in ("Parallel", "Map")
    for ending in ("Succeeded", "Failed", "Aborted")
)
_TASK_FAILURES = frozenset(
    f"{kind}{ending}"
    for kind in ("Task", "LambdaFunction", "Activity")
    for ending in ("Failed", "TimedOut", "StartFailed", "SubmitFailed", "ScheduleFailed")
)
_CLEAR_LINE = "\r\x1b[K"


class Progress:
    """What the history read so far says: lines to print and the states running now."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.last_event_id = 0
        self.depth = 0
        self.running: Counter[str] = Counter()

    def take(self, event: dict[str, Any]) -> str | None:
        """Account for one event; the line it deserves, if any."""
        self.last_event_id = max(self.last_event_id, int(event["id"]))
        kind = str(event["type"])
        line: str | None = None
        if kind.endswith("StateEntered"):
            name = event.get("stateEnteredEventDetails", {}).get("name", "?")
            self.running[name] += 1
            if self.depth == 0:
                line = f"{name} ({kind.removesuffix('StateEntered')})"
        elif kind.endswith("StateExited"):
            name = event.get("stateExitedEventDetails", {}).get("name", "?")
            self.running[name] -= 1
            if self.running[name] <= 0:
                del self.running[name]
        elif kind in _NESTING_STARTED:
            self.depth += 1
        elif kind in _NESTING_ENDED:
            self.depth = max(0, self.depth - 1)
        elif kind in _TASK_FAILURES and self.depth == 0:
            error = _details(event).get("error")
            line = f"  {kind}: {error}" if error else f"  {kind}"
        elif kind == "ExecutionRedriven":
            self.running.clear()
            self.depth = 0
            line = "redriven"
        if line is None:
            return None
        return f"  +{duration(self.since_start(event['timestamp']))}  {line}"

    def since_start(self, moment: datetime) -> float:
        return max(0.0, (moment - self.start).total_seconds())

    def status(self, now: datetime) -> str:
        """The status line: time elapsed and the states running."""
        names = [f"{name} ×{count}" if count > 1 else name for name, count in self.running.items()]
        shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
        return f"running {duration(self.since_start(now))}" + (f" · in {shown}" if shown else "")


def _details(event: dict[str, Any]) -> dict[str, Any]:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            return value
    return {}


def is_live(stream: TextIO) -> bool:
    """Whether a status line can be redrawn in place: a terminal that understands it."""
    return stream.isatty() and os.environ.get("TERM", "") != "dumb"


def follow(remote: Remote, arn: str, stream: TextIO) -> dict[str, Any]:
    """Show the execution's progress on ``stream`` until it ends; its final description."""
    live = is_live(stream)
    try:
        return _follow(remote, arn, stream, live)
    except KeyboardInterrupt:
        if live:
            print(_CLEAR_LINE, end="", file=stream, flush=True)
        raise Interrupted(
            f"stopped watching; it goes on: stepline executions watch {arn}"
        ) from None


def _follow(remote: Remote, arn: str, stream: TextIO, live: bool) -> dict[str, Any]:
    described = remote.call("describe_execution", executionArn=arn)
    machine_name = str(described.get("stateMachineArn", "")).split(":")[-1]
    start: datetime = described["startDate"]
    print(f"{described['name']} ({machine_name}), started {moment(start)}", file=stream)
    progress = Progress(start)
    while True:
        ended = described["status"] in TERMINAL_STATUSES
        for event in new_events(remote, arn, progress.last_event_id):
            line = progress.take(event)
            if line is not None:
                _print(stream, line, live)
        if ended:
            break
        if live:
            status = _CLEAR_LINE + progress.status(datetime.now(UTC))
            print(status, end="", file=stream, flush=True)
        time.sleep(POLL_SECONDS)
        described = remote.call("describe_execution", executionArn=arn)
    stop = described.get("stopDate") or datetime.now(UTC)
    _print(stream, f"  +{duration(progress.since_start(stop))}  {described['status']}", live)
    return described


def _print(stream: TextIO, line: str, live: bool) -> None:
    print((_CLEAR_LINE if live else "") + line, file=stream, flush=True)


def new_events(remote: Remote, arn: str, after_id: int) -> list[dict[str, Any]]:
    """The events after ``after_id``, oldest first: the newest pages only, read backwards."""
    return list(reversed(list(_newest_first(remote, arn, after_id))))


def _newest_first(remote: Remote, arn: str, after_id: int) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        page = remote.call(
            "get_execution_history",
            executionArn=arn,
            reverseOrder=True,
            includeExecutionData=False,
            maxResults=100,
            **({"nextToken": token} if token else {}),
        )
        for event in page.get("events", []):
            if int(event["id"]) <= after_id:
                return
            yield event
        token = page.get("nextToken")
        if not token:
            return
