"""The server killed with SIGKILL, three times, while clients are starting executions through
the API: Standard starts applied in the request's thread (ADR 0011), one machine that ends in
its start's own commit and one whose start dispatches a Task, and asynchronous Express starts.

A client whose answer was lost starts again under the same name and input, as AWS lets it (a
Standard start is idempotent while its execution runs; one that has ended answers
ExecutionAlreadyExists, which here means the first try was committed). Then: every Standard
execution that exists was started by a client, ended once, SUCCEEDED with its right output,
with ids 1..n and each state entered once; every Express start that was answered ran to its
right output (at least once, as on AWS).
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import FUNCTIONS
from tests.e2e.server import ACCOUNT, ROLE, Server, free_port, retrying, start_server

pytestmark = pytest.mark.slow

CLIENTS = 3
KILLS = 3
DOUBLE = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:double"

INSTANT = {  # ends in the commit of its start
    "StartAt": "Shape",
    "States": {
        "Shape": {"Type": "Pass", "Parameters": {"n.$": "$.n"}, "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}
WORKING = {  # its start dispatches a Task to the node's workers
    "StartAt": "Double",
    "States": {
        "Double": {"Type": "Task", "Resource": DOUBLE, "Next": "Nap"},
        "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
        "Done": {"Type": "Pass", "End": True},
    },
}
STATES = {"instant": ("Shape", "Done"), "working": ("Double", "Nap", "Done")}


_CLIENTS_MADE = threading.Lock()


def expected(machine: str, number: int) -> dict[str, Any]:
    return {"n": number} if machine == "instant" else {"doubled": 2 * number}


class Client(threading.Thread):
    """Starts executions one after another, each until it has an answer, until told to
    stop."""

    def __init__(
        self, index: int, machines: dict[str, str], server: list[Server], stop: threading.Event
    ) -> None:
        super().__init__(name=f"client-{index}", daemon=True)
        self.index = index
        self.machines = machines
        self.server = server
        self.stop = stop
        self.started: dict[str, tuple[str, int]] = {}
        """ARN: (machine, number) of every start that was answered."""
        self.retried = 0
        """Starts tried again after a broken connection or a refused one."""
        self.failure: BaseException | None = None
        self._client: tuple[Server, Any] | None = None

    def client(self) -> Any:
        """A client of the server now running (boto3's default session is not safe to make
        clients from in several threads at once)."""
        server = self.server[0]
        if self._client is None or self._client[0] is not server:
            with _CLIENTS_MADE:
                # No retry of botocore's own: a start sent again after a broken connection must be
                # this test's, so that it knows a repeated name is its own first try.
                self._client = (server, server.client(retries={"total_max_attempts": 1}))
        return self._client[1]

    def run(self) -> None:
        number = 0
        try:
            while not self.stop.is_set():
                number += 1
                machine = ("instant", "working", "express")[number % 3]
                name = f"c{self.index}-{number}"
                self.started[self._start(machine, name, number)] = (machine, number)
        except BaseException as failure:
            self.failure = failure

    def _start(self, machine: str, name: str, number: int) -> str:
        arguments = {
            "stateMachineArn": self.machines[machine],
            "name": name,
            "input": json.dumps({"n": number}),
        }
        deadline = time.monotonic() + 90
        tries = 0
        while True:
            tries += 1
            try:
                return str(self.client().start_execution(**arguments)["executionArn"])
            except ClientError as error:
                code = error.response["Error"]["Code"]
                standard = machine != "express"
                if code == "ExecutionAlreadyExists" and standard and tries > 1:
                    # The first try was committed and has ended since.
                    return self.machines[machine].replace(":stateMachine:", ":execution:") + (
                        f":{name}"
                    )
                raise
            except Exception:
                if time.monotonic() > deadline:
                    raise
                self.retried += 1
                time.sleep(0.1)


@pytest.fixture(params=["sqlite", "postgresql"])
def arguments(request: pytest.FixtureRequest) -> list[str]:
    """``stepline serve``'s arguments: the default SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        return ["--functions", FUNCTIONS]
    return ["--functions", FUNCTIONS, "--database", request.getfixturevalue("postgres_url")]


@pytest.fixture
def server_holder(tmp_path: Path, arguments: list[str]) -> Iterator[list[Server]]:
    """The running server, in a list that a restart updates for every thread."""
    holder = [start_server(tmp_path, *arguments, port=free_port())]
    yield holder
    if holder[0].process.poll() is None:
        holder[0].stop()
    print(holder[0].logs()[-3000:])


def test_starts_survive_three_kills_of_the_server(
    server_holder: list[Server], arguments: list[str], tmp_path: Path
) -> None:
    seed = int(os.environ.get("STEPLINE_START_CRASH_SEED", str(random.randrange(10**6))))
    print(f"STEPLINE_START_CRASH_SEED={seed}")
    moments = random.Random(seed)
    sfn = server_holder[0].client()
    machines = {
        name: sfn.create_state_machine(
            name=name, definition=json.dumps(definition), roleArn=ROLE, type=kind
        )["stateMachineArn"]
        for name, definition, kind in (
            ("instant", INSTANT, "STANDARD"),
            ("working", WORKING, "STANDARD"),
            ("express", WORKING, "EXPRESS"),
        )
    }
    stop = threading.Event()
    clients = [Client(index, machines, server_holder, stop) for index in range(CLIENTS)]
    for client in clients:
        client.start()
    port = int(server_holder[0].url.rsplit(":", 1)[1])
    for _ in range(KILLS):
        time.sleep(moments.uniform(0.2, 1.5))
        server_holder[0].kill()
        server_holder[0] = start_server(tmp_path, *arguments, port=port)
    time.sleep(0.3)
    stop.set()
    for client in clients:
        client.join(timeout=120)
        assert client.failure is None, repr(client.failure)
    started = {arn: what for client in clients for arn, what in client.started.items()}
    retried = sum(client.retried for client in clients)
    print(f"{len(started)} starts answered, {retried} tried again")
    assert retried >= KILLS, "the kills met no start in flight: the test proved nothing"
    sfn = server_holder[0].client()
    _await_endings(sfn, started)
    problems = []
    for arn, (machine, number) in started.items():
        described = retrying(sfn.describe_execution, executionArn=arn)
        output = json.loads(described.get("output") or "null")
        if (described["status"], output) != ("SUCCEEDED", expected(machine, number)):
            problems.append(f"{arn}: {described['status']} {output}")
        elif machine != "express":
            problems += [f"{arn}: {problem}" for problem in _history_problems(sfn, arn, machine)]
    for machine in ("instant", "working"):
        listed = _listed(sfn, machines[machine])
        unknown = listed - started.keys()
        assert unknown == set(), f"executions no client started: {sorted(unknown)[:5]}"
    assert problems == [], "\n".join(problems[:20])


def _await_endings(sfn: Any, started: dict[str, tuple[str, int]]) -> None:
    deadline = time.monotonic() + 120
    waiting = set(started)
    while waiting and time.monotonic() < deadline:
        for arn in list(waiting):
            if retrying(sfn.describe_execution, executionArn=arn)["status"] != "RUNNING":
                waiting.discard(arn)
        time.sleep(0.2)
    assert waiting == set(), f"{len(waiting)} executions never ended: {sorted(waiting)[:5]}"


def _history_problems(sfn: Any, arn: str, machine: str) -> list[str]:
    events = retrying(sfn.get_execution_history, executionArn=arn, maxResults=1000)["events"]
    problems = []
    if [event["id"] for event in events] != list(range(1, len(events) + 1)):
        problems.append("event ids are not 1..n")
    endings = [event["type"] for event in events if event["type"].startswith("Execution")][1:]
    if endings != ["ExecutionSucceeded"] or events[-1]["type"] != "ExecutionSucceeded":
        problems.append(f"endings {endings}")
    entered = [
        event["stateEnteredEventDetails"]["name"]
        for event in events
        if event["type"].endswith("StateEntered")
    ]
    if tuple(entered) != STATES[machine]:
        problems.append(f"states entered {entered}")
    return problems


def _listed(sfn: Any, machine: str) -> set[str]:
    arns: set[str] = set()
    token = None
    while True:
        page = retrying(
            sfn.list_executions,
            stateMachineArn=machine,
            maxResults=1000,
            **({"nextToken": token} if token else {}),
        )
        arns |= {execution["executionArn"] for execution in page["executions"]}
        token = page.get("nextToken")
        if not token:
            return arns
