"""Task: hands parameters to a resource, with timeouts, retries and catchers."""

from __future__ import annotations

from collections.abc import Callable

from stepline.asl import jsonata
from stepline.asl.jsonpath import compile_path
from stepline.asl.model import Payload, TaskState
from stepline.asl.scope import JSON
from stepline.asl.templates import read_field
from stepline.runtime.dataflow import (
    jsonata_evaluator,
    result_placer,
    template_transform,
)
from stepline.runtime.effects import Routine
from stepline.runtime.entry import Entry
from stepline.runtime.resources import Invocation, resolve_resource
from stepline.runtime.retry import with_retries
from stepline.runtime.state_plan import StatePlan, Step, compile_catchers

SecondsReader = Callable[[Entry, JSON], int | None]


class TaskPlan(StatePlan):
    can_retry = True
    suspends = True

    def __init__(self, state: TaskState) -> None:
        super().__init__(state)
        self.resource = resolve_resource(state.resource)
        self.retriers = state.retry
        self.catchers = compile_catchers(state, self.is_jsonata)
        self.parameters = template_transform(state.parameters, "Parameters")
        self.result_selector = template_transform(state.result_selector, "ResultSelector")
        self.place = result_placer(state.result_path)
        self.arguments = jsonata_evaluator(state.arguments, "Arguments")
        self.timeout = self._seconds(
            state.timeout_seconds, state.timeout_seconds_path, "TimeoutSeconds"
        )
        self.heartbeat = self._seconds(
            state.heartbeat_seconds, state.heartbeat_seconds_path, "HeartbeatSeconds"
        )

    def _seconds(self, value: JSON, path_text: str | None, field: str) -> SecondsReader:
        if isinstance(value, str) and jsonata.is_expression(value):
            evaluate = jsonata_evaluator(Payload(value), field)
            assert evaluate is not None
            return lambda entry, data: int(evaluate(entry, {}))
        if value is not None:
            return lambda entry, data: int(value)
        if path_text is None:
            return lambda entry, data: None
        path = compile_path(path_text)
        return lambda entry, data: int(read_field(path, entry.scope(data), f"{field}Path"))

    def run(self, entry: Entry) -> Routine[Step]:
        data = entry.input
        if not self.is_jsonata and self.select_input is not None:
            data = self.select_input(entry, data)

        def attempt() -> Routine[JSON]:
            # Parameters are evaluated afresh for each attempt: $$.State.RetryCount changes.
            if self.is_jsonata:
                arguments = self.arguments
                parameters = arguments(entry, {}) if arguments is not None else entry.input
            else:
                parameters = self.parameters(entry, data) if self.parameters is not None else data
            invocation = Invocation(
                entry, parameters, self.timeout(entry, data), self.heartbeat(entry, data)
            )
            return (yield from self.resource.invoke(invocation))

        result = yield from with_retries(
            self.retriers, entry.frame.execution, attempt, entry.note_retry
        )
        if self.is_jsonata:
            return self.finish_jsonata(entry, result, result=result)
        if self.result_selector is not None:
            result = self.result_selector(entry, result)
        return self.finish_jsonpath(entry, result, self.place)
