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

from collections.abc import Iterator
from typing import Any, Protocol

from stepline.asl.errors import StatesError, StatesExceedToleratedFailureThreshold
from stepline.asl.jsontext import dumps, loads
from stepline.asl.scope import JSON
from stepline.runtime.cursor import Cursor
from stepline.runtime.effects import (
    ExecutionEnded,
    Joined,
    MapRunNotice,
    MapRunUpdated,
    StartExecution,
    decode,
    encode,
)
from stepline.runtime.frame import Frame
from stepline.runtime.state_plan import Machine, Output


class Unit(Protocol):
    """What a fan-out needs of the machine running one unit (``machine_run.MachineRun``, or
    ``ChildUnit`` for a child execution)."""

    index: int
    frame: Frame
    ended: bool
    output: Output | None
    error: StatesError | None
    failed_at: dict[str, Any] | None
    parent: FanOut | None
    cursor: Cursor

    def resume(self, signal: Any) -> None: ...

    def unit(self, machine: Machine, frame: Frame, fork: FanOut, index: int) -> Unit:
        """A machine for unit ``index`` of ``fork`` under this one."""
        ...

    def begin(self, data: JSON, text: str | None) -> None: ...
    def redrive(self, point: dict[str, Any]) -> None: ...
    def point(self) -> dict[str, Any] | None: ...
    def join(self) -> None: ...
    def abort(self) -> None: ...
    def cancel(self) -> None: ...
    def checkpoint(self) -> dict[str, Any]: ...
    def restore(self, saved: dict[str, Any]) -> None: ...

    def forks(self) -> Iterator[FanOut]:
        """The forks running under this unit, at any depth (none for a child execution)."""
        ...


class UnitSource(Protocol):
    """What a fan-out runs: ``count`` units, at most ``limit`` at once.

    Without a ``tolerance`` the first unit that fails ends the fan-out; with one, it ends
    once more than ``tolerance`` units have failed (a distributed Map's tolerated failures).
    ``external`` sources run each unit as a child execution (``child``); the others run it
    here, in a frame of its own. A distributed Map's source names its Map Run
    (``map_run_arn``), whose settings may change while it runs (``retune``).
    """

    count: int
    limit: int
    tolerance: int | None
    external: bool
    map_run_arn: str | None

    def retune(self, update: MapRunUpdated) -> None:
        """Take the Map Run's settings ``update`` gives (all the updates so far, together)
        over the definition's: a new ``limit`` and ``tolerance``."""
        ...

    def child(self, index: int, key: int) -> StartExecution:
        """The child execution that runs unit ``index`` (external sources only)."""
        ...

    def notice(self, key: int, status: str) -> MapRunNotice | None:
        """What to tell the driver when the fan-out begins (RUNNING) and ends."""
        ...

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
        "begun",
        "done",
        "failure",
        "key",
        "mark",
        "next_index",
        "outcomes",
        "parent",
        "points",
        "redrive_units",
        "running",
        "source",
        "update",
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
        self.begun = False
        self.points: dict[int, dict[str, Any]] = {}
        """Where units that failed or were aborted stopped (what a redrive runs again)."""
        self.redrive_units: dict[int, dict[str, Any]] = {}
        """Units a redrive runs again from where they stopped, by index."""
        self.mark = 0
        """A number the source may keep between units (the event its next unit links to)."""
        self.update: MapRunUpdated | None = None
        """The Map Run's new settings so far (UpdateMapRun), all updates together."""

    def settle(self) -> None:
        """Start units up to the limit, note those that end at once, abort the rest after a
        failure; ``done`` once nothing is left to run."""
        source = self.source
        if not self.begun:
            self.begun = True
            self._notice("RUNNING")
        while (
            self.failure is None
            and self.next_index < source.count
            and len(self.running) < source.limit
        ):
            index = self.next_index
            self.next_index = index + 1
            if index in self.outcomes:
                continue  # succeeded before a redrive
            frame, data, text = source.begin(index, self)
            unit = self._unit(index, frame)
            self.running[index] = unit
            point = self.redrive_units.pop(index, None)
            if point is not None:
                unit.redrive(point)
            else:
                unit.begin(data, text)
            if unit.ended:
                self.unit_ended(unit)
        if self.failure is not None:
            self._abort_running()
        self.done = not self.running and (
            self.failure is not None or self.next_index >= source.count
        )
        if self.done:
            self._notice("FAILED" if self.failure is not None else "SUCCEEDED")

    def _unit(self, index: int, frame: Frame) -> Unit:
        if self.source.external:
            return ChildUnit(self, index, frame)
        return self.parent.unit(self.source.machine(index), frame, self, index)

    def _notice(self, status: str) -> None:
        notice = self.source.notice(self.key, status)
        if notice is not None:
            self.parent.cursor.notice(notice)

    def unit_ended(self, unit: Unit) -> None:
        """Record how ``unit`` ended; a failure ends the fan-out unless the source tolerates it."""
        index = unit.index
        del self.running[index]
        self.source.end(index, unit.frame, unit.error, self)
        if unit.error is not None:
            self.outcomes[index] = (None, None, unit.error)
            if unit.failed_at is not None:
                self.points[index] = unit.failed_at
            if self.failure is None:
                self.failure = unit.error if self.source.tolerance is None else self._excess()
        else:
            assert unit.output is not None
            self.outcomes[index] = (unit.output.value, unit.output.text, None)

    def _excess(self) -> StatesError | None:
        """The failure that ends a fan-out that tolerates failures, once more units than it
        tolerates have failed; else None."""
        tolerance = self.source.tolerance
        failed = sum(1 for _, _, outcome_error in self.outcomes.values() if outcome_error)
        if tolerance is not None and failed > tolerance:
            return StatesExceedToleratedFailureThreshold(
                "The specified tolerated failure threshold was exceeded"
            )
        return None

    def retune(self, update: MapRunUpdated) -> None:
        """The Map Run was given new settings (UpdateMapRun): from now on at most the new
        number of units run at once (those running go on), and the failures so far are held
        against the new threshold, which ends the fan-out at once if they pass it."""
        self.update = update if self.update is None else self.update.followed_by(update)
        self.source.retune(self.update)
        if self.failure is None:
            self.failure = self._excess()
        self.settle()

    def forks(self) -> Iterator[FanOut]:
        """This fork and those running under its units, at any depth."""
        yield self
        for unit in list(self.running.values()):
            yield from unit.forks()

    def _abort_running(self) -> None:
        for index in sorted(self.running):
            unit = self.running.pop(index)
            unit.abort()
            if unit.failed_at is not None:
                self.points[index] = unit.failed_at
            self.source.abort(index, unit.frame)

    # Redrive --------------------------------------------------------------------------------

    def redrive_point(self) -> dict[str, Any]:
        """What a redrive keeps (the outputs of units that succeeded) and runs again (the
        others, from where they stopped; units never started start afresh)."""
        units = dict(self.points)
        for index, unit in self.running.items():
            point = unit.point()
            if point is not None:
                units[index] = point
        outputs = {
            str(index): text if text is not None else dumps(value)
            for index, (value, text, error) in self.outcomes.items()
            if error is None
        }
        return {"outputs": outputs, "units": {str(i): point for i, point in units.items()}}

    def prefill(self, point: dict[str, Any]) -> None:
        """Start as a redrive of ``point``: keep its outputs, rerun the rest."""
        for index_text, text in point["outputs"].items():
            self.outcomes[int(index_text)] = (loads(text), text, None)
        self.redrive_units = {int(index): unit for index, unit in point["units"].items()}

    def cancel(self) -> None:
        """Cancel the work of every running unit (the state above is aborted); no events."""
        for unit in self.running.values():
            unit.cancel()
        self.running.clear()
        self._notice("ABORTED")

    def joined(self) -> Joined:
        """The signal that ends the fork: the outputs, or the first failure by index."""
        if self.failure is not None:
            first = self.failure
            if self.source.tolerance is None:
                first = next(e for _, (_, _, e) in sorted(self.outcomes.items()) if e is not None)
            recorded = bool(getattr(first, "recorded", False))
            return Joined(self.key, None, first.error, first.cause, recorded)
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
            "points": {str(index): point for index, point in self.points.items()},
            "redrive": {str(index): point for index, point in self.redrive_units.items()},
        } | ({} if self.update is None else {"update": encode(self.update)})

    def restore(self, saved: dict[str, Any]) -> None:
        """Take the state ``checkpoint`` saved, rebuilding the running units by replay."""
        self.next_index = saved["next"]
        self.mark = saved["mark"]
        self.begun = True
        if "update" in saved:
            self.update = decode(saved["update"])
            self.source.retune(self.update)
        self.points = {int(index): point for index, point in saved["points"].items()}
        self.redrive_units = {int(index): point for index, point in saved["redrive"].items()}
        for index_text, outcome in saved["outcomes"].items():
            if "error" in outcome:
                error = StatesError(outcome["cause"], outcome["error"])
                self.outcomes[int(index_text)] = (None, None, error)
            else:
                text = outcome["output"]
                self.outcomes[int(index_text)] = (loads(text), text, None)
        for index_text, unit_saved in saved["running"].items():
            index = int(index_text)
            unit = self._unit(index, self.source.frame(index, self))
            unit.restore(unit_saved)
            self.running[index] = unit


class ChildUnit:
    """A unit run as a child execution: started with ``StartExecution``, ended by the
    ``ExecutionEnded`` its driver sends back. The parent records nothing of it."""

    def __init__(self, fork: FanOut, index: int, frame: Frame) -> None:
        self.parent: FanOut | None = fork
        self.fork = fork
        self.index = index
        self.frame = frame
        self.cursor = fork.parent.cursor
        self.key = 0
        self.ended = False
        self.output: Output | None = None
        self.error: StatesError | None = None
        self.failed_at: dict[str, Any] | None = None

    def unit(self, machine: Machine, frame: Frame, fork: FanOut, index: int) -> Unit:
        raise TypeError("a child execution has no units of its own here")

    def point(self) -> dict[str, Any]:
        return {"child": True}

    def forks(self) -> Iterator[FanOut]:
        return iter(())

    def redrive(self, point: dict[str, Any]) -> None:
        """A child execution that failed runs again as a new one (on the same input)."""
        self.begin(None, None)

    def begin(self, data: JSON, text: str | None) -> None:
        self.key = self.frame.execution.new_key()
        self.cursor.started(self.fork.source.child(self.index, self.key), self)

    def resume(self, signal: ExecutionEnded) -> None:
        self.ended = True
        if signal.status == "SUCCEEDED":
            text = signal.output or "null"
            self.output = Output(loads(text), text)
        else:
            self.error = StatesError(signal.cause or "", signal.error or "")
            self.failed_at = self.point()

    def join(self) -> None:
        raise TypeError("a child execution forks nothing here")

    def abort(self) -> None:
        self.cancel()

    def cancel(self) -> None:
        self.failed_at = self.point()
        self.cursor.cancel(self.key)
        self.ended = True

    def checkpoint(self) -> dict[str, Any]:
        return {"child": self.key}

    def restore(self, saved: dict[str, Any]) -> None:
        self.key = int(saved["child"])
        self.cursor.restored(self.fork.source.child(self.index, self.key), self, started=False)
