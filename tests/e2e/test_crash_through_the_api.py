"""The server killed with SIGKILL while 300 Standard executions (Waits, a Task, an inline Map)
run, twice, and started again on the same data: every execution succeeds with the right
output, its history has one terminal event and contiguous ids."""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import FUNCTIONS
from tests.e2e.server import ACCOUNT, ROLE, Server, free_port, retrying, start_server

pytestmark = pytest.mark.slow

EXECUTIONS = int(os.environ.get("STEPLINE_API_CRASH_EXECUTIONS", "300"))
DOUBLE = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:double"
WORKFLOW = {
    "StartAt": "Nap",
    "States": {
        "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Each"},
        "Each": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemProcessor": {
                "StartAt": "Double",
                "States": {
                    "Double": {"Type": "Task", "Resource": DOUBLE, "Next": "Rest"},
                    "Rest": {"Type": "Wait", "Seconds": 1, "End": True},
                },
            },
            "ResultPath": "$.doubled",
            "Next": "Done",
        },
        "Done": {"Type": "Pass", "Parameters": {"doubled.$": "$.doubled"}, "End": True},
    },
}


def expected(number: int) -> dict[str, Any]:
    return {"doubled": [{"doubled": 2 * (number + k)} for k in range(3)]}


def test_executions_survive_two_kills_of_the_server(tmp_path: Path) -> None:
    seed = int(os.environ.get("STEPLINE_API_CRASH_SEED", str(random.randrange(10**6))))
    print(f"STEPLINE_API_CRASH_SEED={seed}")
    moments = random.Random(seed)
    port = free_port()
    server: Server = start_server(tmp_path, "--functions", FUNCTIONS, port=port)
    try:
        sfn = server.client()
        machine = sfn.create_state_machine(
            name="survivor", definition=json.dumps(WORKFLOW), roleArn=ROLE
        )["stateMachineArn"]
        arns = {}
        for number in range(EXECUTIONS):
            items = {"items": [{"n": number + k} for k in range(3)]}
            arn = retrying(
                sfn.start_execution,
                stateMachineArn=machine,
                input=json.dumps(items),
                name=f"run-{number}",
            )["executionArn"]
            arns[arn] = number
        for _ in range(2):
            time.sleep(moments.uniform(0.3, 2.0))
            server.kill()
            server = start_server(tmp_path, "--functions", FUNCTIONS, port=port)
            sfn = server.client()
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            running = retrying(sfn.list_executions, stateMachineArn=machine, statusFilter="RUNNING")
            if not running["executions"]:
                break
            time.sleep(0.5)
        for arn, number in arns.items():
            described = retrying(sfn.describe_execution, executionArn=arn)
            assert described["status"] == "SUCCEEDED", (arn, described)
            assert json.loads(described["output"]) == expected(number)
            events = retrying(sfn.get_execution_history, executionArn=arn, maxResults=1000)[
                "events"
            ]
            assert [event["id"] for event in events] == list(range(1, len(events) + 1))
            terminal = [e for e in events if e["type"].startswith("Execution") and e["id"] > 1]
            assert [event["type"] for event in terminal] == ["ExecutionSucceeded"]
    finally:
        if server.process.poll() is None:
            server.stop()
        print(server.logs()[-3000:])
