"""Activities end to end: a worker thread using boto3, unchanged, against a real server polls
an activity (GetActivityTask), heartbeats, and answers success and failure; a task it takes
and then neglects times out by its HeartbeatSeconds. The histories have AWS's shapes."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.e2e.server import ACCOUNT, ROLE, Server, running_server
from tests.e2e.test_boto3_basics import wait_until_ended

FUNCTIONS = str(Path(__file__).with_name("functions.py"))
POLL_SECONDS = 1.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose long polls last a second (AWS: 60), so an empty poll ends quickly."""
    directory = tmp_path_factory.mktemp("activities")
    environment = {"STEPLINE_ACTIVITY_POLL_SECONDS": str(POLL_SECONDS)}
    with running_server(directory, "--functions", FUNCTIONS, environment=environment) as running:
        yield running


def machine_for(sfn: Any, name: str, activity: str, **fields: Any) -> str:
    definition = {
        "StartAt": "Work",
        "States": {"Work": {"Type": "Task", "Resource": activity, "End": True, **fields}},
    }
    created = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)
    return str(created["stateMachineArn"])


class Worker(threading.Thread):
    """An activity worker as people write them: poll, heartbeat, answer; ``neglect`` takes a
    task and never answers it."""

    def __init__(self, server: Server, activity: str, tasks: int) -> None:
        super().__init__(name="activity-worker", daemon=True)
        self.sfn = server.client()
        self.activity = activity
        self.tasks = tasks
        self.empty_polls = 0
        self.errors: list[BaseException] = []

    def run(self) -> None:
        try:
            done = 0
            deadline = time.monotonic() + 60
            while done < self.tasks and time.monotonic() < deadline:
                task = self.sfn.get_activity_task(activityArn=self.activity, workerName="e2e")
                if not task.get("taskToken"):
                    self.empty_polls += 1
                    continue
                self.work(task["taskToken"], json.loads(task["input"]))
                done += 1
        except BaseException as error:  # reported by the test
            self.errors.append(error)

    def work(self, token: str, request: dict[str, Any]) -> None:
        if request.get("neglect"):
            return
        self.sfn.send_task_heartbeat(taskToken=token)
        time.sleep(0.2)
        self.sfn.send_task_heartbeat(taskToken=token)
        if request.get("fail"):
            self.sfn.send_task_failure(
                taskToken=token, error="Reviewer.Rejected", cause=f"doc {request['doc']}"
            )
        else:
            self.sfn.send_task_success(
                taskToken=token, output=json.dumps({"reviewed": request["doc"]})
            )


def history(sfn: Any, arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = sfn.get_execution_history(executionArn=arn)["events"]
    assert [event["id"] for event in events] == list(range(1, len(events) + 1))
    return events


def shapes(events: list[dict[str, Any]]) -> list[tuple[str, int, dict[str, Any] | None]]:
    """(type, previous id, details) of each event from the Task's scheduling on."""
    found = []
    for event in events[2:]:
        key = next((name for name in event if name.endswith("EventDetails")), None)
        found.append((event["type"], event["previousEventId"], event.get(key) if key else None))
    return found


def test_a_worker_polls_heartbeats_and_answers_success_and_failure(
    sfn: Any, server: Server
) -> None:
    activity = sfn.create_activity(name="review")["activityArn"]
    assert activity == f"arn:aws:states:us-east-1:{ACCOUNT}:activity:review"
    machine = machine_for(sfn, "reviews", activity, TimeoutSeconds=30, HeartbeatSeconds=5)
    worker = Worker(server, activity, tasks=2)
    worker.start()
    ok = sfn.start_execution(stateMachineArn=machine, input='{"doc": 1}')["executionArn"]
    failed = sfn.start_execution(stateMachineArn=machine, input='{"doc": 2, "fail": true}')
    worker.join(timeout=60)
    assert not worker.errors, worker.errors
    described = wait_until_ended(sfn, ok)
    assert (described["status"], json.loads(described["output"])) == (
        "SUCCEEDED",
        {"reviewed": 1},
    )
    assert shapes(history(sfn, ok)) == [
        (
            "ActivityScheduled",
            2,
            {
                "resource": activity,
                "input": '{"doc":1}',
                "inputDetails": {"truncated": False},
                "timeoutInSeconds": 30,
                "heartbeatInSeconds": 5,
            },
        ),
        ("ActivityStarted", 3, {"workerName": "e2e"}),
        (
            "ActivitySucceeded",
            4,
            {"output": '{"reviewed":1}', "outputDetails": {"truncated": False}},
        ),
        (
            "TaskStateExited",
            5,
            {"name": "Work", "output": '{"reviewed":1}', "outputDetails": {"truncated": False}},
        ),
        (
            "ExecutionSucceeded",
            6,
            {"output": '{"reviewed":1}', "outputDetails": {"truncated": False}},
        ),
    ]
    ended = wait_until_ended(sfn, failed["executionArn"])
    assert (ended["status"], ended["error"], ended["cause"]) == (
        "FAILED",
        "Reviewer.Rejected",
        "doc 2",
    )
    assert shapes(history(sfn, failed["executionArn"]))[1:] == [
        ("ActivityStarted", 3, {"workerName": "e2e"}),
        ("ActivityFailed", 4, {"error": "Reviewer.Rejected", "cause": "doc 2"}),
        ("ExecutionFailed", 5, {"error": "Reviewer.Rejected", "cause": "doc 2"}),
    ]


def test_a_neglected_task_times_out_by_its_heartbeat_seconds(sfn: Any, server: Server) -> None:
    activity = sfn.create_activity(name="neglected")["activityArn"]
    machine = machine_for(sfn, "neglects", activity, HeartbeatSeconds=1)
    arn = sfn.start_execution(stateMachineArn=machine, input='{"neglect": true}')["executionArn"]
    worker = Worker(server, activity, tasks=1)
    worker.start()
    worker.join(timeout=30)
    assert not worker.errors, worker.errors
    ended = wait_until_ended(sfn, arn, timeout=30)
    assert (ended["status"], ended["error"]) == ("FAILED", "States.Timeout")
    assert shapes(history(sfn, arn))[1:] == [
        ("ActivityStarted", 3, {"workerName": "e2e"}),
        ("ActivityTimedOut", 4, {"error": "States.Timeout"}),
        ("ExecutionFailed", 5, {"error": "States.Timeout"}),
    ]
    started, timed_out = history(sfn, arn)[3:5]
    assert 0.9 <= (timed_out["timestamp"] - started["timestamp"]).total_seconds() < 10


def test_the_activity_apis_answer_as_aws(sfn: Any) -> None:
    created = sfn.create_activity(name="catalogued", tags=[{"key": "k", "value": "v"}])
    arn = created["activityArn"]
    assert sfn.create_activity(name="catalogued")["creationDate"] == created["creationDate"]
    described = sfn.describe_activity(activityArn=arn)
    assert (described["name"], described["creationDate"]) == ("catalogued", created["creationDate"])
    names = [item["name"] for item in sfn.list_activities()["activities"]]
    assert "catalogued" in names
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "k", "value": "v"}]
    began = time.monotonic()
    empty = sfn.get_activity_task(activityArn=arn, workerName="idle")
    assert empty.get("taskToken") is None
    assert POLL_SECONDS * 0.8 <= time.monotonic() - began < 10
    sfn.delete_activity(activityArn=arn)

    def error_of(call: Any, **parameters: Any) -> tuple[str, str]:
        with pytest.raises(ClientError) as refused:
            call(**parameters)
        error = refused.value.response["Error"]
        return error["Code"], error["Message"]

    assert error_of(sfn.describe_activity, activityArn=arn) == (
        "ActivityDoesNotExist",
        f"Activity Does Not Exist: '{arn}'",
    )
    assert error_of(sfn.get_activity_task, activityArn=arn) == (
        "ActivityDoesNotExist",
        f"Activity Does Not Exist: '{arn}'",
    )
    assert error_of(sfn.create_activity, name="bad name") == (
        "InvalidName",
        "Invalid Name: 'bad name'",
    )
    assert error_of(sfn.describe_activity, activityArn="no_an_activity_arn") == (
        "InvalidArn",
        "Invalid Arn: 'Invalid ARN prefix: no_an_activity_arn'",
    )
    assert error_of(sfn.send_task_success, taskToken="not-a-token", output="{}")[0] == (
        "InvalidToken"
    )


def test_long_polls_hold_no_thread(tmp_path: Path) -> None:
    """More workers poll at once than the server has threads (Starlette's pool has 40): while
    every poll still waits, other requests are answered, and a task that comes goes to one
    of the waiting workers."""
    workers = 100
    environment = {"STEPLINE_ACTIVITY_POLL_SECONDS": "20"}
    with running_server(tmp_path, "--functions", FUNCTIONS, environment=environment) as server:
        sfn = server.client()
        activity = sfn.create_activity(name="crowded")["activityArn"]
        machine = machine_for(sfn, "crowded-machine", activity)

        async def crowd() -> tuple[list[dict[str, Any]], bool]:
            headers = {"Content-Type": "application/x-amz-json-1.0"}
            limits = httpx.Limits(max_connections=workers + 10)
            async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as http:

                async def call(action: str, body: dict[str, Any]) -> dict[str, Any]:
                    target = {"X-Amz-Target": f"AWSStepFunctions.{action}"}
                    answer = await http.post("/", json=body, headers={**headers, **target})
                    assert answer.status_code == 200, answer.text
                    result: dict[str, Any] = answer.json()
                    return result

                polls = [
                    asyncio.create_task(call("GetActivityTask", {"activityArn": activity}))
                    for _ in range(workers)
                ]
                await asyncio.sleep(1)  # every poll has reached the server and waits
                described = await call("DescribeActivity", {"activityArn": activity})
                all_waiting = described["name"] == "crowded" and not any(
                    poll.done() for poll in polls
                )
                await call("StartExecution", {"stateMachineArn": machine, "input": "{}"})
                done, pending = await asyncio.wait(polls, return_when=asyncio.FIRST_COMPLETED)
                for poll in pending:
                    poll.cancel()
                return [poll.result() for poll in done], all_waiting

        answered, all_waiting = asyncio.run(crowd())
        assert all_waiting
        assert [json.loads(task["input"]) for task in answered] == [{}]
