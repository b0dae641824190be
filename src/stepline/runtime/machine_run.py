"""A state machine running in a frame: an execution's top-level machine, a Parallel branch or a
Map iteration.

It runs states in order: records ``…StateEntered``, runs the state, applies its catchers, checks
the output against AWS's quota, records ``…StateExited`` with the variables it assigned, and
moves to the next state. Pass, Choice, Succeed and Fail complete at once. Task, Wait, Map and
Parallel are routines that may suspend on effects (or, for Map and Parallel, on a fork of
units); the machine then holds the routine and its *journal*: every signal the routine was sent
since the state was entered, each with the time and the execution's counters (event ids,
effect keys, random draws) and the frame's last event at that moment.

That is what makes the machine a checkpoint (ADR 0005): the state it is in, that state's entry
(input, entered event, variables) and the journal are plain data, and a new routine made from
the entry and sent the journal again, each signal at its own counters, is the same routine. A
rebuild replays only the signals since the state was entered, which is a handful (a started
and a failed attempt or two, a back-off timer): the state's last answer moves the machine on.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterator, MutableMapping
from typing import Any, NamedTuple

from stepline.asl.errors import StatesError
from stepline.asl.jsontext import dumps, loads
from stepline.asl.scope import JSON
from stepline.runtime.cursor import Cursor
from stepline.runtime.effects import (
    Cancel,
    Effect,
    Fork,
    Joined,
    MapRunNotice,
    Routine,
    Signal,
    TaskHeartbeat,
    TaskStarted,
    decode,
    encode,
)
from stepline.runtime.entry import Entry
from stepline.runtime.events import Json
from stepline.runtime.fanout import FanOut
from stepline.runtime.frame import NOT_TRUNCATED, Frame
from stepline.runtime.state_plan import (
    Machine,
    Output,
    StatePlan,
    Step,
    checked_text,
    execute_state,
    exited_details,
    run_state,
    within_quota,
)


class CheckpointError(ValueError):
    """A checkpoint does not describe a run this plan can rebuild."""


class Reaction(NamedTuple):
    """One signal a state's routine was sent (None: its start), and where the execution was."""

    signal: Signal | Joined | None
    now: float
    counters: tuple[int, int, int]
    tip: int


class MachineRun:
    __slots__ = (
        "awaiting",
        "cursor",
        "ended",
        "entry",
        "error",
        "failed_at",
        "fork",
        "frame",
        "index",
        "journal",
        "last_fork",
        "machine",
        "output",
        "parent",
        "redrive_fork",
        "routine",
        "state",
    )

    def __init__(
        self,
        cursor: Cursor,
        machine: Machine,
        frame: Frame,
        parent: FanOut | None = None,
        index: int = 0,
    ) -> None:
        self.cursor = cursor
        self.machine = machine
        self.frame = frame
        self.parent = parent
        """The fork this machine is a unit of (None for the execution's own machine)."""
        self.index = index
        self.state: StatePlan | None = None
        """The state the machine is suspended in."""
        self.entry: Entry | None = None
        self.routine: Routine[Step] | None = None
        self.journal: list[Reaction] = []
        self.awaiting: list[int] = []
        self.fork: FanOut | None = None
        self.ended = False
        self.output: Output | None = None
        self.error: StatesError | None = None
        self.failed_at: dict[str, Any] | None = None
        """Where the machine failed or was aborted (``point``): what a redrive runs again."""
        self.last_fork: FanOut | None = None
        self.redrive_fork: dict[str, Any] | None = None

    def unit(self, machine: Machine, frame: Frame, fork: FanOut, index: int) -> MachineRun:
        """A machine for unit ``index`` of ``fork``, one of this machine's."""
        return MachineRun(self.cursor, machine, frame, fork, index)

    def forks(self) -> Iterator[FanOut]:
        """The fork the suspended state awaits and those under it, at any depth."""
        if self.fork is not None:
            yield from self.fork.forks()

    # Moving on --------------------------------------------------------------------------------

    def begin(self, data: JSON, text: str | None) -> None:
        """Run from the first state until a state suspends or the machine ends."""
        try:
            self._run_states(self.machine.start, data, text)
        except StatesError as error:
            self._fail(error)

    def resume(self, signal: Signal) -> None:
        """Hand the suspended state the signal for an effect it awaits."""
        if not isinstance(signal, TaskStarted | TaskHeartbeat):
            self.awaiting.remove(signal.key)
        self._go_on(signal)

    def join(self) -> None:
        """The fork the suspended state awaits is done: hand it the outcome."""
        fork = self.fork
        assert fork is not None
        assert fork.done
        self.fork, self.last_fork = None, fork
        self._go_on(fork.joined())

    def redrive(self, point: dict[str, Any]) -> None:
        """Run again from where the machine failed (``point``): its state re-entered with
        the input and variables it had; a Map's or Parallel's units that succeeded keep their
        outputs, the others run again from where they failed."""
        _own_layer_of(self.frame.variables).update(point["variables"])
        self.redrive_fork = point.get("fork")
        state = self.machine.states[point["state"]]
        text = point["input"]
        try:
            self._run_states(state, loads(text), text)
        except StatesError as error:
            self._fail(error)

    def _go_on(self, signal: Signal | Joined) -> None:
        try:
            step = self._send(signal)
            if step is not None:
                self._leave_and_run_on(step)
        except StatesError as error:
            self._fail(error)

    def _run_states(self, state: StatePlan | None, data: JSON, text: str | None) -> None:
        frame = self.frame
        execution = frame.execution
        while state is not None:
            previous = frame.last_event_id
            entered_id = frame.add_event(
                state.entered_type,
                {"input": Json(data, text), "inputDetails": NOT_TRUNCATED, "name": state.name},
            )
            entry = Entry(
                frame,
                state,
                data,
                entered_id,
                input_text=text,
                entered_previous=previous,
                entered_at=execution.now,
            )
            self.state, self.entry, self.last_fork = state, entry, None
            if state.suspends:
                self.routine = run_state(state, entry)
                self.journal = []
                step = self._send(None)
                if step is None:
                    return  # suspended
            else:
                step = execute_state(state, entry)
            text = self._leave(state, entry, step)
            data = step.output
            state = step.next
        assert text is not None  # every machine runs at least one state
        self.state = self.entry = None
        self.ended = True
        self.output = Output(data, text)

    def _send(self, signal: Signal | Joined | None) -> Step | None:
        """Send the routine ``signal``; its step once it completes, else None (suspended).

        A fork the routine yields is settled at once: units that never suspend end here, and
        if all do, the routine is handed the outcome straight away.
        """
        frame = self.frame
        execution = frame.execution
        routine = self.routine
        assert routine is not None
        while True:
            self.journal.append(
                Reaction(signal, execution.now, execution.counters(), frame.last_event_id)
            )
            try:
                effects = routine.send(signal)
            except StopIteration as stop:
                self._cancel_awaited()
                step: Step = stop.value
                return step
            except StatesError:
                self._cancel_awaited()
                raise
            fork = self._take(effects)
            if fork is None:
                return None
            fork.settle()
            if not fork.done:
                return None
            self.fork, self.last_fork = None, fork
            signal = fork.joined()

    def _take(self, effects: list[Any]) -> FanOut | None:
        fork = None
        for effect in effects:
            if isinstance(effect, Fork):
                fork = self.fork = FanOut(effect.key, effect.source, self)
                if self.redrive_fork is not None:
                    fork.prefill(self.redrive_fork)
                    self.redrive_fork = None
            elif isinstance(effect, Cancel):
                self.awaiting.remove(effect.key)
                self.cursor.cancel(effect.key)
            elif isinstance(effect, MapRunNotice):
                self.cursor.notice(effect)
            else:
                self.awaiting.append(effect.key)
                self.cursor.started(effect, self)
        return fork

    def _cancel_awaited(self) -> None:
        """The state has ended: what its routine still awaits (a timeout's timer, work it
        gave up on) is no longer wanted."""
        for key in self.awaiting:
            self.cursor.cancel(key)
        self.awaiting = []

    def _leave_and_run_on(self, step: Step) -> None:
        state, entry = self.state, self.entry
        assert state is not None
        assert entry is not None
        self.routine = None
        self.journal = []
        text = self._leave(state, entry, step)
        self._run_states(step.next, step.output, text)

    def _leave(self, state: StatePlan, entry: Entry, step: Step) -> str:
        """Record the state's exit and apply what it assigned; its output's text."""
        if step.text is not None:
            text = within_quota(step.text, state.name)
        elif step.output is entry.input and entry.input_text is not None:
            text = within_quota(entry.input_text, state.name)  # passed through unchanged
        else:
            text = checked_text(step.output, state.name)
        if state.emits_exit:
            self.frame.add_event(state.exited_type, exited_details(state.name, step, text))
        if step.assigned:
            self.frame.variables.update(step.assigned)
        return text

    def _fail(self, error: StatesError) -> None:
        self.failed_at = self.point()
        self.ended = True
        self.error = error
        self.state = self.entry = self.routine = None
        self.journal = []

    def point(self) -> dict[str, Any] | None:
        """Where the machine is: its state, that state's input, the frame's own variables,
        and the state's fork (running, or just ended) as a redrive needs them."""
        state, entry = self.state, self.entry
        if state is None or entry is None:
            return None
        fork = self.fork or self.last_fork
        return {
            "state": state.name,
            "input": entry.input_text if entry.input_text is not None else dumps(entry.input),
            "variables": _own_layer(self.frame.variables),
            "fork": fork.redrive_point() if fork is not None else None,
        }

    # Stopping ---------------------------------------------------------------------------------

    def abort(self) -> None:
        """A sibling unit failed: give up this one, recording that its state was aborted."""
        state = self.state
        self.cancel()
        assert state is not None  # a unit still running is suspended in a state
        self.frame.add_event(f"{state.type}StateAborted")

    def cancel(self) -> None:
        """Cancel everything this machine and the units under it await; record nothing."""
        if not self.ended:
            self.failed_at = self.point()
        for key in self.awaiting:
            self.cursor.cancel(key)
        self.awaiting = []
        if self.fork is not None:
            self.fork.cancel()
            self.fork = None
        if self.routine is not None:
            self.routine.close()
        self.ended = True
        self.routine = None

    # Checkpoints ------------------------------------------------------------------------------

    def checkpoint(self) -> dict[str, Any]:
        """The suspended machine as plain data (``restore`` takes it back)."""
        state, entry = self.state, self.entry
        assert state is not None
        assert entry is not None
        return {
            "state": state.name,
            "input": entry.input_text if entry.input_text is not None else dumps(entry.input),
            "entered": [entry.entered_id, entry.entered_previous, entry.entered_at],
            "tip": self.frame.last_event_id,
            "variables": _own_layer(self.frame.variables),
            "journal": [_encode_reaction(reaction) for reaction in self.journal],
            "fork": self.fork.checkpoint() if self.fork is not None else None,
        }

    def restore(self, saved: dict[str, Any]) -> None:
        """Rebuild the suspended machine ``checkpoint`` saved: the state's routine is made anew
        from its entry and sent the journal again, each signal at its recorded counters.

        The caller sets the execution's counters back once the whole run is rebuilt.
        """
        frame = self.frame
        execution = frame.execution
        _own_layer_of(frame.variables).update(saved["variables"])
        state = self.machine.states.get(saved["state"])
        if state is None or not state.suspends:
            raise CheckpointError(f"the machine has no state {saved['state']!r} that suspends")
        text = saved["input"]
        entered_id, previous, entered_at = saved["entered"]
        entry = Entry(
            frame,
            state,
            loads(text),
            entered_id,
            input_text=text,
            entered_previous=previous,
            entered_at=entered_at,
        )
        self.state, self.entry = state, entry
        routine = self.routine = run_state(state, entry)
        self.journal = [_decode_reaction(item) for item in saved["journal"]]
        awaited: dict[int, Effect] = {}
        started: set[int] = set()
        fork: Fork | None = None
        for reaction in self.journal:
            execution.set_counters(reaction.counters)
            execution.now = reaction.now
            frame.last_event_id = reaction.tip
            signal = reaction.signal
            if isinstance(signal, TaskStarted):
                started.add(signal.key)
            elif isinstance(signal, Joined):
                fork = None
            elif signal is not None and not isinstance(signal, TaskHeartbeat):
                awaited.pop(signal.key, None)
            try:
                effects = routine.send(signal)
            except (StopIteration, StatesError):
                raise CheckpointError(f"the journal of state {state.name!r} ends it") from None
            for effect in effects:
                if isinstance(effect, Fork):
                    fork = effect
                elif isinstance(effect, Cancel):
                    awaited.pop(effect.key, None)
                elif not isinstance(effect, MapRunNotice):
                    awaited[effect.key] = effect
        frame.last_event_id = saved["tip"]
        self._await_restored(awaited, fork, saved.get("fork"), started)

    def _await_restored(
        self,
        awaited: dict[int, Effect],
        fork: Fork | None,
        saved_fork: dict[str, Any] | None,
        started: set[int],
    ) -> None:
        if (fork is None) != (saved_fork is None) or (
            fork is not None and saved_fork is not None and saved_fork["key"] != fork.key
        ):
            raise CheckpointError("the checkpoint's fork is not the one its state awaits")
        if fork is not None and saved_fork is not None:
            self.fork = FanOut(fork.key, fork.source, self)
            self.fork.restore(saved_fork)
        for key, effect in awaited.items():
            self.awaiting.append(key)
            self.cursor.restored(effect, self, key in started)


def _own_layer(variables: MutableMapping[str, JSON]) -> dict[str, JSON]:
    return dict(_own_layer_of(variables))


def _own_layer_of(variables: MutableMapping[str, JSON]) -> MutableMapping[str, JSON]:
    """The mapping a frame writes to: its own layer of a ChainMap, else the mapping itself."""
    if isinstance(variables, ChainMap):
        layer: MutableMapping[str, JSON] = variables.maps[0]
        return layer
    return variables


def _encode_reaction(reaction: Reaction) -> list[Any]:
    signal = None if reaction.signal is None else encode(reaction.signal)
    return [signal, reaction.now, *reaction.counters, reaction.tip]


def _decode_reaction(item: list[Any]) -> Reaction:
    signal, now, next_id, next_key, draws, tip = item
    decoded = None if signal is None else decode(signal)
    return Reaction(decoded, now, (next_id, next_key, draws), tip)
