"""The durability tests' workload: one state machine with Waits, Tasks, a Retry with back-off,
an inline Map and a distributed Map, its functions, and the output each execution must end
with (computed here independently of the engine).

The node processes import ``functions()`` (``python -m tests.durability.node --functions
tests.durability.workflow``); failures are decided from the input and ``$$.State.RetryCount``
so that every run of every execution is deterministic, whichever node runs it and however many
times a Task's work is carried out.
"""

from __future__ import annotations

import time
from typing import Any

from stepline.asl.jsontext import dumps
from stepline.engine import Engine
from stepline.runtime import FunctionRegistry, LambdaContext

WAIT_SECONDS = 1
"""Every Wait state (and the first retry interval): short, so a run stays quick."""

TASK_SECONDS = 0.02
"""How long each Map iteration's function works: long enough to be caught by a kill."""

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:"

DEFINITION: dict[str, Any] = {
    "Comment": "Stepline durability workload",
    "StartAt": "Prepare",
    "States": {
        "Prepare": {
            "Type": "Task",
            "Resource": FUNCTION_ARN + "prepare",
            "Parameters": {"id.$": "$.id", "width.$": "$.width"},
            "ResultPath": "$.prepared",
            "Next": "Pause",
        },
        "Pause": {"Type": "Wait", "Seconds": WAIT_SECONDS, "Next": "Flaky"},
        "Flaky": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {
                "FunctionName": "flaky",
                "Payload": {
                    "id.$": "$.id",
                    "failures.$": "$.failures",
                    "attempt.$": "$$.State.RetryCount",
                },
            },
            "ResultSelector": {"value.$": "$.Payload"},
            "ResultPath": "$.flaky",
            "Retry": [
                {
                    "ErrorEquals": ["Transient"],
                    "IntervalSeconds": WAIT_SECONDS,
                    "BackoffRate": 1.5,
                    "MaxAttempts": 3,
                }
            ],
            "Next": "Squares",
        },
        "Squares": {
            "Type": "Map",
            "ItemsPath": "$.prepared.items",
            "ItemSelector": {
                "value.$": "$$.Map.Item.Value",
                "index.$": "$$.Map.Item.Index",
            },
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "Square",
                "States": {
                    "Square": {
                        "Type": "Task",
                        "Resource": FUNCTION_ARN + "square",
                        "Next": "Linger",
                    },
                    "Linger": {"Type": "Wait", "Seconds": WAIT_SECONDS, "End": True},
                },
            },
            "ResultPath": "$.squares",
            "Next": "Cubes",
        },
        "Cubes": {
            "Type": "Map",
            "ItemsPath": "$.prepared.items",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Cube",
                "States": {
                    "Cube": {
                        "Type": "Task",
                        "Resource": FUNCTION_ARN + "cube",
                        "Parameters": {"value.$": "$"},
                        "End": True,
                    }
                },
            },
            "ResultPath": "$.cubes",
            "Next": "Rest",
        },
        "Rest": {"Type": "Wait", "Seconds": WAIT_SECONDS, "Next": "Summarise"},
        "Summarise": {
            "Type": "Task",
            "Resource": FUNCTION_ARN + "summarise",
            "Parameters": {
                "id.$": "$.id",
                "attempts.$": "$.flaky.value.attempts",
                "squares.$": "$.squares",
                "cubes.$": "$.cubes",
            },
            "End": True,
        },
    },
}

MACHINE_NAME = "durable"

TOP_LEVEL_PATH = ("Prepare", "Pause", "Flaky", "Squares", "Cubes", "Rest", "Summarise")
"""The top-level states every execution enters, each exactly once, in this order."""


def execution_input(number: int) -> dict[str, Any]:
    """The input of the ``number``-th execution: 0 to 2 failures before Flaky succeeds."""
    return {"id": number, "width": 2 + number % 3, "failures": number % 3}


def items_of(number: int) -> list[int]:
    """The items ``prepare`` makes for the ``number``-th execution (both Maps run over them)."""
    return [number * 10 + k for k in range(execution_input(number)["width"])]


def expected_output(number: int) -> dict[str, Any]:
    """What the ``number``-th execution must output, worked out without the engine."""
    given = execution_input(number)
    items = items_of(number)
    return {
        "id": number,
        "attempts": given["failures"] + 1,
        "squares": [{"square": item * item, "index": index} for index, item in enumerate(items)],
        "total": sum(item * item + item**3 for item in items),
    }


def start_runs(engine: Engine, numbers: range) -> dict[str, int]:
    """Register the workload and start one execution per number; their ARNs with their
    numbers."""
    machine = engine.register_state_machine(MACHINE_NAME, DEFINITION)
    runs = {}
    for number in numbers:
        arn = engine.start_execution(machine, dumps(execution_input(number)), name=f"run-{number}")
        runs[arn] = number
    return runs


class Transient(Exception):
    """What ``flaky`` raises on the attempts it is told to fail (the Retry's error)."""


def prepare(event: Any, context: LambdaContext) -> Any:
    return {"items": [event["id"] * 10 + k for k in range(event["width"])]}


def flaky(event: Any, context: LambdaContext) -> Any:
    if event["attempt"] < event["failures"]:
        raise Transient(f"attempt {event['attempt']} of {event['id']} fails")
    return {"attempts": event["attempt"] + 1}


def square(event: Any, context: LambdaContext) -> Any:
    time.sleep(TASK_SECONDS)
    return {"square": event["value"] * event["value"], "index": event["index"]}


def cube(event: Any, context: LambdaContext) -> Any:
    time.sleep(TASK_SECONDS)
    return event["value"] ** 3


def summarise(event: Any, context: LambdaContext) -> Any:
    squares = [entry["square"] for entry in event["squares"]]
    return {
        "id": event["id"],
        "attempts": event["attempts"],
        "squares": event["squares"],
        "total": sum(squares) + sum(event["cubes"]),
    }


def hold(event: Any, context: LambdaContext) -> Any:
    """Works for ``event["seconds"]``: a Task a kill is sure to interrupt."""
    time.sleep(event["seconds"])
    return event


def functions() -> FunctionRegistry:
    """The registry a node process runs the workload with."""
    return FunctionRegistry(
        {
            "prepare": prepare,
            "flaky": flaky,
            "square": square,
            "cube": cube,
            "summarise": summarise,
            "hold": hold,
        }
    )
