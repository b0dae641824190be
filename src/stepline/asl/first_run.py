"""How much a state machine's first run can do before it waits.

An execution starts by running states one after another until one must wait on the world (a
Task's work, a Wait's time) or it ends. The states that never wait are Pass, Choice, Succeed
and Fail; Map and Parallel may hold any number of states inside. ``states_before_waiting``
bounds that first run by reading the definition alone: a server may then run a start where
the request arrived when the bound is small, knowing it cannot stall there.
"""

from __future__ import annotations

from stepline.asl.model import ChoiceState, State, StateMachine

RUN_THROUGH = frozenset({"Pass", "Choice", "Succeed", "Fail"})
"""States that end at once, leading on to another state or to the execution's end."""
WAITS = frozenset({"Task", "Wait"})
"""States whose first run asks the world for something and waits for its answer."""


def states_before_waiting(machine: StateMachine, limit: int) -> int | None:
    """The most states an execution can enter before its first wait or its end, when that is
    at most ``limit``; None when it is more, or has no bound (a loop of states that never
    wait, or a Map or Parallel on the way)."""
    longest: dict[str, int] = {}
    on_path: set[str] = set()

    def through(name: str) -> int | None:
        if name in longest:
            return longest[name]
        state = machine.states[name]
        if state.type in WAITS:
            return 1
        if state.type not in RUN_THROUGH or name in on_path or len(on_path) >= limit:
            return None
        on_path.add(name)
        after = 0
        for following in _successors(state):
            count = through(following)
            if count is None:
                return None
            after = max(after, count)
        on_path.discard(name)
        if after + 1 > limit:
            return None
        longest[name] = after + 1
        return after + 1

    return through(machine.start_at)


def _successors(state: State) -> list[str]:
    if isinstance(state, ChoiceState):
        names = [rule.next for rule in state.choices if rule.next is not None]
        return names + ([state.default] if state.default is not None else [])
    return [state.next] if state.next is not None else []
