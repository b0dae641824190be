"""The corpus's activity cases, run on the durable engine with a stand-in for the worker.

The recorded tests ran their worker as a second state machine calling GetActivityTask and
SendTask* through the AWS SDK integration (``templates`` of each case names it); here the
worker is played through the engine's API, doing what that state machine did: answer with
the task's input, fail with ``Programmatic Error`` and the input as the cause, heartbeat
twice two seconds apart and then answer, or take the task and never answer. The corpus
runner skips these cases (they need "activities"); the API error cases of activities,
which it skips as not being definition checks, are judged here too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stepline.conformance.cases import FROZEN_NOW, Case, load_cases
from stepline.conformance.runner import STATE_MACHINE_NAME, compare_execution, normalise_history
from stepline.conformance.substitutions import Names
from stepline.engine import Engine, EngineError
from stepline.runtime import FakeClock

CASES = load_cases()
EXECUTIONS = [case for case in CASES if case.kind == "execution" and "activities" in case.needs]
API_ERRORS = [
    case
    for case in CASES
    if case.kind == "api_error" and "test_sfn_api_activities" in case.id and not case.needs
]
WORKER_NAME = "BASE_ID_ACTIVITY_CONSUMER"

Worker = Callable[[Engine, dict[str, Any]], None]


def answer(engine: Engine, task: dict[str, Any]) -> None:
    engine.send_task_success(task["taskToken"], task["input"])


def fail(engine: Engine, task: dict[str, Any]) -> None:
    engine.send_task_failure(task["taskToken"], "Programmatic Error", task["input"])


def neglect(engine: Engine, task: dict[str, Any]) -> None:
    pass


def heartbeat_then_answer(engine: Engine, task: dict[str, Any]) -> None:
    clock: FakeClock = engine.clock  # type: ignore[assignment]
    clock.advance(2)
    engine.send_task_heartbeat(task["taskToken"])
    engine.run_until_idle(max_seconds=0)
    clock.advance(2)
    answer(engine, task)


WORKERS: dict[str, Worker] = {
    "base_id_activity_consumer.json5": answer,
    "base_id_activity_consumer_fail.json5": fail,
    "base_id_activity_consumer_timeout.json5": neglect,
    "heartbeat_id_activity_consumer.json5": heartbeat_then_answer,
}


def worker_of(case: Case) -> Worker:
    templates = [Path(path).name for path in case.record["source"]["templates"]]
    (name,) = [template for template in templates if template in WORKERS]
    return WORKERS[name]


def names_of(case: Case) -> Names:
    return Names(str(case.record["execution_name_in_test"]), STATE_MACHINE_NAME)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    names = Names("", STATE_MACHINE_NAME)
    with Engine(
        f"sqlite:///{tmp_path / 'conformance.db'}",
        clock=FakeClock(FROZEN_NOW),
        region=names.region,
        account=names.account,
        role_arn=names.role_arn,
    ) as running:
        yield running


def test_the_corpus_has_the_activity_cases() -> None:
    assert len(EXECUTIONS) == 4
    assert len(API_ERRORS) == 28


@pytest.mark.parametrize("case", EXECUTIONS, ids=[case.id for case in EXECUTIONS])
def test_activity_case(case: Case, engine: Engine) -> None:
    names = names_of(case)
    (resource,) = case.features["task"]["resources"]
    activity = engine.create_activity(resource.rsplit(":", 1)[-1])["activityArn"]
    assert activity == resource
    machine = engine.register_state_machine(names.state_machine_name, case.record["definition"])
    arn = engine.start_execution(machine, case.input_text, name=names.execution_name)
    engine.run_until_idle()
    task = engine.get_activity_task(activity, WORKER_NAME, timeout=0)
    assert task, "the execution queued no task for its activity"
    engine.run_until_idle(max_seconds=0)
    worker_of(case)(engine, task)
    engine.run_until_idle()
    described = engine.describe_execution(arn)
    events = engine.get_execution_history(arn, max_results=1000)["events"]
    output = described.get("output")
    normalised = normalise_history(
        case, names, events, None if output is None else json.loads(output)
    )
    difference = compare_execution(case, described["status"], normalised)
    assert difference is None, difference


def call(engine: Engine, operation: str, request: dict[str, Any]) -> Callable[[], Any]:
    """The recorded call, as a call of the engine's API."""
    if operation == "create_activity":
        return lambda: engine.create_activity(request["name"])
    if operation == "describe_activity":
        return lambda: engine.describe_activity(request["activityArn"])
    assert operation == "get_activity_task"
    arn = request["activityArn"]
    engine.create_activity(arn.rsplit(":", 1)[-1])
    engine.delete_activity(arn)  # the recorded test deleted it first
    return lambda: engine.get_activity_task(arn, timeout=0)


@pytest.mark.parametrize("case", API_ERRORS, ids=[case.id for case in API_ERRORS])
def test_activity_api_error_case(case: Case, engine: Engine) -> None:
    recorded = call(engine, case.record["operation"], dict(case.record["request"]))
    expected = case.record["expected_error"]
    with pytest.raises(EngineError) as refused:
        recorded()
    message = refused.value.message
    for substitution in case.substitutions:
        if substitution.get("replaces") == "literal":
            message = message.replace(substitution["value"], substitution["placeholder"])
    assert (refused.value.code, message) == (expected["code"], expected["message"])
