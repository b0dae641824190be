"""Succeed: ends its state machine successfully with its (filtered) input."""

from __future__ import annotations

from stepline.asl.model import SucceedState
from stepline.runtime.entry import Entry
from stepline.runtime.state_plan import StatePlan, Step


class SucceedPlan(StatePlan):
    def __init__(self, state: SucceedState) -> None:
        super().__init__(state)

    def execute(self, entry: Entry) -> Step:
        if self.is_jsonata:
            step = self.finish_jsonata(entry, entry.input)
            return Step(step.output, None, step.assigned)
        data = entry.input
        if self.select_input is not None:
            data = self.select_input(entry, data)
        step = self.finish_jsonpath(entry, data)
        return Step(step.output, None, step.assigned)
