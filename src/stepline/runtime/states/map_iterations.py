"""A Map state's iterations as units of a fork: one after another, concurrently, or as the
child runs of a distributed Map, each with the events AWS records around them."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from stepline.asl.errors import StatesError
from stepline.asl.jsontext import dumps
from stepline.asl.scope import JSON
from stepline.runtime.effects import MapRunNotice, MapRunUpdated, Routine, StartExecution
from stepline.runtime.entry import Entry
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


class _ChildExecutions(_Iterations):
    """A distributed Map's items, each run as a child execution of the item processor.

    Up to MaxConcurrency children run at once (AWS: 10,000 when it is not set); the run
    fails once more than ``tolerance`` children have failed, and the rest are stopped.
    UpdateMapRun changes both while the run goes on (``retune``).
    """

    external = True

    def __init__(self, entry: Entry, plan: DistributedRun, inputs: list[JSON]) -> None:
        super().__init__(entry, plan.name, plan.processor, inputs, plan.max_concurrency)
        self.defined = self.run = plan
        self.tolerance = plan.tolerance
        self.map_run_arn = plan.arn

    def retune(self, update: MapRunUpdated) -> None:
        self.run = retuned(self.defined, update, self.count)
        self.limit, self.tolerance = self.run.max_concurrency, self.run.tolerance

    def begin(self, index: int, fanout: FanOut) -> tuple[Frame, JSON, str | None]:
        return self.entry.frame, self.inputs[index], None

    def frame(self, index: int, fanout: FanOut) -> Frame:
        return self.entry.frame

    def child(self, index: int, key: int) -> StartExecution:
        run = self.run
        name = f"{run.run_id}-{index}"
        execution = self.entry.frame.execution
        if run.execution_type == "EXPRESS":
            arn = f"{run.machine_arn.replace(':stateMachine:', ':express:', 1)}:{name}:{run.run_id}"
        else:
            arn = f"{run.machine_arn.replace(':stateMachine:', ':execution:', 1)}:{name}"
        del execution
        return StartExecution(
            key,
            arn,
            name,
            run.machine_arn,
            run.definition,
            run.execution_type,
            dumps(self.inputs[index]),
            run.arn,
            index,
        )

    def notice(self, key: int, status: str) -> MapRunNotice:
        run = self.run
        return MapRunNotice(
            key,
            run.arn,
            status,
            self.count,
            run.max_concurrency_setting,
            run.tolerated_count,
            run.tolerated_percentage,
        )


@dataclass(frozen=True, slots=True)
class DistributedRun:
    """What a distributed Map's run is: its ARN and id, the child state machine (ARN and
    definition), how its children run, and how many may fail."""

    name: str
    arn: str
    run_id: str
    machine_arn: str
    definition: str
    execution_type: str
    processor: Machine
    max_concurrency: int
    max_concurrency_setting: int
    tolerance: int
    tolerated_count: int
    tolerated_percentage: float


DISTRIBUTED_CONCURRENCY = 10_000
"""AWS runs at most 10,000 child executions of a distributed Map at once by default."""


def concurrency_limit(max_concurrency: int) -> int:
    """How many children run at once under MaxConcurrency (0: AWS's default)."""
    return max_concurrency if max_concurrency > 0 else DISTRIBUTED_CONCURRENCY


def tolerated_failures(items: int, count: int, percentage: float) -> int:
    """How many of ``items`` children may fail before the Map Run fails, under
    ToleratedFailureCount ``count`` and ToleratedFailurePercentage ``percentage``."""
    return max(count, math.floor(items * percentage / 100))


def retuned(run: DistributedRun, update: MapRunUpdated, items: int) -> DistributedRun:
    """``run`` with the settings ``update`` gives (UpdateMapRun); the others as they were."""
    setting = run.max_concurrency_setting
    if update.max_concurrency is not None:
        setting = update.max_concurrency
    count = run.tolerated_count
    if update.tolerated_failure_count is not None:
        count = update.tolerated_failure_count
    percentage = run.tolerated_percentage
    if update.tolerated_failure_percentage is not None:
        percentage = update.tolerated_failure_percentage
    return replace(
        run,
        max_concurrency=concurrency_limit(setting),
        max_concurrency_setting=setting,
        tolerance=tolerated_failures(items, count, percentage),
        tolerated_count=count,
        tolerated_percentage=percentage,
    )


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


def run_distributed(entry: Entry, run: DistributedRun, inputs: list[JSON]) -> Routine[list[JSON]]:
    """The items as child executions; their outputs in item order (a tolerated failure's is
    its error and cause), or the tolerated failure threshold exceeded, raised."""
    joined = yield from fork(entry.frame.execution, _ChildExecutions(entry, run, inputs))
    if joined.outputs is None:
        failure = joined.failure()
        entry.frame.add_event("MapRunFailed", {"cause": failure.cause, "error": failure.error})
        raise failure
    return [value for value, _ in joined.outputs]
