"""A compiled state machine: the top-level definition, a Parallel branch or a Map's item
processor, as one ``StatePlan`` per state linked to its successors."""

from __future__ import annotations

from collections.abc import Callable

from stepline.asl.model import State, StateMachine
from stepline.runtime.state_plan import StatePlan

StateCompiler = Callable[[State], StatePlan]


class MachinePlan:
    """A compiled state machine: its states and where it starts.

    ``compile_state`` makes each state's plan (``stepline.runtime.states.compile_state``); it
    is passed in so that Map and Parallel, which compile machines of their own, need not
    import this module's caller.
    """

    def __init__(self, machine: StateMachine, compile_state: StateCompiler) -> None:
        self.model = machine
        self.states: dict[str, StatePlan] = {
            name: compile_state(state) for name, state in machine.states.items()
        }
        for plan in self.states.values():
            plan.link(self.states)
        self.start = self.states[machine.start_at]
