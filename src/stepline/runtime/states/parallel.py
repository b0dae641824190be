"""Parallel: runs every branch on the same input; the output is the list of their outputs."""

from __future__ import annotations

from stepline.asl.errors import StatesError
from stepline.asl.jsontext import dumps
from stepline.asl.model import ParallelState
from stepline.asl.scope import JSON
from stepline.runtime.dataflow import jsonata_evaluator, result_placer, template_transform
from stepline.runtime.effects import Routine
from stepline.runtime.entry import Entry
from stepline.runtime.fanout import FanOut
from stepline.runtime.frame import Frame
from stepline.runtime.retry import with_retries
from stepline.runtime.state_plan import (
    Machine,
    MachineCompiler,
    Output,
    StatePlan,
    Step,
    compile_catchers,
)
from stepline.runtime.states.fanout import (
    Units,
    can_wait,
    fork,
    joined_outputs,
    succeed_fanout,
)


class ParallelPlan(StatePlan):
    can_retry = True
    suspends = True

    def __init__(self, state: ParallelState, compile_machine: MachineCompiler) -> None:
        super().__init__(state)
        self.branches = tuple(compile_machine(branch) for branch in state.branches)
        self.can_wait = any(can_wait(branch) for branch in state.branches)
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
        """Branches that wait on Tasks run at once (the first failure fails the Parallel and
        aborts the others); the rest one after another."""
        count = len(self.branches)
        concurrent = self.can_wait and count > 1
        source = _Branches(entry, self.branches, data, concurrent)
        joined = yield from fork(entry.frame.execution, source)
        if concurrent:
            return joined_outputs(entry.frame, joined, "ParallelStateSucceeded")
        if joined.outputs is None:
            raise joined.failure()
        succeed_fanout(entry.frame, "ParallelStateSucceeded")
        return [Output(value, text or dumps(value)) for value, text in joined.outputs]


class _Branches(Units):
    """The branches, each on the state's input; one after another, or all at once.

    One after another, every branch starts from the ParallelStateStarted event and the
    state's Succeeded event follows the latest event any branch recorded.
    """

    def __init__(
        self, entry: Entry, branches: tuple[Machine, ...], data: JSON, concurrent: bool
    ) -> None:
        super().__init__(entry, len(branches), len(branches) if concurrent else 1)
        self.branches = branches
        self.data = data
        self.text = _given_text(entry, data)
        self.concurrent = concurrent

    def machine(self, index: int) -> Machine:
        return self.branches[index]

    def begin(self, index: int, fanout: FanOut) -> tuple[Frame, JSON, str | None]:
        return self.entry.frame.child(), self.data, self.text

    def end(self, index: int, frame: Frame, error: StatesError | None, fanout: FanOut) -> None:
        if self.concurrent:
            return
        parent = self.entry.frame
        fanout.mark = max(fanout.mark, frame.last_event_id)
        if error is not None or index == self.count - 1:
            parent.last_event_id = frame.last_event_id if error is not None else fanout.mark


def _given_text(entry: Entry, data: JSON) -> str | None:
    """The input's text as the caller wrote it, when the branches get that input unchanged.

    AWS hands such an input on as the text it received (spacing included), not re-written.
    """
    return entry.input_text if data is entry.input else None
