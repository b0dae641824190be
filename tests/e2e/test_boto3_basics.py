"""boto3, unchanged, against a real server: a state machine created, executions run to their
end (a Wait, a Task calling a function), their histories read back; AWS's errors."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.server import ACCOUNT, ROLE

DOUBLE = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:double"

WORKFLOW = {
    "StartAt": "Nap",
    "States": {
        "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Double"},
        "Double": {"Type": "Task", "Resource": DOUBLE, "End": True},
    },
}


def wait_until_ended(sfn: Any, arn: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    raise AssertionError(f"{arn} still running after {timeout} s")


def test_a_standard_execution_runs_to_its_end(sfn: Any) -> None:
    machine = sfn.create_state_machine(
        name="basics", definition=json.dumps(WORKFLOW), roleArn=ROLE
    )["stateMachineArn"]
    started = sfn.start_execution(stateMachineArn=machine, input='{"n": 21}', name="first")
    described = wait_until_ended(sfn, started["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"doubled": 42}
    events = sfn.get_execution_history(executionArn=started["executionArn"])["events"]
    assert [event["id"] for event in events] == list(range(1, len(events) + 1))
    assert events[-1]["type"] == "ExecutionSucceeded"
    listed = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert [item["name"] for item in listed] == ["first"]


def test_a_synchronous_express_execution_answers_at_once(sfn: Any) -> None:
    definition = {
        "StartAt": "Double",
        "States": {"Double": {"Type": "Task", "Resource": DOUBLE, "End": True}},
    }
    machine = sfn.create_state_machine(
        name="quick", definition=json.dumps(definition), roleArn=ROLE, type="EXPRESS"
    )["stateMachineArn"]
    answer = sfn.start_sync_execution(stateMachineArn=machine, input='{"n": 4}')
    assert (answer["status"], json.loads(answer["output"])) == ("SUCCEEDED", {"doubled": 8})


def test_errors_come_back_in_aws_shape(sfn: Any) -> None:
    with pytest.raises(ClientError) as missing:
        sfn.describe_state_machine(
            stateMachineArn=f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:nowhere"
        )
    assert missing.value.response["Error"]["Code"] == "StateMachineDoesNotExist"
    with pytest.raises(ClientError) as invalid:
        sfn.get_execution_history(executionArn="not-an-arn")
    assert invalid.value.response["Error"]["Code"] == "InvalidArn"
    assert (
        invalid.value.response["Error"]["Message"]
        == "Invalid Arn: 'Invalid ARN prefix: not-an-arn'"
    )
