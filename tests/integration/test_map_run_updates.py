"""UpdateMapRun on the durable engine, on SQLite and on PostgreSQL: a running Map Run's new
settings are stored at once (DescribeMapRun) and applied by its parent's next step, whichever
node takes it and even if the engine that accepted them closed first; an ended Map Run, or a
request without settings, is refused as AWS refuses it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from stepline.engine import Engine
from stepline.engine.errors import InvalidArn, ResourceNotFound, ValidationException
from stepline.runtime import FakeClock

NAP_SECONDS = 100

FAIL_OR_NAP = {
    "StartAt": "Check",
    "States": {
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.fail", "IsPresent": True, "Next": "Broken"}],
            "Default": "Nap",
        },
        "Broken": {"Type": "Fail", "Error": "Broken", "Cause": "asked to fail"},
        "Nap": {"Type": "Wait", "Seconds": NAP_SECONDS, "End": True},
    },
}


def fan_out(**fields: Any) -> dict[str, Any]:
    """A distributed Map whose children fail at once when their item says so, else wait."""
    processor = {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        **FAIL_OR_NAP,
    }
    return {
        "StartAt": "Each",
        "States": {"Each": {"Type": "Map", "ItemProcessor": processor, **fields, "End": True}},
    }


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    with Engine(store_url, clock=FakeClock()) as running:
        yield running


def settle(engine: Engine) -> None:
    """Step until nothing due now moves (the clock stays where it is)."""
    engine.run_until_idle(max_seconds=0)


def start(engine: Engine, items: list[dict[str, Any]], **fields: Any) -> tuple[str, str]:
    """An execution of ``fan_out(**fields)`` over ``items``, settled: its ARN and its Map Run's."""
    machine = engine.register_state_machine("fan", fan_out(**fields))
    arn = engine.start_execution(machine, json.dumps(items))
    settle(engine)
    (run,) = engine.list_map_runs(arn)["mapRuns"]
    return arn, str(run["mapRunArn"])


def counts(engine: Engine, map_run: str) -> dict[str, int]:
    return dict(engine.describe_map_run(map_run)["executionCounts"])


def test_a_higher_max_concurrency_runs_more_children_at_once(engine: Engine) -> None:
    arn, map_run = start(engine, [{}] * 20, MaxConcurrency=1)
    assert (counts(engine, map_run)["running"], counts(engine, map_run)["pending"]) == (1, 19)
    engine.update_map_run(map_run, max_concurrency=5)
    described = engine.describe_map_run(map_run)
    assert (described["status"], described["maxConcurrency"]) == ("RUNNING", 5)
    settle(engine)
    assert counts(engine, map_run)["running"] == 5
    engine.run_until_idle()
    assert engine.describe_execution(arn)["status"] == "SUCCEEDED"
    assert counts(engine, map_run)["succeeded"] == 20
    assert engine.check_replay(arn) is None


def test_a_lower_max_concurrency_lets_running_children_end(engine: Engine) -> None:
    _, map_run = start(engine, [{}] * 10, MaxConcurrency=4)
    engine.update_map_run(map_run, max_concurrency=2)
    settle(engine)
    assert counts(engine, map_run)["running"] == 4  # none of them is stopped
    engine.clock.advance(NAP_SECONDS)  # type: ignore[attr-defined]
    settle(engine)
    assert counts(engine, map_run)["succeeded"] == 4
    assert counts(engine, map_run)["running"] == 2


def test_failures_past_a_lowered_threshold_fail_the_map_run(engine: Engine) -> None:
    items = [{"fail": True}, {"fail": True}] + [{}] * 8
    arn, map_run = start(engine, items, MaxConcurrency=3, ToleratedFailureCount=5)
    assert (counts(engine, map_run)["failed"], counts(engine, map_run)["running"]) == (2, 3)
    engine.update_map_run(map_run, tolerated_failure_count=1)
    assert engine.describe_map_run(map_run)["toleratedFailureCount"] == 1
    settle(engine)
    described = engine.describe_execution(arn)
    assert (described["status"], described["error"]) == (
        "FAILED",
        "States.ExceedToleratedFailureThreshold",
    )
    after = counts(engine, map_run)
    assert (after["failed"], after["aborted"], after["running"], after["pending"]) == (2, 3, 0, 5)
    assert engine.describe_map_run(map_run)["status"] == "FAILED"
    assert engine.check_replay(arn) is None


def test_an_update_outlives_the_engine_that_accepted_it(store_url: str) -> None:
    with Engine(store_url, clock=FakeClock()) as first:
        arn, map_run = start(first, [{}] * 20, MaxConcurrency=1)
        first.update_map_run(map_run, max_concurrency=5, tolerated_failure_percentage=10.0)
    # Closed before the parent took another step: the update waits in the store.
    with Engine(store_url, clock=FakeClock()) as second:
        described = second.describe_map_run(map_run)
        assert (described["maxConcurrency"], described["toleratedFailurePercentage"]) == (5, 10.0)
        settle(second)
        assert counts(second, map_run)["running"] == 5
    # Rebuilt from its checkpoint by yet another engine, the run keeps the new settings.
    with Engine(store_url, clock=FakeClock()) as third:
        third.clock.advance(NAP_SECONDS)  # type: ignore[attr-defined]
        settle(third)
        assert (counts(third, map_run)["succeeded"], counts(third, map_run)["running"]) == (5, 5)
        third.run_until_idle()
        assert third.describe_execution(arn)["status"] == "SUCCEEDED"
        assert third.check_replay(arn) is None


def test_an_update_accepted_by_one_node_is_applied_by_another(postgres_url: str) -> None:
    with (
        Engine(postgres_url, clock=FakeClock(), node="runs") as runs,
        Engine(postgres_url, clock=FakeClock(), node="asks") as asks,
    ):
        _, map_run = start(runs, [{}] * 6, MaxConcurrency=1)
        asks.update_map_run(map_run, max_concurrency=3)
        settle(runs)
        assert counts(asks, map_run)["running"] == 3


def test_an_ended_map_run_is_not_updated(engine: Engine) -> None:
    _arn, map_run = start(engine, [{}] * 2, MaxConcurrency=1)
    engine.run_until_idle()
    with pytest.raises(ValidationException) as refused:
        engine.update_map_run(map_run, max_concurrency=5, tolerated_failure_count=1)
    assert refused.value.reason == "CANNOT_UPDATE_COMPLETED_MAP_RUN"
    described = engine.describe_map_run(map_run)
    assert (described["status"], described["maxConcurrency"]) == ("SUCCEEDED", 1)
    assert described["toleratedFailureCount"] == 0


def test_what_update_map_run_refuses(engine: Engine) -> None:
    _, map_run = start(engine, [{}] * 2, MaxConcurrency=1)
    with pytest.raises(ValidationException) as refused:
        engine.update_map_run(map_run)
    assert refused.value.reason == "MISSING_REQUIRED_PARAMETER"
    with pytest.raises(ValidationException, match="less than or equal to 100"):
        engine.update_map_run(map_run, tolerated_failure_percentage=100.5)
    with pytest.raises(ValidationException, match="greater than or equal to 0"):
        engine.update_map_run(map_run, max_concurrency=-1)
    with pytest.raises(ResourceNotFound):
        engine.update_map_run(map_run + "-gone", max_concurrency=2)
    with pytest.raises(InvalidArn):
        engine.update_map_run("not an arn", max_concurrency=2)
    assert engine.describe_map_run(map_run)["maxConcurrency"] == 1
