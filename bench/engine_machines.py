"""The engine benchmark's own state machines, and the in-process functions their Tasks call.

The shared workloads (``concurrency``, ``pass100``) come from ``bench/workloads/``; these add
what they lack: a Task and a real Wait (``task_wait``), a Task→Wait loop counted by a Choice
(``wakeup_loop``), an execution that begins by waiting (``waiting``), and a 5-state Express
workflow (``express5``).
"""

from __future__ import annotations

from typing import Any

from bench import Workload

ACCOUNT = "123456789012"
REGION = "us-east-1"


def function_arn(name: str) -> str:
    """The Lambda function ARN a Task names to call the in-process function ``name``."""
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def bench_increment(event: Any, context: Any) -> Any:
    """The in-process function of ``task_wait``: adds one to ``n``."""
    return {"n": event["n"] + 1}


TASK_WAIT_SECONDS = 1

TASK_WAIT = Workload(
    name="task_wait",
    definition={
        "Comment": "task_wait: an in-process Task, then a Wait of 1 s on the real clock",
        "StartAt": "Work",
        "States": {
            "Work": {"Type": "Task", "Resource": function_arn("bench_increment"), "Next": "Pause"},
            "Pause": {"Type": "Wait", "Seconds": TASK_WAIT_SECONDS, "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    },
    input={"n": 0},
    expected_output={"n": 1},
    units_per_execution=3,
    unit="transitions/s",
    executions=0,
)

WAKEUP_FUNCTION = "bench_tick"

WAKEUP_LOOP: dict[str, Any] = {
    "Comment": "wakeup_loop: Task, Wait 1 s, Choice: until i reaches limit",
    "StartAt": "Work",
    "States": {
        "Work": {"Type": "Task", "Resource": function_arn(WAKEUP_FUNCTION), "Next": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Check"},
        "Check": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.i", "NumericGreaterThanEqualsPath": "$.limit", "Next": "Done"}
            ],
            "Default": "Work",
        },
        "Done": {"Type": "Succeed"},
    },
}
"""Each iteration records 9 events (Task: entered, scheduled, started, succeeded, exited;
Wait: entered, exited; Choice: entered, exited)."""

EVENTS_PER_WAKEUP_ITERATION = 9
HISTORY_QUOTA = 25_000
"""AWS's quota of events in one execution's history."""

WAKEUP_ITERATIONS_PER_EXECUTION = 2_500
"""2,500 iterations record 22,504 events: inside the quota, so 10,000 iterations are four
executions run one after the other."""

WAITING: dict[str, Any] = {
    "Comment": "waiting: a Wait of 30 s first, then a Pass",
    "StartAt": "Hold",
    "States": {
        "Hold": {"Type": "Wait", "Seconds": 30, "Next": "Done"},
        "Done": {"Type": "Pass", "Parameters": {"i.$": "$.i", "woke": True}, "End": True},
    },
}
WAITING_SECONDS = 30

EXPRESS5 = Workload(
    name="express5",
    definition={
        "Comment": "express5: Pass, Choice, Pass, Pass, Succeed",
        "StartAt": "Add",
        "States": {
            "Add": {
                "Type": "Pass",
                "Parameters": {"n.$": "States.MathAdd($.n, 1)"},
                "Next": "Check",
            },
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "Label"}],
                "Default": "Wrong",
            },
            "Label": {"Type": "Pass", "Result": "checked", "ResultPath": "$.label", "Next": "Add2"},
            "Add2": {
                "Type": "Pass",
                "Parameters": {"n.$": "States.MathAdd($.n, 1)", "label.$": "$.label"},
                "Next": "Done",
            },
            "Done": {"Type": "Succeed"},
            "Wrong": {"Type": "Fail", "Error": "Bench.Unexpected"},
        },
    },
    input={"n": 0},
    expected_output={"n": 2, "label": "checked"},
    units_per_execution=5,
    unit="executions/s",
    executions=0,
)
