"""Choice: picks the next state from the first rule that matches, else the Default."""

from __future__ import annotations

from collections.abc import Callable

from stepline.asl import jsonata
from stepline.asl.choice import compile_choice_rule
from stepline.asl.errors import StatesError, StatesNoChoiceMatched
from stepline.asl.jsontext import dumps
from stepline.asl.model import ChoiceRule, ChoiceState, State
from stepline.asl.scope import JSON
from stepline.runtime.dataflow import query_error
from stepline.runtime.entry import Entry
from stepline.runtime.state_plan import StatePlan, Step

Condition = Callable[[Entry, JSON], bool]


class _Branch(StatePlan):
    """A matching rule behaves like a tiny state: its own Next, Assign and Output."""

    def __init__(self, owner: ChoiceState, rule: ChoiceRule, condition: Condition) -> None:
        stand_in = State(
            name=owner.name,
            type=owner.type,
            query_language=owner.query_language,
            next=rule.next,
            input_path="$",
            output_path=owner.output_path,
            assign=rule.assign,
            output=rule.output,
        )
        super().__init__(stand_in)
        self.condition = condition


class ChoicePlan(StatePlan):
    def __init__(self, state: ChoiceState) -> None:
        super().__init__(state)
        self.next_name = state.default
        self.branches = tuple(
            _Branch(state, rule, self._compile_condition(rule)) for rule in state.choices
        )

    def _compile_condition(self, rule: ChoiceRule) -> Condition:
        if rule.condition is None:
            predicate = compile_choice_rule(rule)
            return lambda entry, data: predicate(entry.scope(data))
        if not jsonata.is_expression(rule.condition):
            constant = rule.condition
            return lambda entry, data: bool(constant)
        expression = jsonata.compile_expression(rule.condition)

        def condition(entry: Entry, data: JSON) -> bool:
            try:
                value = expression.evaluate(entry.states(), entry.variables, entry.frame.execution)
            except jsonata.JsonataEvaluationError as error:
                raise query_error(entry, error, "Condition") from None
            if not isinstance(value, bool):
                raise StatesError(
                    f"{entry.prefix()}The JSONata expression '{rule.condition[2:-2].strip()}' "
                    f"specified for the field 'Condition' returned an unexpected result type. "
                    f"Expected 'boolean', but was '{type(value).__name__}' for value: "
                    f"{dumps(value)}",
                    "States.QueryEvaluationError",
                )
            return value

        return condition

    def link(self, states: dict[str, StatePlan]) -> None:  # type: ignore[override]
        super().link(states)
        for branch in self.branches:
            branch.link(states)

    def execute(self, entry: Entry) -> Step:
        data = entry.input
        if self.select_input is not None:
            data = self.select_input(entry, data)
        for branch in self.branches:
            if branch.condition(entry, data):
                return self._leave(branch, entry, data)
        if self.next is None:
            raise StatesNoChoiceMatched(
                f"No Matches! at the Choice state '{self.name}' (entered at the event id #"
                f"{entry.entered_id})."
            )
        return self._leave(self, entry, data)

    @staticmethod
    def _leave(via: StatePlan, entry: Entry, data: JSON) -> Step:
        if via.is_jsonata:
            return via.finish_jsonata(entry, entry.input)
        return via.finish_jsonpath(entry, data)
