"""How many states a start's first run may enter before it waits (``asl.first_run``)."""

from __future__ import annotations

from typing import Any

from stepline.asl.definitions import parse_state_machine
from stepline.asl.first_run import states_before_waiting

TASK = "arn:aws:lambda:us-east-1:123456789012:function:work"


def bound(states: dict[str, Any], limit: int = 100, start: str = "A") -> int | None:
    model, diagnostics = parse_state_machine({"StartAt": start, "States": states})
    assert model is not None, diagnostics
    return states_before_waiting(model, limit)


def chain(length: int, end: dict[str, Any] | None = None) -> dict[str, Any]:
    """Pass states S0 → S1 → ... → S<length-1>, the last ending (or going on to ``end``)."""
    states: dict[str, Any] = {
        f"S{n}": {"Type": "Pass", "Next": f"S{n + 1}"} for n in range(length - 1)
    }
    states[f"S{length - 1}"] = (
        {"Type": "Pass", "Next": "End"} if end else {"Type": "Pass", "End": True}
    )
    if end:
        states["End"] = end
    return states


def test_a_chain_of_passes_is_as_long_as_it_is() -> None:
    assert bound(chain(10), start="S0") == 10


def test_a_task_or_a_wait_ends_the_first_run_and_counts_as_entered() -> None:
    assert bound(chain(3, {"Type": "Task", "Resource": TASK, "End": True}), start="S0") == 4
    assert bound(chain(3, {"Type": "Wait", "Seconds": 5, "End": True}), start="S0") == 4


def test_the_longest_branch_of_a_choice_counts() -> None:
    states = {
        "A": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "Long1"}],
            "Default": "Done",
        },
        "Long1": {"Type": "Pass", "Next": "Long2"},
        "Long2": {"Type": "Pass", "Next": "Done"},
        "Done": {"Type": "Succeed"},
    }
    assert bound(states) == 4


def test_a_loop_of_states_that_never_wait_has_no_bound() -> None:
    states = {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.done", "IsPresent": True, "Next": "Done"}],
            "Default": "A",
        },
        "Done": {"Type": "Succeed"},
    }
    assert bound(states) is None


def test_a_loop_through_a_wait_is_bounded_by_the_wait() -> None:
    states = {
        "A": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.done", "IsPresent": True, "Next": "Done"}],
            "Default": "W",
        },
        "W": {"Type": "Wait", "Seconds": 1, "Next": "A"},
        "Done": {"Type": "Succeed"},
    }
    assert bound(states) == 2


def test_a_map_or_a_parallel_on_the_way_has_no_bound() -> None:
    inner = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    assert bound({"A": {"Type": "Parallel", "Branches": [inner], "End": True}}) is None
    assert bound({"A": {"Type": "Map", "ItemProcessor": inner, "End": True}}) is None


def test_past_the_limit_there_is_no_bound() -> None:
    assert bound(chain(100), limit=100, start="S0") == 100
    assert bound(chain(101), limit=100, start="S0") is None
    assert bound(chain(5000), limit=100, start="S0") is None  # no deep recursion either
