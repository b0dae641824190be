"""What Map and Parallel share: handing their units (iterations, branches) to the cursor as a
fork (``stepline.runtime.fanout``), the events around them, and the order AWS links those
events in.

AWS chains a fan-out's events oddly but consistently: an iteration's (or branch's) closing
event hangs off its last inner event without becoming the new tip, the next iteration starts
from that same inner event, and the state's own Succeeded event does not become the tip either
(its Exited event follows what came before it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stepline.asl.errors import StatesError
from stepline.asl.jsonpath import PathNotFound, compile_path
from stepline.asl.jsontext import dumps
from stepline.asl.model import (
    MapState,
    ParallelState,
    Payload,
    StateMachine,
    TaskState,
    WaitState,
)
from stepline.asl.scope import JSON
from stepline.runtime.dataflow import jsonata_evaluator
from stepline.runtime.effects import (
    Fork,
    Joined,
    MapRunNotice,
    MapRunUpdated,
    Routine,
    StartExecution,
)
from stepline.runtime.entry import Entry
from stepline.runtime.fanout import FanOut, UnitSource
from stepline.runtime.frame import Execution, Frame
from stepline.runtime.state_plan import Output

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


def can_wait(machine: StateMachine) -> bool:
    """Whether a nested machine can wait: on work outside the interpreter (a Task) or on time
    (a Wait), at any depth.

    Only such machines gain from running concurrently: pure data states never wait, and run
    one after another they keep AWS's sequential linking of events. Units that wait run at
    once, as on AWS: three iterations that each wait a second take a second, not three.
    """
    for state in machine.states.values():
        if isinstance(state, TaskState | WaitState):
            return True
        if isinstance(state, ParallelState) and any(map(can_wait, state.branches)):
            return True
        if isinstance(state, MapState) and can_wait(state.item_processor):
            return True
    return False


def fork(execution: Execution, source: UnitSource) -> Routine[Joined]:
    """Hand ``source``'s units to the execution's cursor; the outcome once they have ended."""
    joined: Joined = yield [Fork(execution.new_key(), source)]
    return joined


def joined_outputs(frame: Frame, joined: Joined, succeeded_type: str) -> list[Output]:
    """The units' outputs in order, as a concurrent fork ends; or its failure, raised.

    AWS links what follows a concurrent fork to the last event any unit recorded.
    """
    frame.last_event_id = frame.execution.log.last_id
    if joined.outputs is None:
        raise joined.failure()
    succeed_fanout(frame, succeeded_type)
    return [
        Output(value, text if text is not None else dumps(value)) for value, text in joined.outputs
    ]


class Units:
    """What every source shares: the parent's frame, and how many units run at once."""

    tolerance: int | None = None
    external = False
    map_run_arn: str | None = None

    def __init__(self, entry: Entry, count: int, limit: int) -> None:
        self.entry = entry
        self.count = count
        self.limit = limit

    def child(self, index: int, key: int) -> StartExecution:
        raise TypeError("these units run here, not as child executions")

    def notice(self, key: int, status: str) -> MapRunNotice | None:
        return None

    def retune(self, update: MapRunUpdated) -> None:
        raise TypeError("only a distributed Map's run takes new settings")

    def frame(self, index: int, fanout: FanOut) -> Frame:
        return self.entry.frame.child()

    def end(self, index: int, frame: Frame, error: StatesError | None, fanout: FanOut) -> None:
        return None

    def abort(self, index: int, frame: Frame) -> None:
        return None
