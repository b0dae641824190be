"""One module per ASL state type; ``compile_state`` picks the plan class for a model state."""

from __future__ import annotations

from stepline.asl.model import (
    ChoiceState,
    FailState,
    MapState,
    ParallelState,
    PassState,
    State,
    StateMachine,
    SucceedState,
    TaskState,
    WaitState,
)
from stepline.runtime.machine import MachinePlan
from stepline.runtime.state_plan import StatePlan
from stepline.runtime.states.choice import ChoicePlan
from stepline.runtime.states.fail import FailPlan
from stepline.runtime.states.map_ import MapPlan
from stepline.runtime.states.parallel import ParallelPlan
from stepline.runtime.states.pass_ import PassPlan
from stepline.runtime.states.succeed import SucceedPlan
from stepline.runtime.states.task import TaskPlan
from stepline.runtime.states.wait import WaitPlan


def compile_state(state: State) -> StatePlan:
    if isinstance(state, PassState):
        return PassPlan(state)
    if isinstance(state, ChoiceState):
        return ChoicePlan(state)
    if isinstance(state, TaskState):
        return TaskPlan(state)
    if isinstance(state, MapState):
        return MapPlan(state, compile_machine)
    if isinstance(state, ParallelState):
        return ParallelPlan(state, compile_machine)
    if isinstance(state, WaitState):
        return WaitPlan(state)
    if isinstance(state, SucceedState):
        return SucceedPlan(state)
    if isinstance(state, FailState):
        return FailPlan(state)
    raise TypeError(f"no plan for state type {state.type}")


def compile_machine(machine: StateMachine) -> MachinePlan:
    """A state machine compiled state by state."""
    return MachinePlan(machine, compile_state)
