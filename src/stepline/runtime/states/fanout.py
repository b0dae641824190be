"""What Map and Parallel share: running nested state machines in child frames, recording the
events around them, and the order AWS links those events in.

AWS chains a fan-out's events oddly but consistently: an iteration's (or branch's) closing
event hangs off its last inner event without becoming the new tip, the next iteration starts
from that same inner event, and the state's own Succeeded event does not become the tip either
(its Exited event follows what came before it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stepline.asl.errors import StatesError
from stepline.asl.jsonpath import PathNotFound, compile_path
from stepline.asl.jsontext import dumps
from stepline.asl.model import MapState, ParallelState, Payload, StateMachine, TaskState
from stepline.asl.scope import JSON
from stepline.runtime.dataflow import jsonata_evaluator
from stepline.runtime.effects import Effect, Routine
from stepline.runtime.entry import Entry
from stepline.runtime.frame import Execution, Frame

NumberReader = Callable[[Entry, JSON], JSON]


def succeed_fanout(frame: Frame, event_type: str) -> None:
    """Record ``MapStateSucceeded``/``ParallelStateSucceeded`` without moving the tip."""
    tip = frame.last_event_id
    frame.add_event(event_type)
    frame.last_event_id = tip


def abort_running_state(frame: Frame) -> None:
    """Record that the state an aborted iteration or branch was running is aborted.

    A unit still running is suspended, so its frame is always in a suspending state.
    """
    assert frame.suspended_in is not None
    frame.add_event(f"{frame.suspended_in}StateAborted")


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

    Only such machines gain from running concurrently: pure data states never wait, and run
    one after another they keep AWS's sequential linking of events.
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
    """How one concurrent unit ended: its value, or its error."""

    value: JSON = None
    error: StatesError | None = None


Unit = Callable[[int], Routine[Outcome]]


def run_concurrently(
    execution: Execution, count: int, limit: int, unit: Unit, abort: Callable[[int], None]
) -> Routine[list[Outcome | None]]:
    """Run units ``0..count-1``, at most ``limit`` at once, as one routine.

    The units' effects go out together and each signal resumes the unit that awaits it. The
    first unit to fail ends the run: no other unit starts, and those still running are closed
    and handed to ``abort`` (in index order) to record it; the work they awaited is cancelled.
    """
    fan = _FanOut(count, unit)
    fan.start_more(limit)
    while fan.running and fan.failure is None:
        signal = yield fan.take_effects()
        index = fan.owner.pop(signal.key)  # advance hands on only signals that are awaited
        fan.resume(index, fan.running[index].send, signal)
        fan.start_more(limit)
    if fan.failure is not None:
        fan.abort_running(execution, abort)
    return fan.outcomes


def collect_outcomes(
    frame: Frame, outcomes: list[Outcome | None], succeeded_type: str
) -> list[JSON]:
    """The units' values in order; or the failure that ended the run, raised."""
    frame.last_event_id = frame.execution.log.last_id
    for outcome in outcomes:
        if outcome is not None and outcome.error is not None:
            raise outcome.error
    succeed_fanout(frame, succeeded_type)
    return [outcome.value for outcome in outcomes if outcome is not None]


class _FanOut:
    """The bookkeeping of ``run_concurrently``: which unit runs, and which effects it awaits."""

    def __init__(self, count: int, unit: Unit) -> None:
        self.count = count
        self.unit = unit
        self.outcomes: list[Outcome | None] = [None] * count
        self.running: dict[int, Routine[Outcome]] = {}
        self.owner: dict[int, int] = {}
        self.effects: list[Effect] = []
        self.next_index = 0
        self.failure: StatesError | None = None

    def start_more(self, limit: int) -> None:
        while self.failure is None and self.next_index < self.count and len(self.running) < limit:
            index = self.next_index
            self.next_index += 1
            routine = self.unit(index)
            self.running[index] = routine
            self.resume(index, routine.send, None)  # send(None) starts a routine

    def resume(self, index: int, send: Callable[[Any], list[Effect]], signal: Any) -> None:
        try:
            effects = send(signal)
        except StopIteration as stop:
            del self.running[index]
            outcome: Outcome = stop.value
            self.outcomes[index] = outcome
            if outcome.error is not None and self.failure is None:
                self.failure = outcome.error
            return
        for effect in effects:
            self.owner[effect.key] = index
        self.effects.extend(effects)

    def take_effects(self) -> list[Effect]:
        effects, self.effects = self.effects, []
        return effects

    def abort_running(self, execution: Execution, abort: Callable[[int], None]) -> None:
        awaited: dict[int, list[int]] = {}
        for key, index in self.owner.items():
            awaited.setdefault(index, []).append(key)
        for index in sorted(self.running):
            self.running.pop(index).close()
            abort(index)
            for key in awaited.get(index, ()):
                execution.cancel(key)
