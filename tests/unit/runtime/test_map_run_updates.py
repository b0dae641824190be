"""UpdateMapRun in the interpreter: a running distributed Map takes new settings
(``MapRunUpdated``) from then on, keeps them across checkpoints, and fails at once when the
failures it has had pass a lowered threshold."""

from __future__ import annotations

import json
from typing import Any

from stepline.runtime import FakeClock, checkpoint, compile_definition, resume, start_execution
from stepline.runtime.effects import (
    Cancel,
    Effect,
    ExecutionEnded,
    MapRunNotice,
    MapRunUpdated,
    StartExecution,
    decode,
    encode,
)
from stepline.runtime.execution import Plan
from stepline.runtime.transition import ExecutionRun

CHILD = {
    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
    "StartAt": "Nap",
    "States": {"Nap": {"Type": "Wait", "Seconds": 60, "End": True}},
}


def distributed(**fields: Any) -> dict[str, Any]:
    return {"Type": "Map", "ItemProcessor": CHILD, **fields}


def plan_of(state: dict[str, Any]) -> Plan:
    return compile_definition({"StartAt": "Fan", "States": {"Fan": {**state, "End": True}}})


class Driver:
    """An execution of one plan, with the children it runs (by key) and its Map Run's ARN."""

    def __init__(self, plan: Plan, items: int) -> None:
        self.plan = plan
        self.run = start_execution(plan, json.dumps(list(range(items))), clock=FakeClock())
        self.children: dict[int, int] = {}
        """Running children: their item index by key."""
        self.notices: list[MapRunNotice] = []
        self.take(self.run.start())
        self.arn = self.notices[0].arn

    def take(self, effects: list[Effect]) -> list[Effect]:
        for effect in effects:
            if isinstance(effect, StartExecution):
                self.children[effect.key] = effect.index
            elif isinstance(effect, Cancel):
                self.children.pop(effect.key, None)
            elif isinstance(effect, MapRunNotice):
                self.notices.append(effect)
        return effects

    def update(self, **settings: Any) -> list[Effect]:
        return self.take(self.run.update_map_run(MapRunUpdated(self.arn, **settings)))

    def end(self, status: str = "SUCCEEDED") -> list[Effect]:
        """The oldest running child ends with ``status``."""
        key = min(self.children)
        del self.children[key]
        if status == "SUCCEEDED":
            return self.take(self.run.advance(ExecutionEnded(key, status, output="0")))
        return self.take(self.run.advance(ExecutionEnded(key, status, None, "Boom", "it broke")))

    def rebuild(self) -> None:
        """Through a checkpoint as JSON text, as the durable engine keeps it between steps."""
        saved = json.loads(json.dumps(checkpoint(self.run)))
        self.run = resume(self.plan, saved)


def history_types(run: ExecutionRun) -> list[str]:
    return [event.type for event in run.execution.log.events]


def test_a_higher_max_concurrency_starts_more_children_at_once() -> None:
    driver = Driver(plan_of(distributed(MaxConcurrency=1)), 20)
    assert len(driver.children) == 1
    started = driver.update(max_concurrency=5)
    assert [type(effect) for effect in started] == [StartExecution] * 4
    assert sorted(driver.children.values()) == [0, 1, 2, 3, 4]
    driver.end()
    assert sorted(driver.children.values()) == [1, 2, 3, 4, 5]


def test_a_lower_max_concurrency_lets_running_children_finish_and_starts_fewer() -> None:
    driver = Driver(plan_of(distributed(MaxConcurrency=4)), 10)
    assert driver.update(max_concurrency=2) == []  # nobody is stopped
    assert len(driver.children) == 4
    assert driver.end() == []
    assert driver.end() == []
    assert len(driver.children) == 2
    driver.end()
    assert len(driver.children) == 2  # one more started: two at once from now on


def test_max_concurrency_zero_means_no_limit_but_aws_s() -> None:
    driver = Driver(plan_of(distributed(MaxConcurrency=1)), 30)
    driver.update(max_concurrency=0)
    assert len(driver.children) == 30


def test_the_new_settings_survive_a_checkpoint() -> None:
    driver = Driver(plan_of(distributed(MaxConcurrency=1)), 20)
    driver.update(max_concurrency=3)
    driver.update(tolerated_failure_count=5)  # the concurrency of the first update stays
    driver.rebuild()
    assert len(driver.run.awaited) == 3
    driver.end("FAILED")
    assert len(driver.children) == 3  # a tolerated failure: another child took its place
    driver.rebuild()
    for _ in range(4):
        driver.end("FAILED")
    assert driver.run.result is None  # five failures are tolerated
    driver.end("FAILED")
    assert driver.run.result is not None
    assert driver.run.result.error == "States.ExceedToleratedFailureThreshold"


def test_failures_past_a_lowered_threshold_fail_the_map_run_at_once() -> None:
    driver = Driver(plan_of(distributed(MaxConcurrency=4, ToleratedFailureCount=3)), 10)
    driver.end("FAILED")
    driver.end("FAILED")
    assert driver.run.result is None
    running = set(driver.children)
    effects = driver.update(tolerated_failure_count=1)
    assert {effect.key for effect in effects if isinstance(effect, Cancel)} == running
    assert driver.notices[-1].status == "FAILED"
    ending = driver.run.result
    assert ending is not None
    assert (ending.status, ending.error, ending.cause) == (
        "FAILED",
        "States.ExceedToleratedFailureThreshold",
        "The specified tolerated failure threshold was exceeded",
    )
    assert history_types(driver.run)[-4:] == [
        "MapRunStarted",
        "MapRunFailed",
        "MapStateFailed",
        "ExecutionFailed",
    ]


def test_failures_within_a_lowered_threshold_go_on() -> None:
    driver = Driver(plan_of(distributed(MaxConcurrency=2, ToleratedFailurePercentage=50)), 10)
    driver.end("FAILED")
    driver.update(tolerated_failure_percentage=10)  # one of ten may fail: it has
    assert driver.run.result is None
    driver.end("FAILED")
    assert driver.run.result is not None
    assert driver.run.result.error == "States.ExceedToleratedFailureThreshold"


def test_a_raised_threshold_lets_the_map_run_succeed() -> None:
    driver = Driver(plan_of(distributed(MaxConcurrency=10)), 3)
    driver.update(tolerated_failure_count=1)
    driver.end("FAILED")
    driver.end()
    driver.end()
    ending = driver.run.result
    assert ending is not None
    assert ending.status == "SUCCEEDED"
    assert json.loads(ending.output or "null")[0] == {"Error": "Boom", "Cause": "it broke"}


def test_an_update_for_a_map_run_the_execution_is_not_running_changes_nothing() -> None:
    driver = Driver(plan_of(distributed(MaxConcurrency=1)), 2)
    other = driver.arn.rsplit(":", 1)[0] + ":another"
    assert driver.run.update_map_run(MapRunUpdated(other, max_concurrency=5)) == []
    assert len(driver.children) == 1
    driver.end()
    driver.end()
    assert driver.run.result is not None
    assert driver.update(max_concurrency=5) == []


def test_a_map_run_inside_a_parallel_branch_is_found() -> None:
    branch = {"StartAt": "In", "States": {"In": {**distributed(MaxConcurrency=1), "End": True}}}
    plan = plan_of({"Type": "Parallel", "Branches": [branch]})
    driver = Driver(plan, 4)
    driver.update(max_concurrency=4)
    assert len(driver.children) == 4


def test_updates_combine_and_encode_as_signals() -> None:
    first = MapRunUpdated("arn", max_concurrency=3, tolerated_failure_percentage=5.0)
    both = first.followed_by(MapRunUpdated("arn", tolerated_failure_count=2))
    assert both == MapRunUpdated("arn", 3, 2, 5.0)
    assert decode(json.loads(json.dumps(encode(both)))) == both
