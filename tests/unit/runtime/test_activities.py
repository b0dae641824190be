"""Tasks whose Resource is an activity: the events AWS records (ActivityScheduled, Started with
the worker's name, Succeeded, Failed, TimedOut), timeouts counted from the start, heartbeats
restarting their clock, and the same run rebuilt from its checkpoint."""

from __future__ import annotations

import json
from typing import Any

from stepline.runtime import FakeClock, checkpoint, compile_definition, resume
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
    decode,
    encode,
    parse_task_token,
    task_digest,
)
from stepline.runtime.execution import execution_result, start_execution
from stepline.runtime.resources import Activity, is_activity, resolve_resource
from stepline.runtime.transition import ExecutionRun, advance, start

ACTIVITY = "arn:aws:states:us-east-1:111111111111:activity:review"


def activity_task(**fields: Any) -> dict[str, Any]:
    return {"StartAt": "Review", "States": {"Review": {"Type": "Task", "Resource": ACTIVITY,
                                                       "End": True, **fields}}}  # fmt: skip


def execution_of(definition: dict[str, Any], input_text: str = '{"doc": 7}') -> ExecutionRun:
    return start_execution(compile_definition(definition), input_text, clock=FakeClock())


def only(effects: list[Effect], kind: type[Any]) -> Any:
    assert len(effects) == 1, effects
    assert isinstance(effects[0], kind), effects
    return effects[0]


def history(run: ExecutionRun) -> list[dict[str, Any]]:
    return [event.to_api() for event in run.execution.log.events]


def details(run: ExecutionRun, event_type: str) -> Any:
    (found,) = [event for event in history(run) if event["type"] == event_type]
    key = event_type[0].lower() + event_type[1:] + "EventDetails"
    return found.get(key)


def test_activity_arns_resolve_to_activities_and_nothing_else_does() -> None:
    assert isinstance(resolve_resource(ACTIVITY), Activity)
    assert is_activity(ACTIVITY)
    assert is_activity("arn:aws-cn:states:cn-north-1:111111111111:activity:a-b_c.d")
    for other in (
        "arn:aws:lambda:us-east-1:111111111111:function:review",
        "arn:aws:states:::lambda:invoke",
        "arn:aws:states:us-east-1:111111111111:stateMachine:review",
        "arn:aws:states:us-east-1:111111111111:activity:",
        "arn:aws:states:us-east-1:111111111111:activity:a:b",
    ):
        assert not is_activity(other), other


def test_an_activity_task_records_awss_events_with_the_workers_name() -> None:
    run = execution_of(activity_task())
    work = only(start(run), Dispatch)
    assert (work.resource, work.parameters) == (ACTIVITY, {"doc": 7})
    assert details(run, "ActivityScheduled") == {
        "input": '{"doc":7}',
        "inputDetails": {"truncated": False},
        "resource": ACTIVITY,
    }
    assert advance(run, TaskStarted(work.key, "reviewer-1")) == []
    assert details(run, "ActivityStarted") == {"workerName": "reviewer-1"}
    assert advance(run, TaskSucceeded(work.key, {"approved": True})) == []
    result = execution_result(run)
    assert (result.status, result.output_value) == ("SUCCEEDED", {"approved": True})
    assert details(run, "ActivitySucceeded") == {
        "output": '{"approved":true}',
        "outputDetails": {"truncated": False},
    }
    assert [event["type"] for event in history(run)] == [
        "ExecutionStarted",
        "TaskStateEntered",
        "ActivityScheduled",
        "ActivityStarted",
        "ActivitySucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    assert [(event["id"], event["previousEventId"]) for event in history(run)][2:5] == [
        (3, 2),
        (4, 3),
        (5, 4),
    ]


def test_scheduled_carries_the_timeouts_only_when_set() -> None:
    run = execution_of(activity_task(TimeoutSeconds=60, HeartbeatSeconds=10))
    start(run)
    assert details(run, "ActivityScheduled") == {
        "heartbeatInSeconds": 10,
        "input": '{"doc":7}',
        "inputDetails": {"truncated": False},
        "resource": ACTIVITY,
        "timeoutInSeconds": 60,
    }


def test_a_worker_without_a_name_starts_the_task_with_empty_details() -> None:
    run = execution_of(activity_task())
    work = only(start(run), Dispatch)
    advance(run, TaskStarted(work.key))
    assert details(run, "ActivityStarted") == {}


def test_a_failure_records_activity_failed_and_fails_the_execution_with_it() -> None:
    run = execution_of(activity_task())
    work = only(start(run), Dispatch)
    advance(run, TaskStarted(work.key, "w"))
    advance(run, TaskFailed(work.key, "Programmatic Error", '{"doc":7}'))
    assert details(run, "ActivityFailed") == {"cause": '{"doc":7}', "error": "Programmatic Error"}
    result = execution_result(run)
    assert (result.status, result.error, result.cause) == (
        "FAILED",
        "Programmatic Error",
        '{"doc":7}',
    )
    assert [event["type"] for event in history(run)][-2:] == ["ActivityFailed", "ExecutionFailed"]


def test_a_failure_without_error_or_cause_leaves_them_out() -> None:
    run = execution_of(activity_task())
    work = only(start(run), Dispatch)
    advance(run, TaskStarted(work.key, "w"))
    advance(run, TaskFailed(work.key, "", ""))
    assert details(run, "ActivityFailed") == {}


def test_a_failure_can_be_caught() -> None:
    catch = [{"ErrorEquals": ["Rejected"], "ResultPath": "$.why", "Next": "Done"}]
    definition = activity_task(Catch=catch)
    definition["States"]["Done"] = {"Type": "Pass", "End": True}
    del definition["States"]["Review"]["End"]
    definition["States"]["Review"]["Next"] = "Done"
    run = execution_of(definition)
    work = only(start(run), Dispatch)
    advance(run, TaskStarted(work.key, "w"))
    advance(run, TaskFailed(work.key, "Rejected", "too long"))
    assert execution_result(run).output_value == {
        "doc": 7,
        "why": {"Error": "Rejected", "Cause": "too long"},
    }


def test_timeouts_count_from_the_start_not_from_the_schedule() -> None:
    """A task no worker takes waits (AWS: only the execution's own TimeoutSeconds ends it)."""
    run = execution_of(activity_task(TimeoutSeconds=5))
    work = only(start(run), Dispatch)
    assert work.timeout_seconds == 5
    assert [event["type"] for event in history(run)][-1] == "ActivityScheduled"
    later = run.execution.now + 3600
    timeout = only(advance(run, TaskStarted(work.key, "late"), now=later), StartTimer)
    assert (timeout.seconds, timeout.due) == (5, later + 5)
    assert advance(run, TimerFired(timeout.key), now=later + 5) == [Cancel(work.key)]
    assert details(run, "ActivityTimedOut") == {"error": "States.Timeout"}
    result = execution_result(run)
    assert (result.status, result.error, result.cause) == ("FAILED", "States.Timeout", None)
    assert [event["type"] for event in history(run)][-4:] == [
        "ActivityScheduled",
        "ActivityStarted",
        "ActivityTimedOut",
        "ExecutionFailed",
    ]


def test_heartbeats_restart_the_heartbeat_clock_and_a_missed_one_times_out() -> None:
    run = execution_of(activity_task(TimeoutSeconds=100, HeartbeatSeconds=10))
    work = only(start(run), Dispatch)
    timeout, heartbeat = advance(run, TaskStarted(work.key, "w"))
    assert (timeout.seconds, heartbeat.seconds) == (100, 10)  # type: ignore[union-attr]
    now = run.execution.now
    cancelled, renewed = advance(run, TaskHeartbeat(work.key), now=now + 8)
    assert cancelled == Cancel(heartbeat.key)
    assert isinstance(renewed, StartTimer)
    assert renewed.due == now + 18
    recorded = len(history(run))
    assert recorded == 4  # a heartbeat records nothing
    effects = advance(run, TimerFired(renewed.key), now=now + 18)
    assert set(effects) == {Cancel(work.key), Cancel(timeout.key)}
    assert details(run, "ActivityTimedOut") == {"error": "States.Timeout"}
    assert execution_result(run).error == "States.Timeout"


def test_a_timeout_is_retried_like_any_states_timeout() -> None:
    retry = [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 1}]
    run = execution_of(activity_task(TimeoutSeconds=5, Retry=retry))
    first = only(start(run), Dispatch)
    timeout = only(advance(run, TaskStarted(first.key, "w")), StartTimer)
    effects = advance(run, TimerFired(timeout.key))
    backoff = next(effect for effect in effects if isinstance(effect, StartTimer))
    second = only(advance(run, TimerFired(backoff.key)), Dispatch)
    assert second.key != first.key
    assert [event["type"] for event in history(run)].count("ActivityScheduled") == 2


def test_the_worker_name_survives_a_rebuild_from_the_checkpoint() -> None:
    plan = compile_definition(activity_task(HeartbeatSeconds=10))
    run = start_execution(plan, '{"doc": 7}', clock=FakeClock())
    work = only(start(run), Dispatch)
    advance(run, TaskStarted(work.key, "reviewer-2"))
    events = [event.to_api() for event in run.execution.log.drain()]
    rebuilt = resume(plan, json.loads(json.dumps(checkpoint(run))), clock=FakeClock())
    advance(rebuilt, TaskSucceeded(work.key, "ok"))
    events += [event.to_api() for event in rebuilt.execution.log.drain()]
    started = next(event for event in events if event["type"] == "ActivityStarted")
    assert started["activityStartedEventDetails"] == {"workerName": "reviewer-2"}
    assert execution_result(rebuilt).output_value == "ok"


def test_task_started_carries_its_worker_through_encoding() -> None:
    signal = TaskStarted(3, "w-9")
    assert decode(json.loads(json.dumps(encode(signal)))) == signal
    assert decode({"type": "TaskStarted", "key": 3}) == TaskStarted(3)  # journals of before


def test_every_token_parses_back_whatever_bytes_its_digest_holds() -> None:
    """A digest is binary: one holding "#" must not be taken for a separator."""
    plan = compile_definition(activity_task())
    with_hash = 0
    for number in range(200):
        run = start_execution(plan, "{}", clock=FakeClock(), execution_name=f"e{number}")
        work = only(start(run), Dispatch)
        parsed = parse_task_token(work.token)
        assert parsed is not None
        arn, key, digest = parsed
        assert (arn, key) == (run.execution.execution_arn, work.key)
        assert digest == task_digest(arn, key, run.execution.seed)
        with_hash += b"#" in digest
    assert with_hash > 0  # the case that once broke parsing was met
    assert parse_task_token("not-a-token") is None
    assert parse_task_token("") is None
