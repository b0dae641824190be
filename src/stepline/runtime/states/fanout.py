"""What Map and Parallel share: running nested state machines in child frames, recording the
events around them, and the order AWS links those events in.

AWS chains a fan-out's events oddly but consistently: an iteration's (or branch's) closing
event hangs off its last inner event without becoming the new tip, the next iteration starts
from that same inner event, and the state's own Succeeded event does not become the tip either
(its Exited event follows what came before it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from stepline.asl.errors import StatesError
from stepline.asl.jsonpath import PathNotFound, compile_path
from stepline.asl.jsontext import dumps
from stepline.asl.model import MapState, ParallelState, Payload, StateMachine, TaskState
from stepline.asl.scope import JSON
from stepline.runtime.dataflow import jsonata_evaluator
from stepline.runtime.entry import Entry
from stepline.runtime.frame import Frame

NumberReader = Callable[[Entry, JSON], JSON]


def succeed_fanout(frame: Frame, event_type: str) -> None:
    """Record ``MapStateSucceeded``/``ParallelStateSucceeded`` without moving the tip."""
    tip = frame.last_event_id
    frame.add_event(event_type)
    frame.last_event_id = tip


def number_reader(
    is_jsonata: bool, value: JSON, path_text: str | None, field: str, kind: str
) -> NumberReader | None:
    """MaxConcurrency, ToleratedFailureCount/Percentage: a literal, a path, or JSONata."""
    if is_jsonata and isinstance(value, str):
        evaluate = jsonata_evaluator(Payload(value), field)
        assert evaluate is not None
        return lambda entry, data: evaluate(entry, {})
    if path_text is None:
        return None if value is None else (lambda entry, data: value)
    path = compile_path(path_text)

    def read(entry: Entry, data: JSON) -> JSON:
        try:
            found = path.evaluate(entry.scope(data))
        except PathNotFound:
            raise entry.runtime_error(
                f"Invalid path '{path_text}' : No results for path: {path_text}"
            ) from None
        number = _as_number(found, kind)
        if number is None:
            shown = found if isinstance(found, str) else _text(found)
            raise entry.runtime_error(
                f'The {field}Path field refers to value "{shown}" which is not a valid '
                f"{kind}: {path_text}"
            )
        return number

    return read


def _as_number(value: Any, kind: str) -> int | float | None:
    """The number a path's value stands for (AWS also parses numeric strings), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return int(value) if kind == "integer" else float(value)
    except ValueError:
        return None


def _text(value: JSON) -> str:
    return dumps(value)


# Concurrent iterations and branches ---------------------------------------------------------

INLINE_CONCURRENCY_CEILING = 40
"""AWS runs at most 40 inline Map iterations at once, whatever MaxConcurrency allows."""


def contains_tasks(machine: StateMachine) -> bool:
    """Whether a nested machine can wait on work outside the interpreter (a Task, at any depth).

    Only such machines gain from running concurrently: pure data states are CPU-bound and would
    only pay for threads.
    """
    for state in machine.states.values():
        if isinstance(state, TaskState):
            return True
        if isinstance(state, ParallelState) and any(map(contains_tasks, state.branches)):
            return True
        if isinstance(state, MapState) and contains_tasks(state.item_processor):
            return True
    return False


@dataclass
class Outcome:
    """How one concurrent run ended: its value, or its error, or that it was cut short."""

    value: JSON = None
    error: StatesError | None = None
    aborted: bool = False


@dataclass
class ConcurrentRun:
    """Runs ``count`` units with at most ``limit`` at once; after a failure, none starts and
    those still running end as aborted (their work finishes, their result is dropped)."""

    count: int
    limit: int
    failed: threading.Event = field(default_factory=threading.Event)
    first_error: StatesError | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, unit: Callable[[int, ConcurrentRun], Outcome]) -> list[Outcome | None]:
        workers = max(1, min(self.limit, self.count))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stepline-fanout") as pool:
            futures = [pool.submit(self._guarded, unit, index) for index in range(self.count)]
            return [future.result() for future in futures]

    def _guarded(self, unit: Callable[[int, ConcurrentRun], Outcome], index: int) -> Outcome | None:
        if self.failed.is_set():
            return None
        outcome = unit(index, self)
        if outcome.error is not None:
            with self._lock:
                if self.first_error is None:
                    self.first_error = outcome.error
            self.failed.set()
        return outcome
