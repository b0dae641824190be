"""Every operation of botocore's ``stepfunctions`` model, through boto3, the AWS CLI and the
AWS SDK for JavaScript v3, each unchanged, against one real server: state machines with
versions and weighted aliases, executions (asynchronous, synchronous, stopped, redriven), their
histories, activities with a worker, Map Runs, tags, TestState, and AWS's errors."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest

from tests.e2e.clients import CLIENTS, Client, Refused
from tests.e2e.server import ACCOUNT, ROLE, Server

DOUBLE = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:double"
MODEL_OPERATIONS = frozenset(
    botocore.session.get_session().get_service_model("stepfunctions").operation_names
)


def _definition(*states: tuple[str, dict[str, Any]]) -> str:
    named = dict(states)
    chained = {
        name: {**body, **({"Next": states[i + 1][0]} if i + 1 < len(states) else {"End": True})}
        for i, (name, body) in enumerate(named.items())
    }
    return json.dumps({"StartAt": states[0][0], "States": chained})


DOUBLING = _definition(("Double", {"Type": "Task", "Resource": DOUBLE}))
DOUBLING_AGAIN = _definition(
    ("Double", {"Type": "Task", "Resource": DOUBLE}), ("Done", {"Type": "Pass"})
)
WAITING = _definition(("Nap", {"Type": "Wait", "Seconds": 3600}))
MAPPING = _definition(
    (
        "Each",
        {
            "Type": "Map",
            "ItemsPath": "$.items",
            "MaxConcurrency": 1,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Pause",
                "States": {"Pause": {"Type": "Wait", "Seconds": 1, "End": True}},
            },
        },
    )
)


class Scenario:
    """One client's walk through the API; ``called`` collects the operations it used."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.prefix = client.name
        self.called: set[str] = set()

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        self.called.add(operation)
        return self.client.call(operation, params)

    def refused(self, operation: str, **params: Any) -> Refused:
        self.called.add(operation)
        with pytest.raises(Refused) as raised:
            self.client.call(operation, params)
        return raised.value

    def ended(self, execution_arn: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            described = self.call("DescribeExecution", executionArn=execution_arn)
            if described["status"] != "RUNNING":
                return described
            time.sleep(0.1)
        raise AssertionError(f"{execution_arn} is still running")

    def machine(self, suffix: str, definition: str, **options: Any) -> str:
        created = self.call(
            "CreateStateMachine",
            name=f"{self.prefix}-{suffix}",
            definition=definition,
            roleArn=ROLE,
            **options,
        )
        return str(created["stateMachineArn"])


@pytest.fixture(params=sorted(CLIENTS))
def scenario(request: pytest.FixtureRequest, server: Server) -> Iterator[Scenario]:
    try:
        client = CLIENTS[request.param](server)
    except RuntimeError as missing:
        pytest.fail(str(missing))  # the test command installs every client
    walk = Scenario(client)
    yield walk
    client.close()


def test_every_operation_of_the_model(scenario: Scenario) -> None:
    _definitions(scenario)
    machine, versions = _versions_and_aliases(scenario)
    _executions(scenario, machine)
    _synchronous_express(scenario)
    _stop_and_redrive(scenario)
    _activities(scenario)
    _tags(scenario, machine)
    _errors(scenario, machine)
    _deletions(scenario, machine, versions)
    _map_runs(scenario)
    assert scenario.called == MODEL_OPERATIONS, MODEL_OPERATIONS - scenario.called
    assert len(MODEL_OPERATIONS) == 37


def _definitions(s: Scenario) -> None:
    valid = s.call("ValidateStateMachineDefinition", definition=DOUBLING)
    assert (valid["result"], valid["diagnostics"]) == ("OK", [])
    invalid = s.call("ValidateStateMachineDefinition", definition='{"StartAt": "Nowhere"}')
    assert invalid["result"] == "FAIL"
    assert invalid["diagnostics"][0]["code"] == "SCHEMA_VALIDATION_FAILED"
    tested = s.call(
        "TestState",
        definition=json.dumps(
            {"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.a, 1)"}, "End": True}
        ),
        input='{"a": 41}',
    )
    assert (tested["status"], json.loads(tested["output"])) == ("SUCCEEDED", {"sum": 42})


def _versions_and_aliases(s: Scenario) -> tuple[str, list[str]]:
    machine = s.machine("main", DOUBLING, tags=[{"key": "team", "value": "orders"}])
    described = s.call("DescribeStateMachine", stateMachineArn=machine)
    assert (described["name"], described["status"], described["type"]) == (
        f"{s.prefix}-main",
        "ACTIVE",
        "STANDARD",
    )
    listed = s.call("ListStateMachines", maxResults=1000)["stateMachines"]
    assert machine in [item["stateMachineArn"] for item in listed]
    first = s.call("PublishStateMachineVersion", stateMachineArn=machine, description="first")
    updated = s.call(
        "UpdateStateMachine",
        stateMachineArn=machine,
        definition=DOUBLING_AGAIN,
        publish=True,
        versionDescription="second",
    )
    versions = [first["stateMachineVersionArn"], updated["stateMachineVersionArn"]]
    assert versions == [f"{machine}:1", f"{machine}:2"]
    listed_versions = s.call("ListStateMachineVersions", stateMachineArn=machine)
    assert (
        sorted(item["stateMachineVersionArn"] for item in listed_versions["stateMachineVersions"])
        == versions
    )
    alias = s.call(
        "CreateStateMachineAlias",
        name="live",
        routingConfiguration=[{"stateMachineVersionArn": versions[0], "weight": 100}],
    )["stateMachineAliasArn"]
    assert alias == f"{machine}:live"
    s.call(
        "UpdateStateMachineAlias",
        stateMachineAliasArn=alias,
        description="all on the second",
        routingConfiguration=[{"stateMachineVersionArn": versions[1], "weight": 100}],
    )
    described_alias = s.call("DescribeStateMachineAlias", stateMachineAliasArn=alias)
    assert described_alias["routingConfiguration"] == [
        {"stateMachineVersionArn": versions[1], "weight": 100}
    ]
    aliases = s.call("ListStateMachineAliases", stateMachineArn=machine)["stateMachineAliases"]
    assert [item["stateMachineAliasArn"] for item in aliases] == [alias]
    return machine, versions


def _executions(s: Scenario, machine: str) -> None:
    started = s.call(
        "StartExecution", stateMachineArn=f"{machine}:live", input='{"n": 21}', name="first"
    )
    execution = started["executionArn"]
    described = s.ended(execution)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"doubled": 42}
    assert described["stateMachineAliasArn"] == f"{machine}:live"
    assert described["stateMachineVersionArn"] == f"{machine}:2"
    for_execution = s.call("DescribeStateMachineForExecution", executionArn=execution)
    assert for_execution["definition"] == DOUBLING_AGAIN
    listed = s.call("ListExecutions", stateMachineArn=machine, statusFilter="SUCCEEDED")
    assert [item["name"] for item in listed["executions"]] == ["first"]
    page = s.call("GetExecutionHistory", executionArn=execution, maxResults=2, reverseOrder=True)
    assert [event["type"] for event in page["events"]] == ["ExecutionSucceeded", "PassStateExited"]
    rest = s.call(
        "GetExecutionHistory",
        executionArn=execution,
        maxResults=100,
        reverseOrder=True,
        nextToken=page["nextToken"],
        includeExecutionData=False,
    )
    ids = [event["id"] for event in page["events"] + rest["events"]]
    assert ids == list(range(len(ids), 0, -1))
    assert "input" not in rest["events"][-1]["executionStartedEventDetails"]


def _synchronous_express(s: Scenario) -> None:
    machine = s.machine("quick", DOUBLING, type="EXPRESS")
    answer = s.call("StartSyncExecution", stateMachineArn=machine, input='{"n": 4}')
    assert (answer["status"], json.loads(answer["output"])) == ("SUCCEEDED", {"doubled": 8})
    failed = s.call("StartSyncExecution", stateMachineArn=machine, input='{"m": 4}')
    assert (failed["status"], failed["error"]) == ("FAILED", "KeyError")


def _stop_and_redrive(s: Scenario) -> None:
    machine = s.machine("waiting", WAITING)
    execution = s.call("StartExecution", stateMachineArn=machine, input="{}")["executionArn"]
    s.call("StopExecution", executionArn=execution, error="Enough", cause="a test")
    stopped = s.call("DescribeExecution", executionArn=execution)
    assert (stopped["status"], stopped["error"], stopped["cause"]) == (
        "ABORTED",
        "Enough",
        "a test",
    )
    s.call("RedriveExecution", executionArn=execution)
    redriven = s.call("DescribeExecution", executionArn=execution)
    assert (redriven["status"], redriven["redriveCount"]) == ("RUNNING", 1)
    s.call("StopExecution", executionArn=execution)
    assert s.ended(execution)["status"] == "ABORTED"


def _activities(s: Scenario) -> None:
    activity = s.call("CreateActivity", name=f"{s.prefix}-approve")["activityArn"]
    assert s.call("DescribeActivity", activityArn=activity)["name"] == f"{s.prefix}-approve"
    listed = s.call("ListActivities", maxResults=1000)["activities"]
    assert activity in [item["activityArn"] for item in listed]
    task = {"Type": "Task", "Resource": activity, "TimeoutSeconds": 60, "HeartbeatSeconds": 30}
    machine = s.machine("approval", _definition(("Approve", task)))
    executions = [
        s.call("StartExecution", stateMachineArn=machine, input=json.dumps({"order": n}))[
            "executionArn"
        ]
        for n in (1, 2)
    ]
    first = s.call("GetActivityTask", activityArn=activity, workerName="worker-1")
    assert json.loads(first["input"]) == {"order": 1}
    s.call("SendTaskHeartbeat", taskToken=first["taskToken"])
    s.call("SendTaskSuccess", taskToken=first["taskToken"], output='{"approved": true}')
    second = s.call("GetActivityTask", activityArn=activity, workerName="worker-1")
    s.call("SendTaskFailure", taskToken=second["taskToken"], error="Refused", cause="too big")
    succeeded, failed = (s.ended(arn) for arn in executions)
    assert json.loads(succeeded["output"]) == {"approved": True}
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "Refused", "too big")
    late = s.refused("SendTaskSuccess", taskToken=first["taskToken"], output="{}")
    assert late.code == "TaskTimedOut"
    s.call("DeleteActivity", activityArn=activity)


def _map_runs(s: Scenario) -> None:
    machine = s.machine("mapping", MAPPING)
    execution = s.call("StartExecution", stateMachineArn=machine, input='{"items": [1, 2, 3]}')[
        "executionArn"
    ]
    deadline = time.monotonic() + 30
    runs: list[dict[str, Any]] = []
    while not runs and time.monotonic() < deadline:
        runs = s.call("ListMapRuns", executionArn=execution)["mapRuns"]
    assert len(runs) == 1
    run = runs[0]["mapRunArn"]
    # One item at a time, a second each: the Map Run is still running when it is updated.
    s.call("UpdateMapRun", mapRunArn=run, maxConcurrency=3, toleratedFailureCount=1)
    updated = s.call("DescribeMapRun", mapRunArn=run)
    assert (updated["maxConcurrency"], updated["toleratedFailureCount"]) == (3, 1)
    assert json.loads(s.ended(execution)["output"]) == [1, 2, 3]
    described = s.call("DescribeMapRun", mapRunArn=run)
    assert (described["status"], described["maxConcurrency"]) == ("SUCCEEDED", 3)
    assert described["itemCounts"]["succeeded"] == 3
    refused = s.refused("UpdateMapRun", mapRunArn=run, maxConcurrency=1)
    assert refused.code == "ValidationException"


def _tags(s: Scenario, machine: str) -> None:
    s.call("TagResource", resourceArn=machine, tags=[{"key": "tier", "value": "gold"}])
    tags = s.call("ListTagsForResource", resourceArn=machine)["tags"]
    assert sorted((tag["key"], tag["value"]) for tag in tags) == [
        ("team", "orders"),
        ("tier", "gold"),
    ]
    s.call("UntagResource", resourceArn=machine, tagKeys=["team"])
    assert s.call("ListTagsForResource", resourceArn=machine)["tags"] == [
        {"key": "tier", "value": "gold"}
    ]


def _errors(s: Scenario, machine: str) -> None:
    missing = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:{s.prefix}-nowhere"
    refusal = s.refused("DescribeStateMachine", stateMachineArn=missing)
    assert (refusal.code, refusal.message) == (
        "StateMachineDoesNotExist",
        f"State Machine Does Not Exist: '{missing}'",
    )
    refusal = s.refused("StartExecution", stateMachineArn=machine, input="not json")
    assert refusal.code == "InvalidExecutionInput"
    assert refusal.message.startswith("Invalid State Machine Execution Input: 'Unrecognized token")
    refusal = s.refused("StartExecution", stateMachineArn=machine, input="{}", name="first")
    assert refusal.code == "ExecutionAlreadyExists"
    refusal = s.refused(
        "CreateStateMachine",
        name=f"{s.prefix}-broken",
        definition=_definition(
            ("Typo", {"Type": "Task", "Resource": "arn:aws:states:::lamda:invoke"})
        ),
        roleArn=ROLE,
    )
    assert refusal.code == "InvalidDefinition"
    assert "lamda:invoke is not recognized" in refusal.message
    refusal = s.refused("GetExecutionHistory", executionArn="not-an-arn")
    assert (refusal.code, refusal.message) == (
        "InvalidArn",
        "Invalid Arn: 'Invalid ARN prefix: not-an-arn'",
    )
    refusal = s.refused("ListExecutions", stateMachineArn=machine, maxResults=1001)
    assert refusal.code == "ValidationException"


def _deletions(s: Scenario, machine: str, versions: list[str]) -> None:
    refusal = s.refused("DeleteStateMachineVersion", stateMachineVersionArn=versions[1])
    assert refusal.code == "ConflictException"  # the alias still routes to it
    s.call("DeleteStateMachineAlias", stateMachineAliasArn=f"{machine}:live")
    s.call("DeleteStateMachineVersion", stateMachineVersionArn=versions[0])
    remaining = s.call("ListStateMachineVersions", stateMachineArn=machine)
    assert [item["stateMachineVersionArn"] for item in remaining["stateMachineVersions"]] == [
        versions[1]
    ]
    s.call("DeleteStateMachine", stateMachineArn=machine)
    refusal = s.refused("DescribeStateMachine", stateMachineArn=machine)
    assert refusal.code == "StateMachineDoesNotExist"
