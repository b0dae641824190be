"""A fork: the iterations of a Map or the branches of a Parallel, run as units under one state.

A Map or Parallel routine yields ``Fork(key, source)``; the execution's cursor makes a
``FanOut`` of it. The fan-out starts units (each a ``MachineRun`` in a frame of its own) up to
the source's limit, records how each ends, and, once all have ended or the first has failed
(the others are then aborted), hands the routine ``Joined``. Its state is data (which units
ended and how, which are running), so a checkpoint holds it and a finished unit is never run
again when the execution is rebuilt.

What a unit *is* (its machine, its frame and input, the events around it) is the source's:
``stepline.runtime.states.fanout`` has Map's and Parallel's.
"""

from __future__ import annotations

from typing import Any, Protocol

from stepline.asl.errors import StatesError
from stepline.asl.jsontext import dumps, loads
from stepline.asl.scope import JSON
from stepline.runtime.effects import Joined
from stepline.runtime.frame import Frame
from stepline.runtime.state_plan import Machine, Output


class Unit(Protocol):
    """What a fan-out needs of the machine running one unit (``machine_run.MachineRun``)."""

    index: int
    frame: Frame
    ended: bool
    output: Output | None
    error: StatesError | None
    parent: FanOut | None

    def unit(self, machine: Machine, frame: Frame, fork: FanOut, index: int) -> Unit:
        """A machine for unit ``index`` of ``fork`` under this one."""
        ...

    def begin(self, data: JSON, text: str | None) -> None: ...
    def join(self) -> None: ...
    def abort(self) -> None: ...
    def cancel(self) -> None: ...
    def checkpoint(self) -> dict[str, Any]: ...
    def restore(self, saved: dict[str, Any]) -> None: ...


class UnitSource(Protocol):
    """What a fan-out runs: ``count`` units, at most ``limit`` at once.

    ``tolerant`` sources keep going when a unit fails (a distributed Map counts failures
    itself); the others end at the first failure.
    """

    count: int
    limit: int
    tolerant: bool

    def machine(self, index: int) -> Machine:
        """The state machine unit ``index`` runs."""
        ...

    def begin(self, index: int, fanout: FanOut) -> tuple[Frame, JSON, str | None]:
        """Start unit ``index``: its frame (its starting events recorded), input and text."""
        ...

    def frame(self, index: int, fanout: FanOut) -> Frame:
        """A frame for unit ``index`` being rebuilt from a checkpoint (nothing recorded)."""
        ...

    def end(self, index: int, frame: Frame, error: StatesError | None, fanout: FanOut) -> None:
        """Record how unit ``index`` ended."""
        ...

    def abort(self, index: int, frame: Frame) -> None:
        """Record that unit ``index`` was aborted (after its state's own aborted event)."""
        ...


class FanOut:
    """The units of one fork: which have ended and how, which are running."""

    __slots__ = (
        "done",
        "failure",
        "key",
        "mark",
        "next_index",
        "outcomes",
        "parent",
        "running",
        "source",
    )

    def __init__(self, key: int, source: UnitSource, parent: Unit) -> None:
        self.key = key
        self.source = source
        self.parent = parent
        self.next_index = 0
        self.running: dict[int, Unit] = {}
        self.outcomes: dict[int, tuple[JSON, str | None, StatesError | None]] = {}
        """Ended units by index: (output, its text, None) or (None, None, error)."""
        self.failure: StatesError | None = None
        self.done = False
        self.mark = 0
        """A number the source may keep between units (the event its next unit links to)."""

    def settle(self) -> None:
        """Start units up to the limit, note those that end at once, abort the rest after a
        failure; ``done`` once nothing is left to run."""
        source = self.source
        while (
            self.failure is None
            and self.next_index < source.count
            and len(self.running) < source.limit
        ):
            index = self.next_index
            self.next_index = index + 1
            frame, data, text = source.begin(index, self)
            unit = self.parent.unit(source.machine(index), frame, self, index)
            self.running[index] = unit
            unit.begin(data, text)
            if unit.ended:
                self.unit_ended(unit)
        if self.failure is not None:
            self._abort_running()
        self.done = not self.running and (
            self.failure is not None or self.next_index >= source.count
        )

    def unit_ended(self, unit: Unit) -> None:
        """Record how ``unit`` ended; a failure ends the fan-out unless the source tolerates it."""
        index = unit.index
        del self.running[index]
        self.source.end(index, unit.frame, unit.error, self)
        if unit.error is not None:
            self.outcomes[index] = (None, None, unit.error)
            if self.failure is None and not self.source.tolerant:
                self.failure = unit.error
        else:
            assert unit.output is not None
            self.outcomes[index] = (unit.output.value, unit.output.text, None)

    def _abort_running(self) -> None:
        for index in sorted(self.running):
            unit = self.running.pop(index)
            unit.abort()
            self.source.abort(index, unit.frame)

    def cancel(self) -> None:
        """Cancel the work of every running unit (the state above is aborted); no events."""
        for unit in self.running.values():
            unit.cancel()
        self.running.clear()

    def joined(self) -> Joined:
        """The signal that ends the fork: the outputs, or the first failure by index."""
        if self.failure is not None:
            for index in sorted(self.outcomes):
                error = self.outcomes[index][2]
                if error is not None:
                    recorded = bool(getattr(error, "recorded", False))
                    return Joined(self.key, None, error.error, error.cause, recorded)
        outputs: list[tuple[JSON, str | None]] = []
        for index in range(self.source.count):
            value, text, error = self.outcomes[index]
            if error is not None:
                outputs.append(({"Error": error.error, "Cause": error.cause}, None))
            else:
                outputs.append((value, text))
        return Joined(self.key, outputs=tuple(outputs))

    # Checkpoints ------------------------------------------------------------------------------

    def checkpoint(self) -> dict[str, Any]:
        outcomes = {}
        for index, (value, text, error) in self.outcomes.items():
            if error is not None:
                outcomes[str(index)] = {"error": error.error, "cause": error.cause}
            else:
                outcomes[str(index)] = {"output": text if text is not None else dumps(value)}
        return {
            "key": self.key,
            "next": self.next_index,
            "mark": self.mark,
            "outcomes": outcomes,
            "running": {str(index): unit.checkpoint() for index, unit in self.running.items()},
        }

    def restore(self, saved: dict[str, Any]) -> None:
        """Take the state ``checkpoint`` saved, rebuilding the running units by replay."""
        self.next_index = saved["next"]
        self.mark = saved["mark"]
        for index_text, outcome in saved["outcomes"].items():
            if "error" in outcome:
                error = StatesError(outcome["cause"], outcome["error"])
                self.outcomes[int(index_text)] = (None, None, error)
            else:
                text = outcome["output"]
                self.outcomes[int(index_text)] = (loads(text), text, None)
        for index_text, unit_saved in saved["running"].items():
            index = int(index_text)
            frame = self.source.frame(index, self)
            unit = self.parent.unit(self.source.machine(index), frame, self, index)
            unit.restore(unit_saved)
            self.running[index] = unit
