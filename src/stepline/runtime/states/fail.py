"""Fail: stops its state machine with an error name and a cause (static, by path, or JSONata)."""

from __future__ import annotations

from collections.abc import Callable

from stepline.asl import jsonata
from stepline.asl.errors import StatesError
from stepline.asl.jsonpath import compile_path
from stepline.asl.jsontext import dumps
from stepline.asl.model import FailState, Payload
from stepline.asl.scope import JSON
from stepline.asl.templates import compile_call, read_field
from stepline.runtime.dataflow import jsonata_evaluator
from stepline.runtime.entry import Entry
from stepline.runtime.state_plan import StatePlan, Step

Reader = Callable[[Entry], JSON]


class FailPlan(StatePlan):
    emits_exit = False

    def __init__(self, state: FailState) -> None:
        super().__init__(state)
        self.read_error = self._reader(state.error, state.error_path, "Error", "ErrorPath")
        self.read_cause = self._reader(state.cause, state.cause_path, "Cause", "CausePath")

    def _reader(
        self, value: str | None, path_text: str | None, field: str, path_field: str
    ) -> Reader | None:
        if value is not None:
            if self.is_jsonata and jsonata.is_expression(value):
                evaluate = jsonata_evaluator(Payload(value), field)
                assert evaluate is not None
                return lambda entry: evaluate(entry, {})
            return lambda entry: value
        if path_text is None:
            return None
        if path_text.startswith("States."):
            call = compile_call(path_text)
            return lambda entry: call(entry.scope(entry.input))
        path = compile_path(path_text)
        return lambda entry: read_field(path, entry.scope(entry.input), path_field)

    def execute(self, entry: Entry) -> Step:
        error = self.read_error(entry) if self.read_error is not None else ""
        cause = self.read_cause(entry) if self.read_cause is not None else ""
        raise StatesError(_as_text(cause), _as_text(error))


def _as_text(value: JSON) -> str:
    return value if isinstance(value, str) else dumps(value)
