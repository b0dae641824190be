"""The durability checks can fail: each finds what it is meant to in a history made wrong."""

from __future__ import annotations

import json
from typing import Any

from stepline.runtime import FakeClock, compile_definition, run_execution
from tests.durability import workflow
from tests.durability.checks import entered_states, history_problems


def sound_history() -> list[dict[str, Any]]:
    plan = compile_definition(workflow.DEFINITION)
    given = json.dumps(workflow.execution_input(7))
    result = run_execution(plan, given, functions=workflow.functions(), clock=FakeClock())
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    return list(result.history())


def test_a_sound_history_has_no_problem_and_enters_each_top_level_state_once() -> None:
    events = sound_history()
    assert history_problems(events) == []
    assert entered_states(events, workflow.TOP_LEVEL_PATH) == list(workflow.TOP_LEVEL_PATH)


def test_the_workload_outputs_what_the_tests_expect() -> None:
    plan = compile_definition(workflow.DEFINITION)
    for number in range(6):
        result = run_execution(
            plan,
            json.dumps(workflow.execution_input(number)),
            functions=workflow.functions(),
            clock=FakeClock(),
        )
        assert result.output is not None
        assert json.loads(result.output) == workflow.expected_output(number)


def test_a_gap_in_the_ids_is_found() -> None:
    events = sound_history()
    del events[5]
    assert any("are not 1.." in problem for problem in history_problems(events))


def test_an_event_following_a_later_one_is_found() -> None:
    events = sound_history()
    events[3] = {**events[3], "previousEventId": events[3]["id"]}
    assert any("follows" in problem for problem in history_problems(events))


def test_a_second_terminal_event_is_found() -> None:
    events = sound_history()
    events.append({**events[-1], "id": len(events) + 1, "previousEventId": len(events)})
    assert any("2 terminal events" in problem for problem in history_problems(events))


def test_a_history_without_its_ending_is_found() -> None:
    events = sound_history()[:-1]
    assert any("0 terminal events" in problem for problem in history_problems(events))


def test_a_state_entered_twice_is_found() -> None:
    events = sound_history()
    entered = next(event for event in events if event["type"] == "WaitStateEntered")
    events.append(entered)
    assert entered_states(events, workflow.TOP_LEVEL_PATH) != list(workflow.TOP_LEVEL_PATH)
