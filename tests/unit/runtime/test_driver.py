"""The in-process driver: functions, timeouts and timers carried out for a run, in this process.

Real functions run on real threads here; no test asserts a duration, only what happened and in
what order.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from stepline.runtime import FakeClock, FunctionRegistry, SystemClock, compile_definition
from stepline.runtime.driver import RoutineRun, drive
from stepline.runtime.effects import Routine
from stepline.runtime.execution import execution_result, start_execution
from stepline.runtime.functions import FunctionRegistry as Registry

FUNCTION = "arn:aws:lambda:us-east-1:111111111111:function:"


def parallel(*branches: dict[str, Any]) -> dict[str, Any]:
    return {
        "StartAt": "Both",
        "States": {"Both": {"Type": "Parallel", "Branches": list(branches), "End": True}},
    }


def test_a_timer_fires_while_a_function_is_still_running() -> None:
    released = threading.Event()

    def slow(event: Any, context: Any) -> Any:
        released.wait(timeout=10)  # until the other branch's Wait has ended
        return "slow"

    def after_wait(event: Any, context: Any) -> Any:
        released.set()
        return "waited"

    definition = parallel(
        {
            "StartAt": "Slow",
            "States": {"Slow": {"Type": "Task", "Resource": FUNCTION + "slow", "End": True}},
        },
        {
            "StartAt": "Pause",
            "States": {
                "Pause": {"Type": "Wait", "Seconds": 0, "Next": "Release"},
                "Release": {"Type": "Task", "Resource": FUNCTION + "release", "End": True},
            },
        },
    )
    functions = FunctionRegistry({"slow": slow, "release": after_wait})
    run = start_execution(
        compile_definition(definition), "{}", functions=functions, clock=SystemClock()
    )
    drive(run)
    result = execution_result(run)
    assert result.status == "SUCCEEDED", result.cause
    assert result.output_value == ["slow", "waited"]
    assert released.is_set()


def test_a_function_past_its_timeout_is_answered_as_timed_out() -> None:
    release = threading.Event()

    def stuck(event: Any, context: Any) -> Any:
        release.wait(timeout=10)
        return "too late"

    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": FUNCTION + "stuck",
                "TimeoutSeconds": 1,
                "End": True,
            }
        },
    }
    functions = FunctionRegistry({"stuck": stuck})
    run = start_execution(
        compile_definition(definition), "{}", functions=functions, clock=FakeClock()
    )
    try:
        drive(run)
    finally:
        release.set()
    result = execution_result(run)
    assert (result.status, result.error) == ("FAILED", "States.Timeout")


def test_timers_fire_in_order_of_their_due_time_on_a_fake_clock() -> None:
    def branch(name: str, seconds: int, function: str) -> dict[str, Any]:
        return {
            "StartAt": name,
            "States": {
                name: {"Type": "Task", "Resource": FUNCTION + function, "Next": f"{name}Wait"},
                f"{name}Wait": {"Type": "Wait", "Seconds": seconds, "End": True},
            },
        }

    def noop(event: Any, context: Any) -> Any:
        if context.function_name == "slowish":
            time.sleep(0.05)  # the other branch's timer is set meanwhile
        return event

    clock = FakeClock()
    functions = FunctionRegistry({"noop": noop, "slowish": noop})
    definition = parallel(branch("Long", 300, "slowish"), branch("Short", 60, "noop"))
    run = start_execution(compile_definition(definition), "{}", functions=functions, clock=clock)
    drive(run)
    assert execution_result(run).status == "SUCCEEDED"
    # The branches wait at the same time: five minutes pass in all, not six.
    assert clock.slept == [60, 240]
    exits = [e.to_api() for e in run.execution.log.events if e.type == "WaitStateExited"]
    assert [e["stateExitedEventDetails"]["name"] for e in exits] == ["ShortWait", "LongWait"]


def test_a_run_awaiting_nothing_it_started_is_a_driver_error() -> None:
    plan = compile_definition({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    execution = start_execution(plan, "{}", clock=FakeClock()).execution

    def confused() -> Routine[None]:
        yield []

    with pytest.raises(RuntimeError, match="never started"):
        drive(RoutineRun(execution, confused(), Registry(), FakeClock()))
