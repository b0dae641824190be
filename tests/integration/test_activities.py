"""Activities on the durable engine, on SQLite and on PostgreSQL: the catalog, tasks that wait
in the outbox until a worker asks for them (oldest first, never to two workers), long polls,
answers by token with AWS's errors, HeartbeatSeconds and TimeoutSeconds from the start, and
work that is never handed to Stepline's own workers, not even on recovery."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from stepline.engine import Engine
from stepline.engine.activities import ActivityAlreadyExists
from stepline.engine.errors import (
    ActivityDoesNotExist,
    InvalidArn,
    InvalidName,
    InvalidOutput,
    InvalidToken,
    TaskDoesNotExist,
    TaskTimedOut,
    ValidationException,
)
from stepline.runtime import FakeClock, FunctionRegistry

ACCOUNT = "123456789012"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:"


class Calls:
    """An in-process function that counts its calls (an activity must never reach one)."""

    def __init__(self) -> None:
        self.count = 0
        self.release = threading.Event()
        self.release.set()

    def __call__(self, event: Any, context: Any) -> Any:
        self.count += 1
        self.release.wait(timeout=30)
        return {"function": event}


@pytest.fixture
def review() -> Calls:
    return Calls()


@pytest.fixture
def engine(store_url: str, review: Calls) -> Iterator[Engine]:
    # A function named like the activity: if activity work reached Stepline's workers, it
    # would be called.
    functions = FunctionRegistry({"review": review})
    with Engine(store_url, functions=functions, clock=FakeClock(), workers=4) as running:
        running.activity_poll_seconds = 0.2
        yield running


def activity_machine(engine: Engine, activity: str, name: str = "reviews", **fields: Any) -> str:
    definition = {
        "StartAt": "Review",
        "States": {"Review": {"Type": "Task", "Resource": activity, "End": True, **fields}},
    }
    return engine.register_state_machine(name, definition)


def settle(engine: Engine) -> None:
    """Apply whatever is due now, without moving the fake clock."""
    engine.run_until_idle(max_seconds=0)


def types_of(engine: Engine, arn: str) -> list[str]:
    return [event["type"] for event in engine.get_execution_history(arn)["events"]]


def details_of(engine: Engine, arn: str, event_type: str) -> Any:
    key = event_type[0].lower() + event_type[1:] + "EventDetails"
    events = engine.get_execution_history(arn)["events"]
    (found,) = [event for event in events if event["type"] == event_type]
    return found.get(key)


# The catalog ---------------------------------------------------------------------------------


def test_activities_are_created_described_listed_and_deleted(engine: Engine) -> None:
    created = engine.create_activity("review", tags={"team": "docs"})
    arn = created["activityArn"]
    assert arn == f"arn:aws:states:us-east-1:{ACCOUNT}:activity:review"
    again = engine.create_activity("review", tags={"team": "other"})
    assert again == created  # idempotent by name; other tags change nothing, as on AWS
    assert engine.list_tags_for_resource(arn) == {"team": "docs"}
    assert engine.describe_activity(arn) == {
        "activityArn": arn,
        "name": "review",
        "creationDate": created["creationDate"],
    }
    for name in ("b", "c", "d"):
        engine.create_activity(name)
    first = engine.list_activities(max_results=3)
    assert [item["name"] for item in first["activities"]] == ["b", "c", "d"]
    second = engine.list_activities(max_results=3, next_token=first["nextToken"])
    assert [item["name"] for item in second["activities"]] == ["review"]
    assert "nextToken" not in second
    engine.delete_activity(arn)
    engine.delete_activity(arn)  # deleting what is gone is no error
    with pytest.raises(ActivityDoesNotExist) as missing:
        engine.describe_activity(arn)
    assert missing.value.message == f"Activity Does Not Exist: '{arn}'"
    assert engine.list_tags_for_resource is not None
    assert len(engine.list_activities()["activities"]) == 3


def test_the_catalog_refuses_what_aws_refuses(engine: Engine) -> None:
    with pytest.raises(InvalidName) as invalid:
        engine.create_activity("activity name")
    assert invalid.value.message == "Invalid Name: 'activity name'"
    with pytest.raises(InvalidArn) as prefix:
        engine.describe_activity("no_an_activity_arn")
    assert prefix.value.message == "Invalid Arn: 'Invalid ARN prefix: no_an_activity_arn'"
    with pytest.raises(InvalidArn):
        engine.delete_activity(f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:review")
    with pytest.raises(ValidationException):
        engine.list_activities(max_results=1001)
    with pytest.raises(InvalidToken):
        engine.list_activities(next_token="garbage")
    with pytest.raises(ActivityDoesNotExist):
        engine.get_activity_task(f"arn:aws:states:us-east-1:{ACCOUNT}:activity:nowhere")


def test_the_encryption_configuration_is_kept_and_cannot_be_changed(engine: Engine) -> None:
    key = {"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "alias/mine"}
    arn = engine.create_activity("secret", encryption=key)["activityArn"]
    assert engine.describe_activity(arn)["encryptionConfiguration"] == key
    assert engine.create_activity("secret")["activityArn"] == arn
    with pytest.raises(ActivityAlreadyExists):
        engine.create_activity("secret", encryption={"type": "AWS_OWNED_KEY"})
    with pytest.raises(ValidationException):
        engine.create_activity("odd", encryption={"type": "ROT13"})


# Workers -------------------------------------------------------------------------------------


def test_a_worker_takes_the_task_and_its_answer_ends_it(engine: Engine, review: Calls) -> None:
    activity = engine.create_activity("review")["activityArn"]
    arn = engine.start_execution(activity_machine(engine, activity), '{"doc": 7}')
    engine.run_until_idle()
    assert engine.describe_execution(arn)["status"] == "RUNNING"
    record = engine.store.execution(arn)
    assert record is not None
    assert record.owner is None  # it awaits nothing this node runs: any node may advance it
    (queued,) = engine.store.tasks([record.id])
    assert (queued.taken_at, queued.worker_name) == (None, None)
    task = engine.get_activity_task(activity, "reviewer-1", timeout=0)
    assert task["input"] == '{"doc":7}'
    assert engine.get_activity_task(activity, "reviewer-2", timeout=0) == {}
    (taken,) = engine.store.tasks([record.id])
    assert taken.worker_name == "reviewer-1"
    settle(engine)
    assert details_of(engine, arn, "ActivityStarted") == {"workerName": "reviewer-1"}
    engine.send_task_success(task["taskToken"], '{"approved": true}')
    settle(engine)
    described = engine.describe_execution(arn)
    assert (described["status"], json.loads(described["output"])) == (
        "SUCCEEDED",
        {"approved": True},
    )
    assert types_of(engine, arn)[2:5] == [
        "ActivityScheduled",
        "ActivityStarted",
        "ActivitySucceeded",
    ]
    assert review.count == 0
    assert engine.workers.in_flight == 0
    assert engine.check_replay(arn) is None
    with pytest.raises(TaskTimedOut) as late:
        engine.send_task_failure(task["taskToken"], "Late", "after the end")
    assert late.value.message == "Task Timed Out: 'Provided task does not exist anymore'"


def test_a_worker_failure_fails_the_execution_with_the_workers_error(engine: Engine) -> None:
    activity = engine.create_activity("review")["activityArn"]
    arn = engine.start_execution(activity_machine(engine, activity), '{"doc": 8}')
    settle(engine)
    task = engine.get_activity_task(activity, "w", timeout=0)
    engine.send_task_failure(task["taskToken"], "Programmatic Error", task["input"])
    settle(engine)
    described = engine.describe_execution(arn)
    assert (described["status"], described["error"], described["cause"]) == (
        "FAILED",
        "Programmatic Error",
        '{"doc":8}',
    )
    assert details_of(engine, arn, "ActivityFailed") == {
        "cause": '{"doc":8}',
        "error": "Programmatic Error",
    }


def test_the_oldest_task_is_handed_out_first(engine: Engine) -> None:
    activity = engine.create_activity("review")["activityArn"]
    machine = activity_machine(engine, activity)
    older = engine.start_execution(machine, '{"n": 1}', name="older")
    settle(engine)
    engine.clock.advance(1)  # type: ignore[attr-defined]
    engine.start_execution(machine, '{"n": 2}', name="newer")
    settle(engine)
    first = engine.get_activity_task(activity, "w", timeout=0)
    assert first["input"] == '{"n":1}'
    second = engine.get_activity_task(activity, "w", timeout=0)
    assert second["input"] == '{"n":2}'
    engine.send_task_success(first["taskToken"], '"one"')
    settle(engine)
    assert engine.describe_execution(older)["status"] == "SUCCEEDED"


def test_two_pollers_never_get_the_same_task(engine: Engine) -> None:
    activity = engine.create_activity("review")["activityArn"]
    machine = activity_machine(engine, activity)
    engine.start_executions(machine, [json.dumps({"n": n}) for n in range(12)])
    settle(engine)

    def drain(worker: str) -> list[str]:
        taken = []
        while task := engine.get_activity_task(activity, worker, timeout=0):
            taken.append(task["taskToken"])
        return taken

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(drain, [f"w{n}" for n in range(4)]))
    tokens = [token for taken in results for token in taken]
    assert len(tokens) == 12
    assert len(set(tokens)) == 12


def test_a_heartbeat_restarts_the_heartbeat_clock_and_a_missed_one_times_out(
    engine: Engine,
) -> None:
    activity = engine.create_activity("review")["activityArn"]
    machine = activity_machine(engine, activity, HeartbeatSeconds=10, TimeoutSeconds=100)
    arn = engine.start_execution(machine, "{}")
    settle(engine)
    task = engine.get_activity_task(activity, "w", timeout=0)
    settle(engine)
    clock: FakeClock = engine.clock  # type: ignore[assignment]
    for _ in range(3):  # 24 seconds in all, never 10 without a heartbeat
        clock.advance(8)
        settle(engine)
        engine.send_task_heartbeat(task["taskToken"])
        settle(engine)
    assert engine.describe_execution(arn)["status"] == "RUNNING"
    clock.advance(10)
    settle(engine)
    described = engine.describe_execution(arn)
    assert (described["status"], described["error"]) == ("FAILED", "States.Timeout")
    assert types_of(engine, arn)[-2:] == ["ActivityTimedOut", "ExecutionFailed"]
    assert details_of(engine, arn, "ActivityTimedOut") == {"error": "States.Timeout"}
    with pytest.raises(TaskTimedOut):
        engine.send_task_heartbeat(task["taskToken"])
    with pytest.raises(TaskTimedOut):
        engine.send_task_success(task["taskToken"], "{}")


def test_the_timeout_counts_from_when_a_worker_takes_the_task(engine: Engine) -> None:
    activity = engine.create_activity("review")["activityArn"]
    arn = engine.start_execution(activity_machine(engine, activity, TimeoutSeconds=5), "{}")
    settle(engine)
    clock: FakeClock = engine.clock  # type: ignore[assignment]
    clock.advance(3600)  # nobody asks for an hour: the task waits (AWS: ActivityScheduled)
    settle(engine)
    assert types_of(engine, arn)[-1] == "ActivityScheduled"
    engine.get_activity_task(activity, "late", timeout=0)
    settle(engine)
    clock.advance(4)
    settle(engine)
    assert engine.describe_execution(arn)["status"] == "RUNNING"
    clock.advance(1)
    settle(engine)
    assert types_of(engine, arn)[-3:] == ["ActivityStarted", "ActivityTimedOut", "ExecutionFailed"]


def test_answers_are_refused_as_aws_refuses_them(engine: Engine) -> None:
    activity = engine.create_activity("review")["activityArn"]
    arn = engine.start_execution(activity_machine(engine, activity), "{}")
    settle(engine)
    token = engine.get_activity_task(activity, "w", timeout=0)["taskToken"]
    with pytest.raises(ValidationException) as large:
        engine.send_task_success(token, json.dumps("x" * 262_143))  # 262,145 bytes quoted
    assert large.value.message == (
        "1 validation error detected: Value at 'output' failed to satisfy constraint: Member "
        "must have size less than or equal to 262144 bytes in UTF-8 encoding"
    )
    with pytest.raises(ValidationException, match="Value at 'cause'"):
        engine.send_task_failure(token, "E", "c" * 32_769)
    with pytest.raises(InvalidOutput):
        engine.send_task_success(token, "{not json")
    with pytest.raises(InvalidToken) as invalid:
        engine.send_task_success("not-a-token", "{}")
    assert invalid.value.message == "Invalid Token: 'Invalid token'"
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(InvalidToken):  # the execution's, but not a digest it made
        engine.send_task_heartbeat(forged)
    engine.send_task_success(token, json.dumps("x" * 262_000))
    settle(engine)
    assert engine.describe_execution(arn)["status"] == "SUCCEEDED"


def test_a_token_of_an_execution_that_is_not_here_is_task_does_not_exist(engine: Engine) -> None:
    from stepline.runtime.effects import task_token  # noqa: PLC0415

    class Elsewhere:
        execution_arn = f"arn:aws:states:us-east-1:{ACCOUNT}:execution:m:gone"
        seed = b"0" * 16

    token = task_token(Elsewhere(), 3)  # type: ignore[arg-type]
    with pytest.raises(TaskDoesNotExist):
        engine.send_task_success(token, "{}")


# Long polls ----------------------------------------------------------------------------------


@pytest.fixture
def service(store_url: str, review: Calls) -> Iterator[Engine]:
    functions = FunctionRegistry({"review": review})
    with Engine(store_url, functions=functions, poll_seconds=0.05, workers=4) as running:
        running.start()
        yield running


def test_a_waiting_poll_gets_the_task_an_execution_queues_later(service: Engine) -> None:
    activity = service.create_activity("review")["activityArn"]
    machine = activity_machine(service, activity)
    began = time.monotonic()
    answer = service.begin_get_activity_task(activity, "patient", timeout=10)
    assert not answer.done()
    assert len(service._activity_polls()) == 1
    arn = service.start_execution(machine, '{"later": true}')
    task = answer.result(timeout=10)
    assert time.monotonic() - began < 5
    assert task["input"] == '{"later":true}'
    service.send_task_success(task["taskToken"], '"done"')
    assert service.wait(arn, timeout=10)["status"] == "SUCCEEDED"
    assert details_of(service, arn, "ActivityStarted") == {"workerName": "patient"}


def test_a_poll_with_nothing_to_do_answers_empty_when_its_time_is_up(service: Engine) -> None:
    activity = service.create_activity("review")["activityArn"]
    began = time.monotonic()
    assert service.get_activity_task(activity, "idle", timeout=0.3) == {}
    assert 0.25 < time.monotonic() - began < 3
    polls = [service.begin_get_activity_task(activity, f"w{n}", timeout=0.3) for n in range(3)]
    assert [poll.result(timeout=5) for poll in polls] == [{}, {}, {}]


def test_a_cancelled_poll_is_not_given_a_task(service: Engine) -> None:
    activity = service.create_activity("review")["activityArn"]
    gone = service.begin_get_activity_task(activity, "gone", timeout=10)
    waiting = service.begin_get_activity_task(activity, "waiting", timeout=10)
    assert gone.cancel()
    service.start_execution(activity_machine(service, activity), "{}")
    assert waiting.result(timeout=10)["taskToken"]


def test_a_poll_on_another_node_finds_the_task(postgres_url: str) -> None:
    """PostgreSQL: a task queued by one node is found by a poll waiting on another."""
    with (
        Engine(postgres_url, node="runs", poll_seconds=0.05) as runs,
        Engine(postgres_url, node="polls", poll_seconds=0.05) as polls,
    ):
        runs.start()
        activity = polls.create_activity("review")["activityArn"]
        machine = activity_machine(runs, activity)
        answer = polls.begin_get_activity_task(activity, "remote", timeout=10)
        arn = runs.start_execution(machine, "{}")
        task = answer.result(timeout=10)
        polls.send_task_success(task["taskToken"], '"from afar"')
        assert runs.wait(arn, timeout=10)["status"] == "SUCCEEDED"


# Recovery ------------------------------------------------------------------------------------


def test_activity_work_is_not_dispatched_again_on_recovery(store_url: str) -> None:
    """A node dies while an execution awaits both an in-process function and an activity: the
    next node dispatches the function's work again, and leaves the activity's in the outbox."""
    work, review = Calls(), Calls()
    work.release.clear()
    functions = FunctionRegistry({"work": work, "review": review})
    first = Engine(store_url, functions=functions, clock=FakeClock(), node="a", lease_seconds=0.5)
    activity = first.create_activity("review")["activityArn"]
    branch = {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": activity, "End": True}}}
    call = {
        "StartAt": "C",
        "States": {"C": {"Type": "Task", "Resource": FUNCTION + "work", "End": True}},
    }
    definition = {
        "StartAt": "Both",
        "States": {"Both": {"Type": "Parallel", "Branches": [call, branch], "End": True}},
    }
    arn = first.start_execution(first.register_state_machine("both", definition), '{"n": 1}')
    first.step()
    deadline = time.monotonic() + 10
    while work.count == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    first.workers.close()  # the node dies without a word
    first.store.close()
    if first._lock_file is not None:
        first._lock_file.close()
    time.sleep(0.6)
    work.release.set()
    second = Engine(store_url, functions=functions, clock=FakeClock(), node="b", lease_seconds=0.5)
    try:
        second.run_until_idle(max_seconds=0)
        assert work.count == 2  # dispatched again
        assert review.count == 0  # never: the activity's task waits for a worker
        task = second.get_activity_task(activity, "w", timeout=0)
        second.send_task_success(task["taskToken"], '"reviewed"')
        second.run_until_idle(max_seconds=0)
        described = second.describe_execution(arn)
        assert (described["status"], json.loads(described["output"])) == (
            "SUCCEEDED",
            [{"function": {"n": 1}}, "reviewed"],
        )
    finally:
        second.close()
