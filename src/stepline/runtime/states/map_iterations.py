"""A Map state's iterations as units of a fork: one after another, concurrently, or as the
child runs of a distributed Map, each with the events AWS records around them."""

from __future__ import annotations

from stepline.asl.errors import StatesError, StatesExceedToleratedFailureThreshold
from stepline.asl.scope import JSON
from stepline.runtime.effects import Routine
from stepline.runtime.entry import Entry
from stepline.runtime.events import EventLog
from stepline.runtime.fanout import FanOut
from stepline.runtime.frame import Frame
from stepline.runtime.state_plan import Machine
from stepline.runtime.states.fanout import (
    INLINE_CONCURRENCY_CEILING,
    Units,
    fork,
    joined_outputs,
    succeed_fanout,
)


class _Iterations(Units):
    def __init__(
        self, entry: Entry, name: str, processor: Machine, inputs: list[JSON], limit: int
    ) -> None:
        super().__init__(entry, len(inputs), limit)
        self.name = name
        self.processor = processor
        self.inputs = inputs

    def machine(self, index: int) -> Machine:
        return self.processor

    def details(self, index: int) -> dict[str, JSON]:
        return {"index": index, "name": self.name}


class _InOrder(_Iterations):
    """One iteration after another, linked as AWS links them for MaxConcurrency 1: each
    iteration starts from the last inner event of the one before, and the last one's
    MapIterationSucceeded is what the state's Succeeded event follows."""

    def begin(self, index: int, fanout: FanOut) -> tuple[Frame, JSON, str | None]:
        frame = self.entry.frame
        frame.add_event("MapIterationStarted", self.details(index))
        return frame.child(), self.inputs[index], None

    def end(self, index: int, frame: Frame, error: StatesError | None, fanout: FanOut) -> None:
        parent = self.entry.frame
        parent.last_event_id = frame.last_event_id
        if error is not None:
            parent.add_event("MapIterationFailed", self.details(index))
            parent.last_event_id = frame.last_event_id
            return
        parent.add_event("MapIterationSucceeded", self.details(index))
        if index < self.count - 1:
            parent.last_event_id = frame.last_event_id


class _Concurrent(_Iterations):
    """Up to ``limit`` iterations at once, each linked from MapStateStarted."""

    def begin(self, index: int, fanout: FanOut) -> tuple[Frame, JSON, str | None]:
        child = self.entry.frame.child()
        child.add_event("MapIterationStarted", self.details(index))
        return child, self.inputs[index], None

    def end(self, index: int, frame: Frame, error: StatesError | None, fanout: FanOut) -> None:
        frame.add_event(
            "MapIterationFailed" if error is not None else "MapIterationSucceeded",
            self.details(index),
        )

    def abort(self, index: int, frame: Frame) -> None:
        frame.add_event("MapIterationAborted", self.details(index))


class _Detached(_Iterations):
    """A distributed Map's child runs: each records into a history of its own, reads a copy of
    the variables, and may fail without ending the others (the Map counts failures)."""

    tolerant = True

    def begin(self, index: int, fanout: FanOut) -> tuple[Frame, JSON, str | None]:
        return self.frame(index, fanout), self.inputs[index], None

    def frame(self, index: int, fanout: FanOut) -> Frame:
        parent = self.entry.frame
        log = EventLog()
        log.replaying = True  # a child run's history is its own, not kept here
        return Frame(parent.execution, dict(parent.variables), log=log)


def run_in_order(
    entry: Entry, name: str, processor: Machine, inputs: list[JSON]
) -> Routine[list[JSON]]:
    source = _InOrder(entry, name, processor, inputs, 1)
    joined = yield from fork(entry.frame.execution, source)
    if joined.outputs is None:
        raise joined.failure()
    succeed_fanout(entry.frame, "MapStateSucceeded")
    return [value for value, _ in joined.outputs]


def run_concurrently(
    entry: Entry, name: str, processor: Machine, inputs: list[JSON], limit: int
) -> Routine[list[JSON]]:
    """Up to ``limit`` iterations at once (0: AWS's ceiling); the first failure fails the Map
    and the iterations still running are recorded as aborted."""
    ceiling = INLINE_CONCURRENCY_CEILING
    limit = min(limit, ceiling) if limit > 0 else ceiling
    source = _Concurrent(entry, name, processor, inputs, limit)
    joined = yield from fork(entry.frame.execution, source)
    return [output.value for output in joined_outputs(entry.frame, joined, "MapStateSucceeded")]


def run_distributed(
    entry: Entry, name: str, processor: Machine, inputs: list[JSON], tolerance: int
) -> Routine[list[JSON]]:
    source = _Detached(entry, name, processor, inputs, 1)
    joined = yield from fork(entry.frame.execution, source)
    assert joined.outputs is not None  # a tolerant fork never fails as a whole
    results = [value for value, _ in joined.outputs]
    failures = sum(1 for _, text in joined.outputs if text is None)
    frame = entry.frame
    if failures > tolerance or (failures and failures == len(inputs) and tolerance == 0):
        exceeded = StatesExceedToleratedFailureThreshold(
            "The specified tolerated failure threshold was exceeded"
        )
        frame.add_event("MapRunFailed", {"cause": exceeded.cause, "error": exceeded.error})
        raise exceeded
    return results
