"""Time skipping (``stepline serve --time-skipping``): an engine whose loop runs in its thread
jumps its clock over waits whenever nothing runs, and lets real time pass while work runs."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from stepline.engine import Engine
from stepline.runtime import FunctionRegistry
from stepline.runtime.clock import SkippingClock

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:"


def slow(event: Any, context: Any) -> Any:
    time.sleep(1.5)
    return event


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    functions = FunctionRegistry({"slow": slow})
    with Engine(store_url, functions=functions, clock=SkippingClock(), workers=2) as running:
        running.start()
        yield running


def _machine(engine: Engine, name: str, states: dict[str, Any]) -> str:
    definition = {"StartAt": next(iter(states)), "States": states}
    return engine.register_state_machine(name, json.dumps(definition))


def test_waits_of_a_day_and_an_hour_end_at_once(engine: Engine) -> None:
    machine = _machine(
        engine,
        "waits",
        {
            "Day": {"Type": "Wait", "Seconds": 86_400, "Next": "Again"},
            "Again": {"Type": "Wait", "Seconds": 3_600, "End": True},
        },
    )
    started = time.monotonic()
    arn = engine.start_execution(machine, '{"n": 1}')
    described = engine.wait(arn, timeout=20)
    assert described["status"] == "SUCCEEDED"
    assert time.monotonic() - started < 10
    # The execution's own dates tell the day it waited.
    waited = described["stopDate"] - described["startDate"]
    assert waited.total_seconds() >= 90_000


def test_work_that_runs_takes_its_real_time_and_its_timeout_still_counts(engine: Engine) -> None:
    machine = _machine(
        engine,
        "slow",
        {"Work": {"Type": "Task", "Resource": FUNCTION + "slow", "TimeoutSeconds": 1, "End": True}},
    )
    arn = engine.start_execution(machine, '{"n": 1}')
    described = engine.wait(arn, timeout=20)
    # The function needs 1.5 s: the clock did not jump past its 1 s timeout while it ran,
    # nor did it hold the timeout back until the function returned.
    assert described["status"] == "FAILED"
    assert described["error"] == "States.Timeout"
