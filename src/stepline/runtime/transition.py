"""The transition function: an execution moves only when ``advance`` is given a signal.

A ``Run`` is the cursor of one execution: the execution (its history so far) and the suspended
routine of its top-level state machine (``begin``), or of any routine, such as the one state
TestState runs. ``start`` runs it from its first state until
it ends or has to wait on the world; each ``advance`` hands it the signal for one effect it
awaits and runs it to the next such point. Between two calls nothing happens: a driver decides
when and how effects are carried out (in-process at once, or durably, committing the events
each call added together with the work it started). Time is whatever the execution's clock
says while a call runs; a durable driver sets it to the moment it handles the signal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from stepline.asl.errors import StatesError
from stepline.asl.scope import JSON
from stepline.runtime.effects import Cancel, Effect, Routine, Signal
from stepline.runtime.events import Json
from stepline.runtime.frame import NOT_TRUNCATED, Execution, Frame
from stepline.runtime.plan import MachinePlan

T = TypeVar("T")

Status = Literal["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]


@dataclass(frozen=True, slots=True)
class Ending:
    """How an execution ended: SUCCEEDED with its output text, or FAILED with error and cause."""

    status: Status
    output: str | None = None
    error: str | None = None
    cause: str | None = None


@dataclass
class Run(Generic[T]):
    """A routine between transitions: what it awaits, and what it returned once it has."""

    execution: Execution
    routine: Routine[T]
    outstanding: dict[int, Effect] = field(default_factory=dict)
    """The effects started and not yet answered, by key."""
    finished: bool = False
    result: T | None = None


ExecutionRun = Run[Ending]


def begin(machine: MachinePlan, frame: Frame, data: JSON, text: str | None) -> ExecutionRun:
    """A run of ``machine`` over ``data``, not yet started (``start`` runs its first steps)."""
    return Run(frame.execution, _whole(machine, frame, data, text))


def start(run: Run[T]) -> list[Effect]:
    """Run from the first state until the execution ends or awaits effects; those effects."""
    return _resume(run, None)


def advance(run: Run[T], signal: Signal) -> list[Effect]:
    """Hand the run the answer to one of its effects; the effects it starts (or cancels) next.

    A signal for a key the run does not await (a duplicate, or an answer to cancelled work)
    changes nothing.
    """
    if run.finished or run.outstanding.pop(signal.key, None) is None:
        return []
    return _resume(run, signal)


def _resume(run: Run[T], signal: Signal | None) -> list[Effect]:
    execution = run.execution
    try:
        effects = next(run.routine) if signal is None else run.routine.send(signal)
    except StopIteration as stop:
        run.finished, run.result = True, stop.value
        effects = []
    for effect in effects:
        run.outstanding[effect.key] = effect
    if execution.cancelled:
        # Only effects the driver was given need cancelling; the rest never left the run.
        dropped = [key for key in execution.cancelled if run.outstanding.pop(key, None)]
        effects = effects + [Cancel(key) for key in dropped]
        execution.cancelled.clear()
    # A routine ends only once every unit under it has ended or been aborted (and cancelled).
    assert not (run.finished and run.outstanding), run.outstanding
    return effects


def _whole(machine: MachinePlan, frame: Frame, data: JSON, text: str | None) -> Routine[Ending]:
    """The top-level machine, closed by ExecutionSucceeded or ExecutionFailed."""
    try:
        output, output_text = yield from machine.run(frame, data, text)
    except StatesError as error:
        details = {}
        if error.cause:
            details["cause"] = error.cause
        if error.error:
            details["error"] = error.error
        frame.add_event("ExecutionFailed", details)
        return Ending("FAILED", None, error.error or None, error.cause or None)
    frame.add_event(
        "ExecutionSucceeded", {"output": Json(output, output_text), "outputDetails": NOT_TRUNCATED}
    )
    return Ending("SUCCEEDED", output_text)
