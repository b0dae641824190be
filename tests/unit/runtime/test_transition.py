"""The transition function: an execution moves one signal at a time, and only then.

Each test plays the driver's part itself: it reads the effects ``start`` and ``advance`` hand
out and answers them, so what the interpreter asks of the world, in what order and with what
keys, is asserted directly.
"""

from __future__ import annotations

from typing import Any

import pytest

from stepline.runtime import FakeClock, compile_definition
from stepline.runtime.effects import (
    Cancel,
    Dispatch,
    Effect,
    StartTimer,
    TaskFailed,
    TaskHeartbeat,
    TaskStarted,
    TaskSucceeded,
    TimerFired,
)
from stepline.runtime.execution import execution_result, start_execution
from stepline.runtime.transition import ExecutionRun, SignalRefused, advance, start, stop

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
    invoke = only(start(run), Dispatch)
    assert (invoke.resource, invoke.parameters, invoke.timeout_seconds) == (
        FUNCTION,
        {"n": 1},
        None,
    )
    assert not run.finished
    assert types(run)[-1] == "LambdaFunctionScheduled"
    assert advance(run, TaskStarted(invoke.key)) == []
    assert types(run)[-1] == "LambdaFunctionStarted"

    assert advance(run, TaskSucceeded(invoke.key, {"n": 2})) == []
    result = execution_result(run)
    assert (result.status, result.output_value) == ("SUCCEEDED", {"n": 2})
    assert types(run)[-3:] == ["LambdaFunctionSucceeded", "TaskStateExited", "ExecutionSucceeded"]


def test_a_signal_for_a_key_the_run_does_not_await_changes_nothing() -> None:
    run = execution_of({"StartAt": "Call", "States": task("Call", End=True)})
    invoke = only(start(run), Dispatch)
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
    assert timer.due == run.clock.now().timestamp() + 90
    assert types(run)[-1] == "WaitStateEntered"
    advance(run, TimerFired(timer.key))
    assert execution_result(run).status == "SUCCEEDED"


def test_a_retry_backs_off_on_a_timer_then_invokes_again() -> None:
    retry = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3, "MaxAttempts": 1}]
    definition = {"StartAt": "Call", "States": task("Call", Retry=retry, End=True)}
    run = execution_of(definition)
    first = only(start(run), Dispatch)
    backoff = only(advance(run, TaskFailed(first.key, "Boom", "it broke")), StartTimer)
    assert backoff.seconds == 3
    second = only(advance(run, TimerFired(backoff.key)), Dispatch)
    assert second.key not in (first.key, backoff.key)
    # The retry has had its one attempt: a second failure ends the execution.
    assert advance(run, TaskFailed(second.key, "Boom", "again")) == []
    result = execution_result(run)
    assert (result.status, result.error, result.cause) == ("FAILED", "Boom", "again")


def test_a_timed_out_function_fails_the_task_with_states_timeout() -> None:
    definition = {"StartAt": "Call", "States": task("Call", TimeoutSeconds=5, End=True)}
    run = execution_of(definition)
    invoke = only(start(run), Dispatch)
    assert invoke.timeout_seconds == 5
    # The timeout counts from the start of the work, as a timer of the Task's own.
    timeout = only(advance(run, TaskStarted(invoke.key)), StartTimer)
    assert timeout.seconds == 5
    assert advance(run, TimerFired(timeout.key)) == [Cancel(invoke.key)]
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
    assert [effect.parameters for effect in effects] == [10, 20]  # type: ignore[union-attr]
    # The second iteration answers first; the third starts in its place.
    third = only(advance(run, TaskSucceeded(effects[1].key, 21)), Dispatch)
    assert third.parameters == 30
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


# A total transition function -------------------------------------------------------------


def test_a_signal_that_cannot_answer_its_effect_is_refused_and_changes_nothing() -> None:
    run = execution_of({"StartAt": "Call", "States": task("Call", End=True)})
    invoke = only(start(run), Dispatch)
    recorded = len(run.execution.log.events)
    with pytest.raises(SignalRefused, match="TimerFired cannot answer Dispatch"):
        advance(run, TimerFired(invoke.key))
    assert len(run.execution.log.events) == recorded
    advance(run, TaskSucceeded(invoke.key, "fine"))
    assert execution_result(run).output_value == "fine"


def test_a_result_before_its_started_signal_records_the_start_first() -> None:
    run = execution_of({"StartAt": "Call", "States": task("Call", End=True)})
    invoke = only(start(run), Dispatch)
    advance(run, TaskSucceeded(invoke.key, 1))
    assert types(run)[-5:-2] == [
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionSucceeded",
    ]


def test_a_repeated_started_signal_is_dropped() -> None:
    run = execution_of({"StartAt": "Call", "States": task("Call", End=True)})
    invoke = only(start(run), Dispatch)
    advance(run, TaskStarted(invoke.key))
    events = len(run.execution.log.events)
    assert advance(run, TaskStarted(invoke.key)) == []
    assert len(run.execution.log.events) == events


def test_heartbeats_restart_the_heartbeat_timer_and_a_missed_one_times_out() -> None:
    definition = {
        "StartAt": "Call",
        "States": task("Call", TimeoutSeconds=100, HeartbeatSeconds=10, End=True),
    }
    run = execution_of(definition)
    invoke = only(start(run), Dispatch)
    assert invoke.heartbeat_seconds == 10
    timeout, heartbeat = advance(run, TaskStarted(invoke.key))
    assert (timeout.seconds, heartbeat.seconds) == (100, 10)  # type: ignore[union-attr]
    cancelled, renewed = advance(run, TaskHeartbeat(invoke.key), now=run.execution.now + 5)
    assert cancelled == Cancel(heartbeat.key)
    assert isinstance(renewed, StartTimer)
    assert renewed.due == run.execution.now + 10
    effects = advance(run, TimerFired(renewed.key))
    assert set(effects) == {Cancel(invoke.key), Cancel(timeout.key)}
    result = execution_result(run)
    assert (result.status, result.error) == ("FAILED", "States.Timeout")
    assert types(run)[-2] == "LambdaFunctionTimedOut"


def test_work_that_ends_in_time_cancels_its_timeout() -> None:
    definition = {"StartAt": "Call", "States": task("Call", TimeoutSeconds=5, End=True)}
    run = execution_of(definition)
    invoke = only(start(run), Dispatch)
    timeout = only(advance(run, TaskStarted(invoke.key)), StartTimer)
    assert advance(run, TaskSucceeded(invoke.key, "ok")) == [Cancel(timeout.key)]
    assert execution_result(run).status == "SUCCEEDED"


def test_an_unexpected_exception_inside_a_state_fails_the_execution_with_states_runtime(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from stepline.runtime.states import pass_  # noqa: PLC0415

    def broken(self: Any, entry: Any) -> Any:
        raise ZeroDivisionError("a bug of ours")

    monkeypatch.setattr(pass_.PassPlan, "execute", broken)
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    run = execution_of(definition)
    assert start(run) == []
    result = execution_result(run)
    assert result.status == "FAILED"
    assert result.error == "States.Runtime"
    assert result.cause == (
        "An error occurred while executing the state 'P' (entered at the event id #2). "
        "Internal error: ZeroDivisionError: a bug of ours"
    )


# The lifecycle ------------------------------------------------------------------------------


def test_stop_aborts_the_execution_and_cancels_its_work() -> None:
    definition = {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "Call", "States": task("Call", End=True)},
                "End": True,
            }
        },
    }
    run = execution_of(definition, "[1, 2]")
    first, second = start(run)
    effects = stop(run, "Manual", "stopped by a test")
    assert effects == [Cancel(first.key), Cancel(second.key)]
    result = execution_result(run)
    assert (result.status, result.error, result.cause) == ("ABORTED", "Manual", "stopped by a test")
    last = run.execution.log.events[-1].to_api()
    assert last["type"] == "ExecutionAborted"
    assert last["previousEventId"] == 0
    assert last["executionAbortedEventDetails"] == {"error": "Manual", "cause": "stopped by a test"}
    assert advance(run, TaskSucceeded(first.key, 1)) == []
    assert stop(run) == []


def test_stop_without_error_or_cause_records_empty_details() -> None:
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}}
    run = execution_of(definition)
    timer = only(start(run), StartTimer)
    assert stop(run) == [Cancel(timer.key)]
    assert [event.to_api() for event in run.execution.log.events][-1][
        "executionAbortedEventDetails"
    ] == {}
    assert types(run) == ["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]


def test_the_state_machine_timeout_ends_the_execution_as_timed_out() -> None:
    definition = {
        "TimeoutSeconds": 30,
        "StartAt": "W",
        "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}},
    }
    run = execution_of(definition)
    deadline, wait = start(run)
    assert isinstance(deadline, StartTimer)
    assert (deadline.seconds, wait.seconds) == (30, 60)  # type: ignore[union-attr]
    assert advance(run, TimerFired(deadline.key)) == [Cancel(wait.key)]
    result = execution_result(run)
    assert (result.status, result.error, result.cause) == ("TIMED_OUT", "States.Timeout", None)
    last = run.execution.log.events[-1].to_api()
    assert (last["type"], last["previousEventId"]) == ("ExecutionTimedOut", 0)
    assert last["executionTimedOutEventDetails"] == {"error": "States.Timeout"}


def test_an_execution_that_ends_in_time_cancels_its_deadline() -> None:
    definition = {
        "TimeoutSeconds": 30,
        "StartAt": "W",
        "States": {"W": {"Type": "Wait", "Seconds": 10, "End": True}},
    }
    run = execution_of(definition)
    deadline, wait = start(run)
    assert advance(run, TimerFired(wait.key)) == [Cancel(deadline.key)]
    assert execution_result(run).status == "SUCCEEDED"


def test_a_history_past_the_quota_fails_the_execution_as_aws_does() -> None:
    endless = {
        "StartAt": "Again",
        "States": {
            "Again": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.never", "IsPresent": True, "Next": "Done"}],
                "Default": "Again",
            },
            "Done": {"Type": "Succeed"},
        },
    }
    run = execution_of(endless)
    assert start(run) == []
    result = execution_result(run)
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.cause == "The execution reached the maximum number of history events (25000)."
    events = run.execution.log.events
    assert len(events) == 25_000
    last = events[-1].to_api()
    assert (last["id"], last["previousEventId"], last["type"]) == (
        25_000,
        24_999,
        "ExecutionFailed",
    )
