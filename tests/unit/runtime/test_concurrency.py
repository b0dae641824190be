"""Inline Map iterations and Parallel branches that wait on Tasks run at the same time.

The handlers meet at a barrier: run one after another they could never all arrive, the barrier
times out and the execution fails. No test here measures time.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from stepline.runtime import FakeClock, FunctionRegistry, compile_definition, run_execution


def map_over_function(max_concurrency: int) -> dict[str, Any]:
    return {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": max_concurrency,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Call",
                    "States": {
                        "Call": {
                            "Type": "Task",
                            "Resource": "arn:aws:lambda:us-east-1:111111111111:function:work",
                            "End": True,
                        }
                    },
                },
                "End": True,
            }
        },
    }


def test_map_iterations_overlap_when_unlimited() -> None:
    barrier = threading.Barrier(4, timeout=10)

    def work(event: Any, context: Any) -> Any:
        barrier.wait()
        return event * 10

    plan = compile_definition(map_over_function(0))
    functions = FunctionRegistry({"work": work})
    result = run_execution(plan, '{"items": [1, 2, 3, 4]}', functions=functions, clock=FakeClock())
    assert result.status == "SUCCEEDED", result.cause
    assert result.output_value == [10, 20, 30, 40]
    types = [event["type"] for event in result.history()]
    assert types.count("MapIterationSucceeded") == 4
    assert types[-3:] == ["MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"]


def test_map_never_runs_more_than_max_concurrency_at_once() -> None:
    lock = threading.Lock()
    active = 0
    most = 0

    def work(event: Any, context: Any) -> Any:
        nonlocal active, most
        with lock:
            active += 1
            most = max(most, active)
        time.sleep(0.02)
        with lock:
            active -= 1
        return event

    plan = compile_definition(map_over_function(2))
    functions = FunctionRegistry({"work": work})
    result = run_execution(
        plan, '{"items": [1, 2, 3, 4, 5, 6]}', functions=functions, clock=FakeClock()
    )
    assert result.status == "SUCCEEDED"
    assert result.output_value == [1, 2, 3, 4, 5, 6]
    assert most <= 2


def test_a_failed_iteration_fails_the_map_and_cuts_the_others_short() -> None:
    def work(event: Any, context: Any) -> Any:
        if event == 2:
            raise ValueError("bad item")
        return event

    plan = compile_definition(map_over_function(0))
    functions = FunctionRegistry({"work": work})
    result = run_execution(plan, '{"items": [1, 2, 3]}', functions=functions, clock=FakeClock())
    assert (result.status, result.error) == ("FAILED", "ValueError")
    types = [event["type"] for event in result.history()]
    assert types.count("MapIterationFailed") == 1
    assert types[-2:] == ["MapStateFailed", "ExecutionFailed"]


def test_parallel_branches_that_call_functions_overlap() -> None:
    barrier = threading.Barrier(2, timeout=10)

    def work(event: Any, context: Any) -> Any:
        barrier.wait()
        return event["n"]

    def branch(n: int) -> dict[str, Any]:
        return {  # state names are unique across the whole machine, branches included
            "StartAt": f"Call{n}",
            "States": {
                f"Call{n}": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": "work", "Payload": {"n": n}},
                    "ResultSelector": {"n.$": "$.Payload"},
                    "End": True,
                }
            },
        }

    definition = {
        "StartAt": "Both",
        "States": {"Both": {"Type": "Parallel", "Branches": [branch(1), branch(2)], "End": True}},
    }
    functions = FunctionRegistry({"work": work})
    result = run_execution(compile_definition(definition), "{}", functions=functions)
    assert result.status == "SUCCEEDED", result.cause
    assert result.output_value == [{"n": 1}, {"n": 2}]


def test_iterations_running_when_one_fails_are_recorded_as_aborted() -> None:
    all_started = threading.Barrier(3, timeout=10)

    def work(event: Any, context: Any) -> Any:
        all_started.wait()
        if event == "bad":
            raise ValueError("bad item")
        time.sleep(0.2)  # still running when the other iteration fails
        return event

    plan = compile_definition(map_over_function(0))
    functions = FunctionRegistry({"work": work})
    result = run_execution(
        plan, '{"items": ["slow", "bad", "slow"]}', functions=functions, clock=FakeClock()
    )
    assert (result.status, result.error) == ("FAILED", "ValueError")
    types = [event["type"] for event in result.history()]
    assert types.count("MapIterationAborted") == 2
    assert "MapIterationSucceeded" not in types


def test_no_iteration_starts_after_a_failure() -> None:
    slow_started = threading.Event()

    def work(event: Any, context: Any) -> Any:
        if event == "bad":
            slow_started.wait(timeout=10)  # fail while the other slot is busy
            raise ValueError("bad item")
        slow_started.set()
        time.sleep(0.2)
        return event

    plan = compile_definition(map_over_function(2))
    functions = FunctionRegistry({"work": work})
    result = run_execution(
        plan, '{"items": ["bad", "slow", "late", "later"]}', functions=functions, clock=FakeClock()
    )
    assert result.status == "FAILED"
    started = [e for e in result.history() if e["type"] == "MapIterationStarted"]
    assert sorted(e["mapIterationStartedEventDetails"]["index"] for e in started) == [0, 1]


def test_a_failed_branch_fails_the_parallel_state() -> None:
    def work(event: Any, context: Any) -> Any:
        if event["n"] == 2:
            raise KeyError("missing")
        return event["n"]

    def branch(n: int) -> dict[str, Any]:
        return {
            "StartAt": f"Call{n}",
            "States": {
                f"Call{n}": {
                    "Type": "Task",
                    "Resource": "arn:aws:lambda:us-east-1:111111111111:function:work",
                    "Parameters": {"n": n},
                    "End": True,
                }
            },
        }

    definition = {
        "StartAt": "Both",
        "States": {"Both": {"Type": "Parallel", "Branches": [branch(1), branch(2)], "End": True}},
    }
    functions = FunctionRegistry({"work": work})
    result = run_execution(compile_definition(definition), "{}", functions=functions)
    assert (result.status, result.error) == ("FAILED", "KeyError")
    assert [e["type"] for e in result.history()][-2:] == ["ParallelStateFailed", "ExecutionFailed"]
