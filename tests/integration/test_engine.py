"""The durable engine through its Python API, on SQLite and on PostgreSQL: executions run to
their end across steps, histories read back from the store, the lifecycle (stop, timeout,
redrive), distributed Maps as child executions, Express executions, answers from outside,
and an execution whose stored state cannot be read failing alone."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from stepline.engine import (
    Engine,
    EngineError,
    ExecutionAlreadyExists,
    ExecutionDoesNotExist,
    ExecutionNotRedrivable,
    InvalidDefinition,
    InvalidExecutionInput,
    InvalidToken,
    StateMachineDoesNotExist,
    StateMachineTypeNotSupported,
)
from stepline.engine.errors import TaskTimedOut
from stepline.runtime import FakeClock, FunctionRegistry
from stepline.store import Claim, NewWakeup, StoreError, Wakeup

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:"


def double(event: Any, context: Any) -> Any:
    if isinstance(event, dict) and event.get("fail"):
        raise ValueError("asked to fail")
    return event["n"] * 2 if isinstance(event, dict) else event


class Switch:
    """A function that fails until it is told not to."""

    def __init__(self) -> None:
        self.failing = True

    def __call__(self, event: Any, context: Any) -> Any:
        if self.failing:
            raise RuntimeError("not yet")
        return {"done": event}


@pytest.fixture
def switch() -> Switch:
    return Switch()


@pytest.fixture
def engine(store_url: str, switch: Switch) -> Iterator[Engine]:
    functions = FunctionRegistry({"double": double, "switch": switch})
    with Engine(store_url, functions=functions, clock=FakeClock(), workers=4) as running:
        yield running


def task(name: str, function: str = "double", **fields: Any) -> dict[str, Any]:
    return {name: {"Type": "Task", "Resource": FUNCTION + function, **fields}}


PASS_ONLY = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def waiting(seconds: int, **fields: Any) -> dict[str, Any]:
    return {
        **fields,
        "StartAt": "W",
        "States": {"W": {"Type": "Wait", "Seconds": seconds, "End": True}},
    }


def events_of(engine: Engine, arn: str) -> list[dict[str, Any]]:
    return list(engine.get_execution_history(arn, max_results=1000)["events"])


def types_of(engine: Engine, arn: str) -> list[str]:
    return [event["type"] for event in events_of(engine, arn)]


def assert_contiguous(events: list[dict[str, Any]]) -> None:
    assert [event["id"] for event in events] == list(range(1, len(events) + 1))
    assert all(event["previousEventId"] < event["id"] for event in events)


WORKFLOW = {
    "StartAt": "Fan",
    "States": {
        "Fan": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemProcessor": {
                "StartAt": "Nap",
                "States": {
                    "Nap": {"Type": "Wait", "Seconds": 30, "Next": "Call"},
                    **task("Call", End=True),
                },
            },
            "ResultPath": "$.doubled",
            "Next": "Later",
        },
        "Later": {"Type": "Wait", "Seconds": 3600, "Next": "Sum"},
        "Sum": {
            "Type": "Pass",
            "Parameters": {"total.$": "States.ArrayLength($.doubled)", "doubled.$": "$.doubled"},
            "End": True,
        },
    },
}


def test_an_execution_runs_across_steps_and_its_history_is_read_back(engine: Engine) -> None:
    machine = engine.register_state_machine("orders", WORKFLOW)
    arn = engine.start_execution(machine, json.dumps({"items": [{"n": 1}, {"n": 2}]}), name="o1")
    assert engine.describe_execution(arn)["status"] == "RUNNING"
    engine.run_until_idle()
    described = engine.describe_execution(arn)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"total": 2, "doubled": [2, 4]}
    assert (described["stopDate"] - described["startDate"]).total_seconds() == 3630
    events = events_of(engine, arn)
    assert_contiguous(events)
    assert [event["type"] for event in events].count("ExecutionSucceeded") == 1
    assert engine.check_replay(arn) is None


def test_a_run_rebuilt_from_its_checkpoint_at_every_step_ends_the_same(store_url: str) -> None:
    functions = FunctionRegistry({"double": double})
    with Engine(store_url, functions=functions, clock=FakeClock(), cache_size=0) as engine:
        machine = engine.register_state_machine("orders", WORKFLOW)
        arn = engine.start_execution(machine, json.dumps({"items": [{"n": 3}]}))
        engine.run_until_idle()
        assert json.loads(engine.describe_execution(arn)["output"])["doubled"] == [6]
        assert engine.check_replay(arn) is None


def test_history_pages_forwards_and_backwards_with_or_without_data(engine: Engine) -> None:
    machine = engine.register_state_machine("orders", WORKFLOW)
    arn = engine.start_execution(machine, json.dumps({"items": [{"n": 1}]}))
    engine.run_until_idle()
    everything = events_of(engine, arn)
    first = engine.get_execution_history(arn, max_results=5)
    assert [event["id"] for event in first["events"]] == [1, 2, 3, 4, 5]
    rest = engine.get_execution_history(arn, max_results=1000, next_token=first["nextToken"])
    assert "nextToken" not in rest
    assert first["events"] + rest["events"] == everything
    backwards = engine.get_execution_history(arn, reverse_order=True, max_results=3)
    assert [event["id"] for event in backwards["events"]] == [
        len(everything),
        len(everything) - 1,
        len(everything) - 2,
    ]
    lean = engine.get_execution_history(arn, include_execution_data=False)["events"]
    assert "input" not in lean[0]["executionStartedEventDetails"]
    assert "roleArn" in lean[0]["executionStartedEventDetails"]


def test_executions_are_listed_newest_first_by_status_and_in_pages(engine: Engine) -> None:
    machine = engine.register_state_machine(
        "quick", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    )
    arns = [engine.start_execution(machine, "{}", name=f"run-{n}") for n in range(5)]
    engine.run_until_idle()
    slow = engine.register_state_machine("slow", waiting(5))
    engine.start_execution(slow, "{}")
    page = engine.list_executions(machine, max_results=3)
    assert [item["executionArn"] for item in page["executions"]] == arns[::-1][:3]
    second = engine.list_executions(machine, max_results=3, next_token=page["nextToken"])
    assert [item["executionArn"] for item in second["executions"]] == arns[::-1][3:]
    running = engine.list_executions(slow, status_filter="RUNNING")["executions"]
    assert [item["status"] for item in running] == ["RUNNING"]
    assert engine.list_executions(slow, status_filter="SUCCEEDED")["executions"] == []


def test_requests_the_engine_refuses(engine: Engine) -> None:
    broken = {"StartAt": "Nowhere", "States": {"P": {"Type": "Pass", "Next": "Gone"}}}
    with pytest.raises(InvalidDefinition, match="MISSING_TRANSITION_TARGET"):
        engine.register_state_machine("bad", broken)
    missing = "arn:aws:states:us-east-1:123456789012:stateMachine:missing"
    with pytest.raises(StateMachineDoesNotExist):
        engine.start_execution(missing, "{}")
    machine = engine.register_state_machine("quick", PASS_ONLY)
    with pytest.raises(InvalidExecutionInput):
        engine.start_execution(machine, "{not json")
    engine.start_execution(machine, "{}", name="once")
    with pytest.raises(ExecutionAlreadyExists):
        engine.start_execution(machine, '{"other": 1}', name="once")
    with pytest.raises(ExecutionDoesNotExist):
        engine.describe_execution(machine.replace(":stateMachine:", ":execution:") + ":nope")
    with pytest.raises(StateMachineTypeNotSupported):
        engine.start_sync_execution(machine, "{}")
    with pytest.raises(InvalidToken):  # AWS: a token it did not make is invalid
        engine.send_task_success("not-a-token", "{}")


# The lifecycle -------------------------------------------------------------------------------


def test_stop_aborts_a_waiting_execution_and_drops_its_timer(engine: Engine) -> None:
    machine = engine.register_state_machine("waits", waiting(600))
    arn = engine.start_execution(machine, "{}")
    engine.step()
    engine.stop_execution(arn, error="Manual", cause="a test stopped it")
    engine.run_until_idle()
    described = engine.describe_execution(arn)
    assert (described["status"], described["error"], described["cause"]) == (
        "ABORTED",
        "Manual",
        "a test stopped it",
    )
    assert types_of(engine, arn) == ["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]
    assert engine.store.next_due() is None  # the Wait's timer is gone
    assert described["redriveStatus"] == "REDRIVABLE"


def test_the_state_machine_timeout_ends_the_execution(engine: Engine) -> None:
    machine = engine.register_state_machine("late", waiting(600, TimeoutSeconds=60))
    arn = engine.start_execution(machine, "{}")
    engine.run_until_idle()
    described = engine.describe_execution(arn)
    assert (described["status"], described["error"]) == ("TIMED_OUT", "States.Timeout")
    assert (described["stopDate"] - described["startDate"]).total_seconds() == 60


def test_a_failed_execution_is_redriven_from_the_failed_task(
    engine: Engine, switch: Switch
) -> None:
    definition = {
        "StartAt": "First",
        "States": {**task("First", Next="Flaky"), **task("Flaky", "switch", End=True)},
    }
    arn = engine.start_execution(engine.register_state_machine("flaky", definition), '{"n": 4}')
    engine.run_until_idle()
    assert engine.describe_execution(arn)["status"] == "FAILED"
    switch.failing = False
    engine.redrive_execution(arn)
    engine.run_until_idle()
    described = engine.describe_execution(arn)
    assert (described["status"], described["redriveCount"]) == ("SUCCEEDED", 1)
    assert json.loads(described["output"]) == {"done": 8}
    types = types_of(engine, arn)
    assert types.count("ExecutionRedriven") == 1
    assert types.count("LambdaFunctionSucceeded") == 2  # First ran once, Flaky once more
    with pytest.raises(ExecutionNotRedrivable, match="SUCCEEDED"):
        engine.redrive_execution(arn)
    assert engine.check_replay(arn) is None


# Distributed Maps ----------------------------------------------------------------------------


def distributed(execution_type: str, **fields: Any) -> dict[str, Any]:
    return {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type},
                    "StartAt": "Nap",
                    "States": {
                        "Nap": {"Type": "Wait", "Seconds": 5, "Next": "Call"},
                        **task("Call", End=True),
                    },
                },
                **fields,
                "End": True,
            }
        },
    }


@pytest.mark.parametrize("execution_type", ["STANDARD", "EXPRESS"])
def test_a_distributed_map_runs_its_items_as_child_executions(
    engine: Engine, execution_type: str
) -> None:
    machine = engine.register_state_machine("fan", distributed(execution_type, MaxConcurrency=2))
    items = [{"n": 1}, {"n": 2}, {"n": 3}]
    arn = engine.start_execution(machine, json.dumps(items))
    engine.run_until_idle()
    described = engine.describe_execution(arn)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == [2, 4, 6]
    assert types_of(engine, arn)[-5:-1] == [
        "MapRunStarted",
        "MapRunSucceeded",
        "MapStateSucceeded",
        "MapStateExited",
    ]
    (run,) = engine.list_map_runs(arn)["mapRuns"]
    summary = engine.describe_map_run(run["mapRunArn"])
    assert summary["status"] == "SUCCEEDED"
    assert summary["maxConcurrency"] == 2
    assert summary["executionCounts"]["succeeded"] == 3
    assert summary["itemCounts"]["total"] == 3
    children = engine.store.executions(map_run_arn=run["mapRunArn"])
    assert {child.type for child in children} == {execution_type}
    # Two children at once: the third started when the first ones had ended.
    assert sorted(child.start_date for child in children)[-1] > min(c.start_date for c in children)
    assert engine.check_replay(arn) is None


def test_a_distributed_map_fails_past_its_tolerated_failures_and_stops_the_rest(
    engine: Engine,
) -> None:
    definition = distributed("STANDARD", ToleratedFailureCount=1, MaxConcurrency=3)
    machine = engine.register_state_machine("fragile", definition)
    items = [{"n": 1, "fail": True}, {"n": 2, "fail": True}, {"n": 3}, {"n": 4}, {"n": 5}]
    arn = engine.start_execution(machine, json.dumps(items))
    engine.run_until_idle()
    described = engine.describe_execution(arn)
    assert (described["status"], described["error"]) == (
        "FAILED",
        "States.ExceedToleratedFailureThreshold",
    )
    (run,) = engine.list_map_runs(arn)["mapRuns"]
    counts = engine.describe_map_run(run["mapRunArn"])["executionCounts"]
    # The first failure is tolerated (another child may start in its place); the second is
    # one too many: children still running are stopped, those not started never are. How
    # many of the others had started, or ended, by then depends on the children's timing.
    assert counts["failed"] == 2
    assert counts["running"] == 0
    assert counts["succeeded"] + counts["aborted"] + counts["pending"] == 3
    assert counts["total"] == 5
    assert engine.describe_map_run(run["mapRunArn"])["status"] == "FAILED"


# Express executions --------------------------------------------------------------------------

EXPRESS = {
    "StartAt": "Call",
    "States": {**task("Call", Next="Check"), "Check": {"Type": "Pass", "End": True}},
}


def test_an_asynchronous_express_execution_runs_in_memory_and_keeps_its_history(
    engine: Engine,
) -> None:
    machine = engine.register_state_machine("fast", EXPRESS, type="EXPRESS")
    arn = engine.start_execution(machine, '{"n": 21}')
    assert ":express:" in arn
    engine.run_until_idle()
    described = engine.describe_execution(arn)
    assert (described["status"], described["output"]) == ("SUCCEEDED", "42")
    assert types_of(engine, arn)[-1] == "ExecutionSucceeded"
    assert "redriveStatus" not in described


def test_express_histories_follow_the_logging_level_and_expire(store_url: str) -> None:
    clock = FakeClock()
    functions = FunctionRegistry({"double": double})
    with Engine(store_url, functions=functions, clock=clock, express_history_seconds=60) as engine:
        errors_only = engine.register_state_machine(
            "quiet", EXPRESS, type="EXPRESS", logging_level="ERROR"
        )
        arn = engine.start_execution(errors_only, '{"n": 1}')
        engine.run_until_idle()
        assert types_of(engine, arn) == []
        failing = engine.start_execution(errors_only, '{"n": 1, "fail": true}')
        engine.run_until_idle()
        assert types_of(engine, failing) == ["LambdaFunctionFailed", "ExecutionFailed"]
        clock.advance(61)
        engine.lease_seconds = 0.0  # housekeeping at the next step
        engine.step()
        with pytest.raises(ExecutionDoesNotExist):
            engine.describe_execution(arn)


def test_a_synchronous_express_execution_answers_its_caller(engine: Engine) -> None:
    machine = engine.register_state_machine("fast", EXPRESS, type="EXPRESS", logging_level="ALL")
    engine.start()
    result = engine.start_sync_execution(machine, '{"n": 5}', timeout=30)
    assert (result.status, result.output) == ("SUCCEEDED", "10")
    failed = engine.start_sync_execution(machine, '{"fail": true, "n": 1}', timeout=30)
    assert (failed.status, failed.error) == ("FAILED", "ValueError")
    # Written before its caller was answered: its history is there at once.
    assert engine.describe_execution(result.execution_arn)["status"] == "SUCCEEDED"
    assert types_of(engine, result.execution_arn)[-1] == "ExecutionSucceeded"
    assert types_of(engine, failed.execution_arn)[-1] == "ExecutionFailed"


@pytest.mark.parametrize(
    ("level", "kept"),
    [
        (None, None),
        ("OFF", None),
        ("FATAL", ["ExecutionFailed"]),
        ("ERROR", ["LambdaFunctionFailed", "ExecutionFailed"]),
    ],
)
def test_a_synchronous_express_execution_keeps_what_its_logging_level_asks(
    engine: Engine, level: str | None, kept: list[str] | None
) -> None:
    """AWS keeps nothing of a synchronous Express execution but the logs its logging
    configuration asks for: with none (or OFF), nothing of it is written at all."""
    machine = engine.register_state_machine("fast", EXPRESS, type="EXPRESS", logging_level=level)
    engine.start()
    succeeded = engine.start_sync_execution(machine, '{"n": 5}', timeout=30)
    failed = engine.start_sync_execution(machine, '{"fail": true, "n": 1}', timeout=30)
    assert (succeeded.status, failed.status) == ("SUCCEEDED", "FAILED")
    if kept is None:
        assert engine.store.count_executions() == 0
        with pytest.raises(ExecutionDoesNotExist):
            engine.describe_execution(failed.execution_arn)
    else:
        assert types_of(engine, succeeded.execution_arn) == []
        assert types_of(engine, failed.execution_arn) == kept
        assert engine.describe_execution(failed.execution_arn)["error"] == "ValueError"


def test_an_express_execution_ends_after_five_minutes(engine: Engine) -> None:
    machine = engine.register_state_machine("long", waiting(3600), type="EXPRESS")
    arn = engine.start_execution(machine, "{}")
    engine.run_until_idle()
    described = engine.describe_execution(arn)
    assert (described["status"], described["error"]) == ("TIMED_OUT", "States.Timeout")
    assert (described["stopDate"] - described["startDate"]).total_seconds() == 300


# Answers from outside, and what is broken ----------------------------------------------------


def test_an_answer_sent_with_the_task_token_ends_the_task_and_a_late_duplicate_is_ignored(
    store_url: str,
) -> None:
    release = threading.Event()

    def slow(event: Any, context: Any) -> Any:
        release.wait(timeout=30)
        return "from the function"

    functions = FunctionRegistry({"slow": slow})
    with Engine(store_url, functions=functions, clock=FakeClock()) as engine:
        definition = {"StartAt": "T", "States": task("T", "slow", End=True)}
        machine = engine.register_state_machine("callback", definition)
        arn = engine.start_execution(machine, "{}")
        engine.step()
        record = engine.store.execution(arn)
        assert record is not None
        (work,) = engine.store.tasks([record.id])
        engine.send_task_heartbeat(work.token)
        engine.send_task_success(work.token, '"from outside"')
        engine.step()
        release.set()
        engine.run_until_idle()
        described = engine.describe_execution(arn)
        assert (described["status"], described["output"]) == ("SUCCEEDED", '"from outside"')
        with pytest.raises(TaskTimedOut):  # AWS: the task of that token is closed
            engine.send_task_failure(work.token, "Late", "too late")


def test_an_execution_whose_state_cannot_be_read_fails_alone(engine: Engine) -> None:
    machine = engine.register_state_machine("waits", waiting(10))
    broken = engine.start_execution(machine, "{}")
    healthy = engine.start_execution(machine, "{}")
    engine.step()
    record = engine.store.execution(broken)
    assert record is not None
    with engine.store.transaction() as cursor:
        cursor.execute(
            engine.store.sql("UPDATE executions SET checkpoint = ? WHERE id = ?"),
            ('{"version": 1, "garbage": true}', record.id),
        )
    engine.loop.cache.drop(record.id)
    engine.run_until_idle()
    failed = engine.describe_execution(broken)
    assert failed["status"] == "FAILED"
    assert failed["error"] == "States.Runtime"
    assert failed["cause"].startswith("Stepline could not read this execution's saved state")
    assert engine.describe_execution(healthy)["status"] == "SUCCEEDED"
    assert_contiguous(events_of(engine, broken))


def test_one_sqlite_file_serves_one_node(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path}/one.db"
    with Engine(url, clock=FakeClock()), pytest.raises(EngineError, match="another Stepline node"):
        Engine(url, clock=FakeClock())


@pytest.mark.parametrize("execution_type", ["STANDARD", "EXPRESS"])
def test_stopping_a_parent_stops_its_running_children(engine: Engine, execution_type: str) -> None:
    definition = distributed(execution_type)
    definition["States"]["Each"]["ItemProcessor"]["States"]["Nap"]["Seconds"] = 100
    machine = engine.register_state_machine("fan", definition)
    arn = engine.start_execution(machine, json.dumps([{"n": 1}, {"n": 2}]))
    for _ in range(5):
        engine.step()
    engine.stop_execution(arn, error="Enough")
    engine.run_until_idle()
    assert engine.describe_execution(arn)["status"] == "ABORTED"
    (run,) = engine.list_map_runs(arn)["mapRuns"]
    described = engine.describe_map_run(run["mapRunArn"])
    assert described["status"] == "ABORTED"
    assert described["executionCounts"]["aborted"] == 2
    assert described["executionCounts"]["running"] == 0


def test_jittered_back_offs_run_to_the_end_on_a_fake_clock(store_url: str) -> None:
    """A jittered back-off is due at a time with more digits than a fake clock's
    microseconds: run_until_idle must still get past it."""

    def failing(event: Any, context: Any) -> Any:
        raise RuntimeError("always")

    retry = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3, "MaxAttempts": 4,
              "BackoffRate": 1.7, "JitterStrategy": "FULL"}]  # fmt: skip
    definition = {"StartAt": "T", "States": task("T", "failing", Retry=retry, End=True)}
    functions = FunctionRegistry({"failing": failing})
    with Engine(store_url, functions=functions, clock=FakeClock()) as engine:
        machine = engine.register_state_machine("jitter", definition)
        arns = engine.start_executions(machine, ["{}"] * 20)
        runner = threading.Thread(target=engine.run_until_idle, daemon=True)
        runner.start()
        runner.join(timeout=60)
        assert not runner.is_alive(), "run_until_idle is stuck on a back-off"
        assert {engine.describe_execution(arn)["status"] for arn in arns} == {"FAILED"}


# A start this node owns from the beginning ---------------------------------------------------

PASSING = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


def test_a_start_on_a_running_node_is_stepped_before_it_is_answered(engine: Engine) -> None:
    """A one-state execution has ended, history and all, when StartExecution returns: its
    start was applied and committed with the execution (ADR 0011)."""
    machine = engine.register_state_machine("stepped", PASSING)
    engine.start()
    arn = engine.start_execution(machine, '{"a": 1}')
    described = engine.describe_execution(arn)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"a": 1}
    assert types_of(engine, arn) == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    assert engine.store.next_due() is None  # no start wake-up was left behind
    assert engine.check_replay(arn) is None  # the start is in the journal


def _double_on_a_running_node(engine: Engine, name: str, n: int) -> str:
    """Start a one-Task execution (``double``) with the loop running; its ARN once it ended."""
    definition = json.dumps({"StartAt": "T", "States": task("T", End=True)})
    machine = engine.register_state_machine(name, definition)
    engine.start()
    arn = engine.start_execution(machine, json.dumps({"n": n}))
    assert engine.wait(arn, timeout=30)["status"] == "SUCCEEDED"
    assert json.loads(engine.describe_execution(arn)["output"]) == 2 * n
    return arn


def test_a_stepped_start_that_awaits_work_has_it_dispatched_once(
    engine: Engine,
) -> None:
    arn = _double_on_a_running_node(engine, "stepped-task", 21)
    types = types_of(engine, arn)
    assert types.count("LambdaFunctionScheduled") == 1
    assert types.count("LambdaFunctionSucceeded") == 1
    assert_contiguous(events_of(engine, arn))
    assert engine.check_replay(arn) is None


def test_a_stepped_start_that_waits_wakes_at_its_timer_not_at_the_poll(store_url: str) -> None:
    """The timer its first step set is seen at once (the loop is nudged), although the loop
    would not look at the store again for a minute."""
    with Engine(store_url, poll_seconds=60) as engine:
        machine = engine.register_state_machine("stepped-wait", waiting(1))
        engine.start()
        time.sleep(0.2)  # the loop has made its first poll: the next is a minute away
        arn = engine.start_execution(machine, "{}")
        record = engine.store.execution(arn)
        assert record is not None
        assert record.owner is None  # awaiting a timer only: any node may wake it
        assert engine.wait(arn, timeout=20)["status"] == "SUCCEEDED"
        assert types_of(engine, arn).count("WaitStateEntered") == 1


def test_a_start_that_begins_child_executions_is_handed_to_the_loop(store_url: str) -> None:
    fan = distributed("STANDARD")
    processor = fan["States"]["Each"]["ItemProcessor"]
    processor["StartAt"], processor["States"] = "Call", task("Call", End=True)
    functions = FunctionRegistry({"double": double})
    with Engine(store_url, functions=functions) as engine:
        machine = engine.register_state_machine("stepped-fan", fan)
        engine.start()
        arn = engine.start_execution(machine, json.dumps([{"n": 1}, {"n": 2}]))
        assert engine.wait(arn, timeout=30)["status"] == "SUCCEEDED"
        assert json.loads(engine.describe_execution(arn)["output"]) == [2, 4]
        assert types_of(engine, arn).count("MapRunStarted") == 1
        assert_contiguous(events_of(engine, arn))


def test_a_start_repeating_a_running_execution_answers_as_the_first_did(engine: Engine) -> None:
    """AWS: a Standard start with a running execution's name and input succeeds with the
    original answer; with another input, or once that execution has ended, it is refused."""
    machine = engine.register_state_machine("again", WAITING)
    clock = engine.clock
    assert isinstance(clock, FakeClock)
    first = engine.start_execution_output(machine, '{"n": 1}', name="twice")
    clock.advance(1)
    again = engine.start_execution_output(machine, '{"n": 1}', name="twice")
    assert again == first
    with pytest.raises(ExecutionAlreadyExists):
        engine.start_execution(machine, '{"n": 2}', name="twice")
    clock.advance(10)
    engine.run_until_idle()
    assert engine.describe_execution(first.execution_arn)["status"] == "SUCCEEDED"
    assert types_of(engine, first.execution_arn).count("ExecutionStarted") == 1
    with pytest.raises(ExecutionAlreadyExists):
        engine.start_execution(machine, '{"n": 1}', name="twice")


def test_a_stepped_start_repeating_a_running_execution_answers_as_the_first_did(
    engine: Engine,
) -> None:
    machine = engine.register_state_machine("stepped-again", WAITING)
    engine.start()
    first = engine.start_execution_output(machine, '{"n": 1}', name="twice")
    assert engine.start_execution_output(machine, '{"n": 1}', name="twice") == first
    with pytest.raises(ExecutionAlreadyExists):
        engine.start_execution(machine, '{"n": 2}', name="twice")
    assert types_of(engine, first.execution_arn) == ["ExecutionStarted", "WaitStateEntered"]


COUNTING = json.dumps(
    {
        "StartAt": "More?",
        "States": {
            "More?": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": 2000, "Next": "Done"}],
                "Default": "Count",
            },
            "Count": {
                "Type": "Pass",
                "Parameters": {"n.$": "States.MathAdd($.n, 1)"},
                "Next": "More?",
            },
            "Done": {"Type": "Succeed"},
        },
    }
)


def test_a_start_whose_first_run_is_long_answers_before_that_run(engine: Engine) -> None:
    """A loop of states that never wait is handed to the node's loop: StartExecution does not
    wait for its 4,000 states (stepped, the execution would have ended when it answered)."""
    machine = engine.register_state_machine("counting", COUNTING)
    assert not engine.starts_at_once(machine)
    engine.start()
    arn = engine.start_execution(machine, '{"n": 0}')
    assert engine.describe_execution(arn)["status"] == "RUNNING"
    described = engine.wait(arn, timeout=60)
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"n": 2000})


def test_a_stepped_start_of_a_name_taken_writes_nothing(engine: Engine) -> None:
    machine = engine.register_state_machine("stepped-twice", PASSING)
    engine.start()
    arn = engine.start_execution(machine, "{}", name="once")
    with pytest.raises(ExecutionAlreadyExists):
        engine.start_execution(machine, '{"b": 2}', name="once")
    assert json.loads(engine.describe_execution(arn)["output"]) == {}
    assert types_of(engine, arn).count("ExecutionStarted") == 1


def test_a_stepped_start_whose_commit_went_unheard_is_recovered(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commit happened but its caller heard an error (a connection broken as the answer
    came): the start stands, and the loop dispatches again the work that step queued."""
    store = engine.store
    create = store.create_stepped_execution

    def committed_then_lost(*arguments: Any) -> Any:
        create(*arguments)
        raise StoreError("the connection broke as the commit was answered")

    monkeypatch.setattr(store, "create_stepped_execution", committed_then_lost)
    arn = _double_on_a_running_node(engine, "stepped-unheard", 4)
    assert_contiguous(events_of(engine, arn))


WAITING = json.dumps(
    {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": True}}}
)


def _owned_start(
    engine: Engine, name: str, definition: str = PASSING, input_text: str = "{}"
) -> tuple[str, Claim]:
    """An execution created as a running node creates one, with the claim it hands its loop."""
    machine = engine.register_state_machine(name, definition)
    target = engine.targets.target(machine)
    new, events, _ = engine._new_execution(target, input_text, None, None)
    execution_id, wakeup_id = engine.store.create_owned_execution(
        new, NewWakeup("start", new.start_date), events, engine.node
    )
    start = Wakeup(wakeup_id, execution_id, "start", new.start_date)
    return new.arn, Claim(execution_id, 0, "RUNNING", new.definition_id, new.type, [start])


def test_a_handed_start_also_claimed_from_the_store_starts_once(engine: Engine) -> None:
    arn, claim = _owned_start(engine, "both-ways")
    engine.loop.hand(claim)
    engine.run_until_idle()  # the step claims it from the store too
    assert types_of(engine, arn).count("PassStateEntered") == 1
    assert engine.describe_execution(arn)["status"] == "SUCCEEDED"


def test_a_handed_start_taken_after_the_store_stepped_it_is_left_out(engine: Engine) -> None:
    arn, claim = _owned_start(engine, "late-hand", WAITING)
    engine.step()  # claimed from the store: started, now waiting
    assert types_of(engine, arn)[-1] == "WaitStateEntered"
    engine.loop.cache.drop(claim.execution_id)  # as if it had left the cache (cache_size=0)
    engine.loop.hand(claim)  # the hand comes late, at version 0
    engine.step()
    assert types_of(engine, arn)[-1] == "WaitStateEntered"
    engine.run_until_idle()
    assert types_of(engine, arn).count("WaitStateEntered") == 1
    assert engine.describe_execution(arn)["status"] == "SUCCEEDED"
    assert_contiguous(events_of(engine, arn))
    assert engine.check_replay(arn) is None


def test_a_late_hand_beside_an_answer_keeps_the_answer(engine: Engine) -> None:
    """The hand comes after the store's claim started the execution, in the same step as the
    answer of the Task it began: the stale start is dropped, the answer applied."""
    definition = json.dumps({"StartAt": "T", "States": task("T", End=True)})
    arn, claim = _owned_start(engine, "hand-and-answer", definition, '{"n": 2}')
    engine.step()  # claimed from the store: the Task's work goes to a worker
    assert types_of(engine, arn)[-1] == "LambdaFunctionScheduled"
    deadline = time.monotonic() + 30
    while not engine.loop.has_answers and time.monotonic() < deadline:
        time.sleep(0.01)  # the worker's answer waits in the loop's inbox
    engine.loop.cache.drop(claim.execution_id)
    engine.loop.hand(claim)
    engine.run_until_idle()
    assert engine.describe_execution(arn)["status"] == "SUCCEEDED"
    assert types_of(engine, arn).count("TaskStateEntered") == 1
