"""Pass: hands its input (or Result, or Parameters) on, optionally reshaped."""

from __future__ import annotations

from stepline.asl.model import PassState
from stepline.runtime.dataflow import result_placer, template_transform
from stepline.runtime.entry import Entry
from stepline.runtime.state_plan import StatePlan, Step


class PassPlan(StatePlan):
    def __init__(self, state: PassState) -> None:
        super().__init__(state)
        self.parameters = template_transform(state.parameters, "Parameters")
        self.result = state.result.value if state.result is not None else None
        self.has_result = state.result is not None
        self.place = result_placer(state.result_path)

    def execute(self, entry: Entry) -> Step:
        if self.is_jsonata:
            return self.finish_jsonata(entry, entry.input)
        data = entry.input
        if self.select_input is not None:
            data = self.select_input(entry, data)
        if self.parameters is not None:
            data = self.parameters(entry, data)
        # A Pass state's work is to produce its Result: when it has one, that is the result
        # whatever Parameters made of the input (as AWS's TestState recordings show).
        result = self.result if self.has_result else data
        return self.finish_jsonpath(entry, result, self.place)
