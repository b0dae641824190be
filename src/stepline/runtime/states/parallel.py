"""Parallel: runs every branch on the same input; the output is the list of their outputs."""

from __future__ import annotations

from stepline.asl.errors import StatesError
from stepline.asl.model import ParallelState
from stepline.asl.scope import JSON
from stepline.runtime.dataflow import jsonata_evaluator, result_placer, template_transform
from stepline.runtime.effects import Routine
from stepline.runtime.entry import Entry
from stepline.runtime.events import Json
from stepline.runtime.frame import Frame
from stepline.runtime.plan import MachinePlan, Output, StatePlan, Step, compile_catchers
from stepline.runtime.retry import with_retries
from stepline.runtime.states.fanout import (
    Outcome,
    abort_running_state,
    collect_outcomes,
    contains_tasks,
    run_concurrently,
    succeed_fanout,
)


class ParallelPlan(StatePlan):
    can_retry = True
    suspends = True

    def __init__(self, state: ParallelState) -> None:
        super().__init__(state)
        self.branches = tuple(MachinePlan(branch) for branch in state.branches)
        self.waits_on_tasks = any(contains_tasks(branch) for branch in state.branches)
        self.retriers = state.retry
        self.catchers = compile_catchers(state, self.is_jsonata)
        self.parameters = template_transform(state.parameters, "Parameters")
        self.arguments = jsonata_evaluator(state.arguments, "Arguments")
        self.result_selector = template_transform(state.result_selector, "ResultSelector")
        self.place = result_placer(state.result_path)

    def run(self, entry: Entry) -> Routine[Step]:
        if self.is_jsonata:
            data = self.arguments(entry, {}) if self.arguments is not None else entry.input
        else:
            data = entry.input
            if self.select_input is not None:
                data = self.select_input(entry, data)
            if self.parameters is not None:
                data = self.parameters(entry, data)

        def attempt() -> Routine[list[Output]]:
            entry.frame.add_event("ParallelStateStarted")
            return (yield from self._run_branches(entry, data))

        try:
            outputs = yield from with_retries(self.retriers, entry.frame.execution, attempt)
        except StatesError:
            entry.frame.add_event("ParallelStateFailed")
            raise
        results = [output.value for output in outputs]
        if self.is_jsonata:
            step = self.finish_jsonata(entry, results, result=results)
        elif self.result_selector is not None:
            step = self.finish_jsonpath(entry, self.result_selector(entry, results), self.place)
        else:
            step = self.finish_jsonpath(entry, results, self.place)
        if step.output is results:
            # The branches' outputs kept as they are: AWS joins their texts.
            step = step._replace(text="[" + ",".join(output.text for output in outputs) + "]")
        return step

    def _run_branches(self, entry: Entry, data: JSON) -> Routine[list[Output]]:
        if self.waits_on_tasks and len(self.branches) > 1:
            return (yield from self._run_branches_concurrently(entry, data))
        frame = entry.frame
        start = frame.last_event_id
        results: list[Output] = []
        tip = start
        text = _given_text(entry, data)
        for branch in self.branches:
            child = frame.child()
            child.last_event_id = start
            try:
                results.append((yield from branch.run(child, data, text)))
            except StatesError:
                frame.last_event_id = child.last_event_id
                raise
            tip = max(tip, child.last_event_id)
        frame.last_event_id = tip
        succeed_fanout(frame, "ParallelStateSucceeded")
        return results

    def _run_branches_concurrently(self, entry: Entry, data: JSON) -> Routine[list[Output]]:
        """Every branch at once (they wait on Tasks); the first failure fails the Parallel."""
        frame = entry.frame
        text = _given_text(entry, data)
        children: dict[int, Frame] = {}

        def branch(index: int) -> Routine[Outcome]:
            child = children[index] = frame.child()
            try:
                return Outcome((yield from self.branches[index].run(child, data, text)))
            except StatesError as error:
                return Outcome(error=error)

        def abort(index: int) -> None:
            abort_running_state(children[index])

        count = len(self.branches)
        outcomes = yield from run_concurrently(frame.execution, count, count, branch, abort)
        return collect_outcomes(frame, outcomes, "ParallelStateSucceeded")


def _given_text(entry: Entry, data: JSON) -> str | None:
    """The input's text as the caller wrote it, when the branches get that input unchanged.

    AWS hands such an input on as the text it received (spacing included), not re-written.
    """
    if data is not entry.input:
        return None
    details = entry.frame.execution.log.events[entry.entered_id - 1].details or {}
    given = details.get("input")
    return given.text if isinstance(given, Json) else None
