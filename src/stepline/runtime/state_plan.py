"""What every compiled state has: ``StatePlan``, its catchers, and how an entry into it ends.

Plans are immutable after ``link``; everything that changes while an execution runs lives in
its ``Frame``, in the ``Entry`` of the state being run and, while a state waits on the world,
in the suspended routine (``stepline.runtime.effects``). ``machine_run`` runs states in order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, Protocol

from stepline.asl.errors import (
    QUERY_EVALUATION_ERROR,
    StatesDataLimitExceeded,
    StatesError,
    error_matches,
)
from stepline.asl.jsontext import dumps
from stepline.asl.model import JSONATA, Catcher, State, StateMachine
from stepline.asl.scope import JSON
from stepline.runtime.dataflow import (
    Assigner,
    ResultPlacer,
    Transform,
    assigned_variables_details,
    jsonata_assigner,
    jsonata_evaluator,
    jsonpath_assigner,
    path_selector,
    result_placer,
)
from stepline.runtime.effects import Routine
from stepline.runtime.entry import Entry
from stepline.runtime.events import Json
from stepline.runtime.frame import NOT_TRUNCATED


class Step(NamedTuple):
    """How an entry into a state ended: its output, where to go, and what it assigned.

    ``text``, when given, is the output's JSON text as AWS holds it (see ``Output``).
    """

    output: JSON
    next: StatePlan | None
    assigned: dict[str, JSON] | None = None
    text: str | None = None


class Output(NamedTuple):
    """What a state machine ended with, and its JSON text as AWS carries it along.

    AWS keeps a value's text while the value passes through states unchanged (the execution
    input as it was written, spacing included) and joins branch outputs' texts into a
    Parallel state's result; a value that is computed anew is written compactly.
    """

    value: JSON
    text: str


class StatePlan:
    """What every compiled state has.

    A state that completes at once implements ``execute``; one that may wait on the world
    (Task, Wait, Map, Parallel) sets ``suspends`` and implements the routine ``run`` instead.
    """

    emits_exit = True
    suspends = False
    can_retry = False
    """Task, Map and Parallel: their context object carries ``State.RetryCount``."""

    def __init__(self, state: State) -> None:
        self.name = state.name
        self.type = state.type
        self.model = state
        self.is_jsonata = state.query_language == JSONATA
        self.entered_type = f"{state.type}StateEntered"
        self.exited_type = f"{state.type}StateExited"
        self.next_name = state.next
        self.next: StatePlan | None = None
        # Building $$ costs a timestamp format per entry: only states that can read it pay.
        # The model's repr holds every field's text, so this errs only towards building it.
        self.uses_context = self.is_jsonata or "$$" in repr(state)
        self.catchers: tuple[CatcherPlan, ...] = ()
        self.select_input: Transform | None = None
        self.select_output: Transform | None = None
        self.assign: Assigner | None
        if self.is_jsonata:
            self.assign = jsonata_assigner(state.assign)
            self.output = jsonata_evaluator(state.output, "Output")
        else:
            self.assign = jsonpath_assigner(state.assign)
            self.select_input = path_selector(state.input_path, "InputPath")
            self.select_output = path_selector(state.output_path, "OutputPath")

    def link(self, states: Mapping[str, StatePlan]) -> None:
        """Resolve state names to plans, once the whole machine is compiled."""
        if self.next_name is not None:
            self.next = states[self.next_name]
        for catcher in self.catchers:
            catcher.target = states[catcher.next_name]

    def execute(self, entry: Entry) -> Step:
        raise NotImplementedError

    def run(self, entry: Entry) -> Routine[Step]:
        return self.execute(entry)
        yield []  # pragma: no cover - makes this a generator

    # Shared endings -------------------------------------------------------------------------

    def finish_jsonpath(
        self, entry: Entry, result: JSON, placer: ResultPlacer | None = None
    ) -> Step:
        """Assign (``$`` = result), ResultPath over the raw input, OutputPath; then go next."""
        assigned = self.assign(entry, result, {}) if self.assign is not None else None
        output = placer(entry, entry.input, result) if placer is not None else result
        if self.select_output is not None:
            output = self.select_output(entry, output)
        return Step(output, self.next, assigned)

    def finish_jsonata(self, entry: Entry, default_output: JSON, **extra: JSON) -> Step:
        """Assign and Output, both seeing the variables as they were before this state."""
        assigned = self.assign(entry, None, extra) if self.assign is not None else None
        output = self.output(entry, extra) if self.output is not None else default_output
        return Step(output, self.next, assigned)


class Machine(Protocol):
    """A compiled state machine (``stepline.runtime.machine.MachinePlan``)."""

    @property
    def start(self) -> StatePlan: ...
    @property
    def states(self) -> dict[str, StatePlan]: ...


MachineCompiler = Callable[[StateMachine], Machine]
"""Compiles a nested state machine (a Map's item processor, a Parallel branch)."""


class CatcherPlan:
    def __init__(self, catcher: Catcher, is_jsonata: bool) -> None:
        self.error_equals = catcher.error_equals
        self.next_name = catcher.next
        self.target: StatePlan | None = None
        self.is_jsonata = is_jsonata
        if is_jsonata:
            self.assign = jsonata_assigner(catcher.assign)
            self.output = jsonata_evaluator(catcher.output, "Output")
        else:
            self.assign = jsonpath_assigner(catcher.assign)
            self.place = result_placer(catcher.result_path)

    def handle(self, entry: Entry, error_output: dict[str, str]) -> Step:
        if self.is_jsonata:
            extra = {"errorOutput": error_output}
            assigned = self.assign(entry, None, extra) if self.assign is not None else None
            output = self.output(entry, extra) if self.output is not None else error_output
        else:
            assigned = self.assign(entry, error_output, {}) if self.assign is not None else None
            output = self.place(entry, entry.input, error_output)
        return Step(output, self.target, assigned)


def compile_catchers(state: Any, is_jsonata: bool) -> tuple[CatcherPlan, ...]:
    return tuple(CatcherPlan(catcher, is_jsonata) for catcher in getattr(state, "catch", ()))


def execute_state(state: StatePlan, entry: Entry) -> Step:
    """Run a state that completes at once; a caught error's step, or the error raised."""
    try:
        return state.execute(entry)
    except StatesError as error:
        return _catch(state, entry, error)
    except Exception as error:  # a fault of ours fails this execution only
        return _catch(state, entry, internal_error(entry, error))


def run_state(state: StatePlan, entry: Entry) -> Routine[Step]:
    """The routine of a state that may suspend, with its catchers applied."""
    try:
        return (yield from state.run(entry))
    except StatesError as error:
        return _catch(state, entry, error)
    except Exception as error:  # a fault of ours fails this execution only
        return _catch(state, entry, internal_error(entry, error))


def internal_error(entry: Entry, error: Exception) -> StatesError:
    """An unexpected exception inside a state, as the ``States.Runtime`` failure AWS reports
    for a fault in its own service, naming the state and its entered event."""
    return entry.runtime_error(f"Internal error: {type(error).__name__}: {error}")


def _catch(state: StatePlan, entry: Entry, error: StatesError) -> Step:
    """The step of the first catcher that takes ``error``; else ``error`` propagates."""
    entry.qualify(error)
    record_evaluation_failure(entry, error)
    for catcher in state.catchers:
        if error_matches(catcher.error_equals, error.error):
            return catcher.handle(entry, {"Error": error.error, "Cause": error.cause})
    raise error


def record_evaluation_failure(entry: Entry, error: StatesError) -> None:
    """Record AWS's EvaluationFailed event for a query evaluation error, once."""
    if error.error != QUERY_EVALUATION_ERROR or getattr(error, "recorded", False):
        return
    error.recorded = True  # type: ignore[attr-defined]
    # AWS links this event to whatever preceded the state's Entered event, not to the latter.
    frame = entry.frame
    frame.last_event_id = entry.entered_previous
    details = {"cause": error.cause, "error": error.error, "state": entry.state.name}
    location = getattr(error, "location", None)
    if location is not None:
        details["location"] = location
    frame.add_event("EvaluationFailed", details)


def checked_text(value: JSON, producer: str) -> str:
    """``value`` as JSON text, after checking it against AWS's payload quota.

    ``producer`` names the state or task resource in the error, as AWS words it.
    """
    return within_quota(dumps(value), producer)


def within_quota(text: str, producer: str) -> str:
    """``text``, after checking it against AWS's payload quota (see ``checked_text``)."""
    if len(text) > PAYLOAD_LIMIT_CHARACTERS and len(text.encode()) > PAYLOAD_LIMIT_BYTES:
        raise StatesDataLimitExceeded(
            f"The state/task '{producer}' returned a result with a size exceeding the "
            "maximum number of bytes service limit."
        )
    return text


def exited_details(name: str, step: Step, output_text: str) -> dict[str, Any]:
    details: dict[str, Any] = {
        "name": name,
        "output": Json(step.output, output_text),
        "outputDetails": NOT_TRUNCATED,
    }
    if step.assigned:
        details["assignedVariables"] = assigned_variables_details(step.assigned)
        details["assignedVariablesDetails"] = NOT_TRUNCATED
    return details


PAYLOAD_LIMIT_BYTES = 256 * 1024
# Characters are never fewer than bytes: a text this short needs no encoding to be measured.
PAYLOAD_LIMIT_CHARACTERS = PAYLOAD_LIMIT_BYTES // 4
