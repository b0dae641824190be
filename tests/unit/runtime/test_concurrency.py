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
