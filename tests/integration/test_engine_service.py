"""The engine with its loop in a thread of its own (``start``), as a service runs it: calls
that wait for the loop (stop, redrive, wait) and bulk starts, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from stepline.engine import (
    Engine,
    ExecutionAlreadyExists,
    ExecutionNotRedrivable,
    StateMachineTypeNotSupported,
)
from stepline.engine.errors import ResourceNotFound
from stepline.runtime import FunctionRegistry

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:"


class Gate:
    """A function that fails while ``open`` is false."""

    def __init__(self) -> None:
        self.open = False

    def __call__(self, event: Any, context: Any) -> Any:
        if not self.open:
            raise RuntimeError("closed")
        return {"passed": event}


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
def service(store_url: str, gate: Gate) -> Iterator[Engine]:
    functions = FunctionRegistry({"gate": gate})
    with Engine(store_url, functions=functions, poll_seconds=0.05, workers=4) as engine:
        engine.start()
        yield engine


WAITING = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}}
GATED = {
    "StartAt": "G",
    "States": {"G": {"Type": "Task", "Resource": FUNCTION + "gate", "End": True}},
}
QUICK = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def test_many_executions_start_in_one_call_and_run(service: Engine) -> None:
    machine = service.register_state_machine("quick", QUICK)
    arns = service.start_executions(
        machine, [json.dumps({"n": n}) for n in range(20)], names=[f"n{n}" for n in range(20)]
    )
    assert len(set(arns)) == 20
    for number, arn in enumerate(arns):
        described = service.wait(arn, timeout=30)
        assert (described["status"], json.loads(described["output"])) == (
            "SUCCEEDED",
            {"n": number},
        )
    assert service.start_executions(machine, []) == []
    with pytest.raises(ExecutionAlreadyExists):
        service.start_executions(machine, ["{}", "{}"], names=["fresh", "n3"])
    fresh = machine.replace(":stateMachine:", ":execution:") + ":fresh"
    assert service.store.execution(fresh) is None  # all or nothing


def test_stop_returns_once_the_execution_has_ended(service: Engine) -> None:
    arn = service.start_execution(service.register_state_machine("waits", WAITING), "{}")
    service.wait_for_endings(0.2)
    stopped = service.stop_execution(arn, error="Halt", cause="from a test")
    described = service.describe_execution(arn)
    assert described["status"] == "ABORTED"
    assert stopped["stopDate"] == described["stopDate"]
    again = service.stop_execution(arn)  # an ended execution: nothing more happens
    assert again["stopDate"] == described["stopDate"]


def test_redrive_returns_once_the_execution_runs_again(service: Engine, gate: Gate) -> None:
    arn = service.start_execution(service.register_state_machine("gated", GATED), '{"a": 1}')
    assert service.wait(arn, timeout=30)["status"] == "FAILED"
    gate.open = True
    redriven = service.redrive_execution(arn)
    assert service.wait(arn, timeout=30)["status"] == "SUCCEEDED"
    described = service.describe_execution(arn)
    assert (described["redriveCount"], described["redriveDate"]) == (1, redriven["redriveDate"])


def test_waiting_for_an_execution_that_does_not_end_times_out(service: Engine) -> None:
    arn = service.start_execution(service.register_state_machine("waits", WAITING), "{}")
    with pytest.raises(TimeoutError, match="RUNNING"):
        service.wait(arn, timeout=0.2)


def test_express_executions_cannot_be_stopped_or_redriven(service: Engine) -> None:
    machine = service.register_state_machine("fast", QUICK, type="EXPRESS")
    arn = service.start_execution(machine, "{}")
    assert service.wait(arn, timeout=30)["status"] == "SUCCEEDED"
    with pytest.raises(StateMachineTypeNotSupported):
        service.stop_execution(arn)
    with pytest.raises(ExecutionNotRedrivable, match="not supported"):
        service.redrive_execution(arn)


def test_an_unknown_map_run_is_not_found(service: Engine) -> None:
    with pytest.raises(ResourceNotFound, match="mapRun"):
        service.describe_map_run("arn:aws:states:us-east-1:123456789012:mapRun:nope/x:1")


PASS_ONLY = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
LOOPING = {
    "StartAt": "Again",
    "States": {
        "Again": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.done", "IsPresent": True, "Next": "Done"}],
            "Default": "Again",
        },
        "Done": {"Type": "Succeed"},
    },
}


def test_a_start_is_made_at_once_only_when_every_route_is_short(service: Engine) -> None:
    """A server makes a start on its event loop only when the first run is bounded: for an
    alias, whatever version its routing draws."""
    quick = service.register_state_machine("quick-first-run", PASS_ONLY)
    looping = service.register_state_machine("looping-first-run", LOOPING)
    assert service.starts_at_once(quick)
    assert not service.starts_at_once(looping)
    first = service.publish_state_machine_version(quick)["stateMachineVersionArn"]
    service.update_state_machine(quick, definition=LOOPING)
    second = service.publish_state_machine_version(quick)["stateMachineVersionArn"]
    assert service.starts_at_once(first)
    assert not service.starts_at_once(second)
    assert not service.starts_at_once(quick)  # its latest revision loops now
    alias = service.create_state_machine_alias(
        "canary",
        [
            {"stateMachineVersionArn": first, "weight": 90},
            {"stateMachineVersionArn": second, "weight": 10},
        ],
    )["stateMachineAliasArn"]
    assert not service.starts_at_once(alias)
