"""AWS's parameter validation through a real server: what boto3 refuses before sending (wrong
types, missing members, oversized payloads) sent anyway, raw or with boto3's own checks off,
and what boto3 lets through (bounds it does not check) answered with AWS's texts."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.e2e.server import ACCOUNT, ROLE, Server

TARGET = "AWSStepFunctions."
CONTENT_TYPE = "application/x-amz-json-1.0"
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
LIMIT = 262_144
TOO_LARGE = (
    "1 validation error detected: Value at '{}' failed to satisfy constraint: "
    "Member must have size less than or equal to 262144 bytes in UTF-8 encoding"
)


def call(server: Server, action: str, body: Any) -> httpx.Response:
    """One request of AWS's JSON protocol, unsigned (the server checks no signature here)."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"X-Amz-Target": TARGET + action, "Content-Type": CONTENT_TYPE}
    return httpx.post(server.url, content=content, headers=headers, timeout=30)


def refused(server: Server, action: str, body: Any) -> tuple[str, str]:
    answer = call(server, action, body)
    assert answer.status_code == 400, answer.text
    document = answer.json()
    assert set(document) == {"__type", "message"}, document
    return document["__type"], document["message"]


@pytest.fixture(scope="module")
def machines(server: Server) -> dict[str, str]:
    """A Standard and an Express state machine, by type."""
    sfn = server.client()
    return {
        kind: sfn.create_state_machine(
            name=f"validation-{kind.lower()}", definition=PASS, roleArn=ROLE, type=kind
        )["stateMachineArn"]
        for kind in ("STANDARD", "EXPRESS")
    }


def test_bounds_boto3_does_not_check_are_aws_s(sfn: Any, machines: dict[str, str]) -> None:
    with pytest.raises(ClientError) as too_many:
        sfn.list_executions(stateMachineArn=machines["STANDARD"], maxResults=1001)
    assert too_many.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "1 validation error detected: Value '1001' at 'maxResults' failed to "
        "satisfy constraint: Member must have value less than or equal to 1000",
    }
    with pytest.raises(ClientError) as status:
        sfn.list_executions(stateMachineArn=machines["STANDARD"], statusFilter="succeeded")
    assert status.value.response["Error"]["Message"].endswith(
        "Member must satisfy enum value set: "
        "[SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]"
    )


def test_the_model_is_checked_before_the_resource_exists(server: Server) -> None:
    missing = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:nowhere"
    code, text = refused(server, "StartExecution", {"stateMachineArn": missing, "name": "n" * 81})
    assert code == "ValidationException"
    assert text.endswith("at 'name' failed to satisfy constraint: "
                         "Member must have length less than or equal to 80")  # fmt: skip
    code, _ = refused(server, "StartExecution", {"stateMachineArn": missing})
    assert code == "StateMachineDoesNotExist"


@pytest.mark.parametrize("action", ["StartExecution", "StartSyncExecution"])
def test_an_execution_input_over_256_kib_is_refused(
    server: Server, machines: dict[str, str], action: str
) -> None:
    machine = machines["STANDARD" if action == "StartExecution" else "EXPRESS"]
    over = '"' + "é" * (LIMIT // 2) + '"'  # 131,074 characters, 262,146 bytes
    assert refused(server, action, {"stateMachineArn": machine, "input": over}) == (
        "ValidationException",
        TOO_LARGE.format("input"),
    )


def test_an_input_of_exactly_256_kib_runs(server: Server, machines: dict[str, str]) -> None:
    exact = '"' + "a" * (LIMIT - 2) + '"'
    answer = call(
        server, "StartSyncExecution", {"stateMachineArn": machines["EXPRESS"], "input": exact}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "SUCCEEDED"


def test_a_task_output_over_256_kib_is_refused(server: Server) -> None:
    body = {"taskToken": "token", "output": "[" + "1," * LIMIT + "1]"}
    assert refused(server, "SendTaskSuccess", body) == (
        "ValidationException",
        TOO_LARGE.format("output"),
    )


@pytest.mark.parametrize(
    ("action", "body", "text"),
    [
        ("DescribeStateMachine", {"stateMachineArn": 7},
         "NUMBER_VALUE cannot be converted to String"),
        ("StartSyncExecution", {"stateMachineArn": ["a"]},
         "Unrecognized collection type class java.lang.String"),
        ("ListStateMachines", {"maxResults": "10"}, "STRING_VALUE cannot be converted to Integer"),
        ("GetExecutionHistory", {"executionArn": "a", "reverseOrder": "yes"},
         "Unexpected token received from parser"),
        ("TagResource", {"resourceArn": "a", "tags": {"key": "k"}},
         "Start of structure or map found where not expected"),
        ("CreateStateMachine", {"name": "n", "definition": PASS, "roleArn": ROLE,
                                "tracingConfiguration": True}, "Unexpected field type"),
    ],
)  # fmt: skip
def test_wrong_json_types_are_serialization_errors(
    server: Server, action: str, body: dict[str, Any], text: str
) -> None:
    assert refused(server, action, body) == ("SerializationException", text)


def test_boto3_without_its_own_checks_meets_the_same_refusals(server: Server) -> None:
    sfn = server.client(parameter_validation=False)
    with pytest.raises(ClientError) as wrong_type:
        sfn.describe_execution(executionArn=12)
    assert wrong_type.value.response["Error"] == {
        "Code": "SerializationException",
        "Message": "NUMBER_VALUE cannot be converted to String",
    }
    with pytest.raises(ClientError) as missing:
        sfn.create_state_machine(name="no-role", definition=PASS)
    assert missing.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "1 validation error detected: Value null at 'roleArn' failed to satisfy "
        "constraint: Member must not be null",
    }


def test_several_errors_come_in_one_answer(server: Server) -> None:
    code, text = refused(server, "CreateStateMachine", {"name": "", "type": "standard"})
    assert code == "ValidationException"
    assert text.startswith("4 validation errors detected: Value '' at 'name' failed")
    assert text.count("; ") == 3


def test_unknown_members_are_ignored(server: Server) -> None:
    body = {"name": "with-extra", "definition": PASS, "roleArn": ROLE, "surprise": {"x": 1}}
    answer = call(server, "CreateStateMachine", body)
    assert answer.status_code == 200, answer.text


def test_null_members_take_their_defaults(server: Server) -> None:
    body = {"name": "with-nulls", "definition": PASS, "roleArn": ROLE, "type": None, "tags": None}
    answer = call(server, "CreateStateMachine", body)
    assert answer.status_code == 200, answer.text
    arn = answer.json()["stateMachineArn"]
    described = call(server, "DescribeStateMachine", {"stateMachineArn": arn}).json()
    assert described["type"] == "STANDARD"


def test_a_fractional_page_size_is_truncated(server: Server, machines: dict[str, str]) -> None:
    answer = call(server, "ListStateMachines", {"maxResults": 1.9})
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["stateMachines"]) == 1


def test_a_request_body_past_4_mib_is_refused_and_the_server_goes_on(server: Server) -> None:
    """Sent whole or streamed in chunks (the server stops reading at the limit): 413 in AWS's
    shape, and the next request is answered."""

    def chunks() -> Any:
        for _ in range(64):  # 64 MiB if it were all read
            yield b" " * (1024 * 1024)

    for content in (b" " * (4 * 1024 * 1024 + 1), chunks()):
        headers = {"X-Amz-Target": TARGET + "ListStateMachines", "Content-Type": CONTENT_TYPE}
        try:
            answer = httpx.post(server.url, content=content, headers=headers, timeout=30)
        except httpx.WriteError:
            continue  # the server answered and closed before the client finished sending
        assert answer.status_code == 413, answer.text
        assert answer.json() == {
            "__type": "RequestEntityTooLargeException",
            "message": "Request body is too large",
        }
    assert call(server, "ListStateMachines", {}).status_code == 200
