"""The transition function: an execution moves one signal at a time, and only then.

Each test plays the driver's part itself: it reads the effects ``start`` and ``advance`` hand
out and answers them, so what the interpreter asks of the world, in what order and with what
keys, is asserted directly.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from stepline.runtime import FakeClock, compile_definition
from stepline.runtime.effects import (
    Cancel,
    Effect,
    InvokeFunction,
    StartTimer,
    TaskFailed,
    TaskSucceeded,
    TaskTimedOut,
    TimerFired,
)
from stepline.runtime.execution import execution_result, start_execution
from stepline.runtime.transition import ExecutionRun, advance, start

FUNCTION = "arn:aws:lambda:us-east-1:111111111111:function:work"


def task(name: str, **fields: Any) -> dict[str, Any]:
    return {name: {"Type": "Task", "Resource": FUNCTION, **fields}}


def execution_of(definition: dict[str, Any], input_text: str = "{}") -> ExecutionRun:
    return start_execution(compile_definition(definition), input_text, clock=FakeClock())


def types(run: ExecutionRun) -> list[str]:
    return [event.type for event in run.execution.log.events]


def only(effects: list[Effect], kind: type[Any]) -> Any:
    assert len(effects) == 1, effects
    assert isinstance(effects[0], kind), effects
    return effects[0]


def test_a_task_suspends_the_execution_until_its_function_answers() -> None:
    run = execution_of({"StartAt": "Call", "States": task("Call", End=True)}, '{"n": 1}')
    invoke = only(start(run), InvokeFunction)
    assert (invoke.function, invoke.payload, invoke.timeout_seconds) == (FUNCTION, {"n": 1}, None)
    assert not run.finished
    assert types(run)[-2:] == ["LambdaFunctionScheduled", "LambdaFunctionStarted"]

    assert advance(run, TaskSucceeded(invoke.key, {"n": 2})) == []
    result = execution_result(run)
    assert (result.status, result.output_value) == ("SUCCEEDED", {"n": 2})
    assert types(run)[-3:] == ["LambdaFunctionSucceeded", "TaskStateExited", "ExecutionSucceeded"]


def test_a_signal_for_a_key_the_run_does_not_await_changes_nothing() -> None:
    run = execution_of({"StartAt": "Call", "States": task("Call", End=True)})
    invoke = only(start(run), InvokeFunction)
    recorded = len(run.execution.log.events)
    assert advance(run, TaskSucceeded(invoke.key + 1, "stray")) == []
    assert len(run.execution.log.events) == recorded
    assert not run.finished
    advance(run, TaskSucceeded(invoke.key, "done"))
    assert advance(run, TaskSucceeded(invoke.key, "duplicate")) == []
    assert execution_result(run).output_value == "done"


def test_an_unfinished_run_has_no_result_yet() -> None:
    run = execution_of({"StartAt": "Call", "States": task("Call", End=True)})
    start(run)
    with pytest.raises(ValueError, match="not ended"):
        execution_result(run)


def test_a_wait_state_asks_for_a_timer_due_after_its_seconds() -> None:
    definition = {
        "StartAt": "Pause",
        "States": {"Pause": {"Type": "Wait", "Seconds": 90, "End": True}},
    }
    run = execution_of(definition)
    timer = only(start(run), StartTimer)
    assert timer.seconds == 90
    assert timer.due == run.execution.clock.now() + timedelta(seconds=90)
    assert types(run)[-1] == "WaitStateEntered"
    advance(run, TimerFired(timer.key))
    assert execution_result(run).status == "SUCCEEDED"


def test_a_retry_backs_off_on_a_timer_then_invokes_again() -> None:
    retry = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3, "MaxAttempts": 1}]
    definition = {"StartAt": "Call", "States": task("Call", Retry=retry, End=True)}
    run = execution_of(definition)
    first = only(start(run), InvokeFunction)
    backoff = only(advance(run, TaskFailed(first.key, "Boom", "it broke")), StartTimer)
    assert backoff.seconds == 3
    second = only(advance(run, TimerFired(backoff.key)), InvokeFunction)
    assert second.key not in (first.key, backoff.key)
    # The retry has had its one attempt: a second failure ends the execution.
    assert advance(run, TaskFailed(second.key, "Boom", "again")) == []
    result = execution_result(run)
    assert (result.status, result.error, result.cause) == ("FAILED", "Boom", "again")


def test_a_timed_out_function_fails_the_task_with_states_timeout() -> None:
    definition = {"StartAt": "Call", "States": task("Call", TimeoutSeconds=5, End=True)}
    run = execution_of(definition)
    invoke = only(start(run), InvokeFunction)
    assert invoke.timeout_seconds == 5
    advance(run, TaskTimedOut(invoke.key))
    assert (execution_result(run).status, execution_result(run).error) == (
        "FAILED",
        "States.Timeout",
    )
    assert "LambdaFunctionTimedOut" in types(run)


def map_of_calls(max_concurrency: int) -> dict[str, Any]:
    return {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Map",
                "MaxConcurrency": max_concurrency,
                "ItemProcessor": {"StartAt": "Call", "States": task("Call", End=True)},
                "End": True,
            }
        },
    }


def test_map_iterations_start_together_up_to_max_concurrency() -> None:
    run = execution_of(map_of_calls(2), "[10, 20, 30]")
    effects = start(run)
    assert [effect.payload for effect in effects] == [10, 20]  # type: ignore[union-attr]
    # The second iteration answers first; the third starts in its place.
    third = only(advance(run, TaskSucceeded(effects[1].key, 21)), InvokeFunction)
    assert third.payload == 30
    advance(run, TaskSucceeded(third.key, 31))
    assert not run.finished
    advance(run, TaskSucceeded(effects[0].key, 11))
    assert execution_result(run).output_value == [11, 21, 31]


def test_a_failed_iteration_aborts_the_running_ones_and_cancels_their_work() -> None:
    run = execution_of(map_of_calls(0), "[1, 2, 3]")
    first, second, third = start(run)
    effects = advance(run, TaskFailed(second.key, "Boom", "bad item"))
    assert effects == [Cancel(first.key), Cancel(third.key)]
    result = execution_result(run)
    assert (result.status, result.error) == ("FAILED", "Boom")
    recorded = types(run)
    assert recorded.count("MapIterationFailed") == 1
    assert recorded.count("MapIterationAborted") == 2
    assert recorded.count("TaskStateAborted") == 2
    assert recorded[-2:] == ["MapStateFailed", "ExecutionFailed"]
    # Answers to the cancelled work arrive late and change nothing.
    assert advance(run, TaskSucceeded(first.key, 1)) == []


def test_a_caught_branch_failure_lets_the_execution_go_on() -> None:
    def branch(name: str) -> dict[str, Any]:
        return {"StartAt": name, "States": task(name, End=True)}

    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [branch("Left"), branch("Right")],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "After"}],
                "Next": "Never",
            },
            "Never": {"Type": "Fail", "Error": "Unreachable"},
            "After": {"Type": "Pass", "End": True},
        },
    }
    run = execution_of(definition)
    left, right = start(run)
    assert advance(run, TaskFailed(left.key, "Boom", "left broke")) == [Cancel(right.key)]
    result = execution_result(run)
    assert result.status == "SUCCEEDED"
    assert result.output_value == {"Error": "Boom", "Cause": "left broke"}
    recorded = types(run)
    assert recorded.count("TaskStateAborted") == 1
    assert "ParallelStateFailed" in recorded


def answer_everything(run: ExecutionRun) -> list[tuple[Any, ...]]:
    """Answer each effect in the order given; the signals, as a durable driver journals them."""
    journal: list[tuple[Any, ...]] = []
    pending = start(run)
    while pending:
        effect = pending.pop(0)
        if isinstance(effect, InvokeFunction):
            signal: Any = TaskSucceeded(effect.key, {"echo": effect.payload})
        elif isinstance(effect, StartTimer):
            run.execution.clock.sleep(effect.seconds)
            signal = TimerFired(effect.key)
        else:
            continue
        journal.append((run.execution.clock.now(), signal))
        pending.extend(advance(run, signal))
    return journal


REPLAYED = {
    "StartAt": "Fan",
    "States": {
        "Fan": {
            "Type": "Map",
            "ItemProcessor": {
                "StartAt": "Call",
                "States": {
                    **task("Call", Next="Pause"),
                    "Pause": {"Type": "Wait", "Seconds": 5, "End": True},
                },
            },
            "Next": "Last",
        },
        **task("Last", End=True),
    },
}


def test_replaying_the_journal_of_signals_rebuilds_the_same_history() -> None:
    """What a durable driver relies on to rebuild a run after a restart: the same definition,
    input and signals (at the same times) give the same events, ids and keys."""
    plan = compile_definition(REPLAYED)
    original = start_execution(plan, "[1, 2]", clock=FakeClock(), execution_name="again")
    journal = answer_everything(original)
    assert execution_result(original).status == "SUCCEEDED"

    clock = FakeClock(original.execution.log.events[0].timestamp)
    replayed = start_execution(plan, "[1, 2]", clock=clock, execution_name="again")
    start(replayed)
    for moment, signal in journal:
        clock.advance((moment - clock.now()).total_seconds())
        advance(replayed, signal)
    assert execution_result(replayed).output == execution_result(original).output
    assert [event.to_api() for event in replayed.execution.log.events] == [
        event.to_api() for event in original.execution.log.events
    ]


def test_iterations_whose_tasks_lie_deeper_also_run_together() -> None:
    nested_parallel = {
        "StartAt": "Inner",
        "States": {
            "Inner": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "Call", "States": task("Call", End=True)}],
                "End": True,
            }
        },
    }
    definition = {
        "StartAt": "Fan",
        "States": {"Fan": {"Type": "Map", "ItemProcessor": nested_parallel, "End": True}},
    }
    run = execution_of(definition, "[1, 2]")
    assert len(start(run)) == 2

    inner_map = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "CallA", "States": task("CallA", End=True)},
                "End": True,
            }
        },
    }
    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [inner_map, {"StartAt": "CallB", "States": task("CallB", End=True)}],
                "End": True,
            }
        },
    }
    run = execution_of(definition, "[1, 2]")
    assert len(start(run)) == 3  # both iterations of the first branch, and the second branch
