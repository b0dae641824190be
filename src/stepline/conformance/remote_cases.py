"""Running execution cases through a Stepline server (``--endpoint URL``), with boto3.

Each case gets a state machine of its own (CreateStateMachine), is started as the recording's
test started it (StartExecution, or StartSyncExecution for the ``sync_execution`` kind), and
its description and history are read back with DescribeExecution and GetExecutionHistory,
page by page. The server must offer the recorded Lambda handlers' stand-ins: start it with
``--functions stepline.conformance.served_functions``. A case's Lambda functions are renamed
after their handler (``served_function_name``), so one server serves every case; the names are
masked in the comparison as the recordings masked theirs.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from stepline.conformance import activity_workers
from stepline.conformance.cases import Case
from stepline.conformance.functions import HANDLERS
from stepline.conformance.outcomes import terminal_event
from stepline.conformance.substitutions import Names

_CASE_NUMBERS = itertools.count(1)
# State machines of one run are named apart from an earlier run's on the same server.
_RUN = uuid.uuid4().hex[:8]
_FINISHED_WAIT_SECONDS = 120.0
_RUNNING_WAIT_SECONDS = 3.0


def unique_name(base: str) -> str:
    """A state machine name no other case of any run on the same server has."""
    return f"{base}_{_RUN}_{next(_CASE_NUMBERS)}"


def served_function_name(handler_file: str, ordinal: int, length: int) -> str:
    """The name a handler's stand-in is served under, as long as the name it replaces.

    ``sl``, the handler's letter, the ordinal among the case's functions with that handler,
    then zeros up to ``length``: a payload that quotes the name keeps its size, and no name is
    a prefix of another's.
    """
    code = f"sl{_HANDLER_LETTERS[PurePosixPath(handler_file).name]}{ordinal}"
    return code + "0" * (length - len(code))


_HANDLER_LETTERS = {name: chr(ord("a") + index) for index, name in enumerate(sorted(HANDLERS))}
SERVED_NAME_LENGTHS = range(4, 65)  # Lambda function names are 1 to 64 characters long


def renamed_functions(case: Case) -> dict[str, str]:
    """Each Lambda function name of the case, mapped to the served name standing in for it."""
    seen: dict[str, int] = {}
    renamed: dict[str, str] = {}
    for entry in case.record.get("lambda_functions") or []:
        name, handler = str(entry["name"]), str(entry["handler_file"])
        seen[handler] = seen.get(handler, 0) + 1
        renamed[name] = served_function_name(handler, seen[handler], len(name))
    return renamed


def _rename(text: str, renamed: Mapping[str, str]) -> str:
    # Longest names first, so that no name is rewritten inside a longer one.
    for old in sorted(renamed, key=len, reverse=True):
        text = text.replace(old, renamed[old])
    return text


@dataclass
class Endpoint:
    """A boto3 client of one server, and the region and account its ARNs carry."""

    url: str
    client: Any = None
    region: str = "us-east-1"
    account: str | None = None
    clock_machine: str | None = None
    """An Express state machine whose output is the server's clock (``server_now``)."""

    def connect(self) -> Any:
        if self.client is None:
            self.client = client_for(self.url, self.region)
        return self.client


def client_for(url: str, region: str = "us-east-1") -> Any:
    """A Step Functions client of boto3 for ``url``, as a user would configure one."""
    import boto3  # noqa: PLC0415 - only the remote mode needs it
    from botocore.config import Config  # noqa: PLC0415

    config = Config(
        inject_host_prefix=False,  # StartSyncExecution's "sync-" host prefix: not on loopback
        retries={"max_attempts": 1},
        read_timeout=130,
        connect_timeout=5,
    )
    return boto3.client(
        "stepfunctions",
        endpoint_url=url,
        region_name=region,
        aws_access_key_id="stepline",
        aws_secret_access_key="stepline",
        config=config,
    )


def run_through_server(
    endpoint: Endpoint, case: Case, definition_text: str, names: Names
) -> tuple[dict[str, Any], list[dict[str, Any]], Names]:
    """Run the case on the server; (description, history events, the names used)."""
    client = endpoint.connect()
    renamed = renamed_functions(case)
    names = replace(
        names,
        state_machine_name=unique_name(names.state_machine_name),
        lambda_function_names=tuple(renamed.values()),
        shifted=_timestamps_from_server_now(endpoint, case, names.role_arn)
        + _activities_created(client, definition_text),
    )
    created = client.create_state_machine(
        name=names.state_machine_name,
        definition=_shift(_rename(definition_text, renamed), names.shifted),
        roleArn=names.role_arn,
        type=case.state_machine_type,
    )
    machine_arn = created["stateMachineArn"]
    names = _names_of(machine_arn, names)
    input_text = _shift(_rename(case.input_text, renamed), names.shifted)
    if case.kind == "sync_execution":
        answer = client.start_sync_execution(
            stateMachineArn=machine_arn, name=names.execution_name, input=input_text
        )
        return _plain(answer), [terminal_event(answer)], names
    workers = [
        activity_workers.ActivityWorker(client, created, case).start()
        for recorded, created in names.shifted
        if activity_workers.ACTIVITY_ARN.fullmatch(recorded)
    ]
    started = client.start_execution(
        stateMachineArn=machine_arn, name=names.execution_name, input=input_text
    )
    arn = started["executionArn"]
    described = _await_end(client, arn, case)
    events = _history(client, arn)
    for worker in workers:
        worker.stop()
    if described["status"] == "RUNNING":  # recorded while it ran: compared, now stopped
        with contextlib.suppress(client.exceptions.ClientError):
            client.stop_execution(executionArn=arn)
    return described, events, names


_CLOCK_DEFINITION = {
    "StartAt": "Now",
    "States": {
        "Now": {"Type": "Pass", "Parameters": {"now.$": "$$.State.EnteredTime"}, "End": True}
    },
}
_STAMP = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z?)")


def server_now(endpoint: Endpoint, role_arn: str) -> datetime:
    """The server's clock (which a time-skipping server moves ahead of the wall clock)."""
    client = endpoint.connect()
    if endpoint.clock_machine is None:
        created = client.create_state_machine(
            name=unique_name("clock"),
            definition=json.dumps(_CLOCK_DEFINITION),
            roleArn=role_arn,
            type="EXPRESS",
        )
        endpoint.clock_machine = created["stateMachineArn"]
    answer = client.start_sync_execution(stateMachineArn=endpoint.clock_machine)
    return datetime.fromisoformat(json.loads(answer["output"])["now"].replace("Z", "+00:00"))


def _timestamps_from_server_now(
    endpoint: Endpoint, case: Case, role_arn: str
) -> tuple[tuple[str, str], ...]:
    """The case's timestamps derived from "now" (recorded at ``FROZEN_NOW``), each with its
    value regenerated from the server's clock, in the same form."""
    recorded = case.timestamps_from_now
    if not recorded:
        return ()
    now = server_now(endpoint, role_arn).replace(microsecond=0)
    return tuple(
        (value, _written_like(value, now + timedelta(seconds=offset))) for value, offset in recorded
    )


def _activities_created(client: Any, definition_text: str) -> tuple[tuple[str, str], ...]:
    """An activity of this server for each one the definition names: (recorded ARN, new)."""
    created = []
    for recorded in activity_workers.recorded_activities(definition_text):
        name = unique_name(recorded.rsplit(":", 1)[-1])[:80]
        created.append((recorded, str(client.create_activity(name=name)["activityArn"])))
    return tuple(created)


def _written_like(value: str, moment: datetime) -> str:
    """``moment`` as ``value`` is written: the same count of (zero) fractional digits, and a
    ``Z`` if it has one."""
    form = _STAMP.fullmatch(value)
    if form is None:
        return value
    fraction = form.group(2) or ""
    digits = "." + "0" * (len(fraction) - 1) if fraction else ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + digits + form.group(3)


def _shift(text: str, shifted: tuple[tuple[str, str], ...]) -> str:
    for old, new in shifted:
        text = text.replace(old, new)
    return text


def _names_of(machine_arn: str, names: Names) -> Names:
    """The region and account the server put in its ARNs."""
    parts = machine_arn.split(":")
    return replace(names, region=parts[3], account=parts[4])


def _await_end(client: Any, arn: str, case: Case) -> dict[str, Any]:
    """Poll DescribeExecution until the execution ends; for a case recorded while it still
    ran, until its history is as long as the recording's (or a short wait passed)."""
    expected_events = len(case.expected_history or [])
    still_running = case.expected.get("status") == "RUNNING"
    patience = _RUNNING_WAIT_SECONDS if still_running else _FINISHED_WAIT_SECONDS
    deadline = time.monotonic() + patience
    pause = 0.002
    while True:
        described: dict[str, Any] = _plain(client.describe_execution(executionArn=arn))
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            return described
        if still_running and len(_history(client, arn)) >= expected_events:
            return described
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def _history(client: Any, arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    pages = client.get_paginator("get_execution_history").paginate(
        executionArn=arn, PaginationConfig={"PageSize": 1000}
    )
    for page in pages:
        events.extend(_plain(event) for event in page["events"])
    return events


def _plain(value: Any) -> Any:
    """boto3's answer as the JSON protocol carried it: dates as epoch seconds, no metadata."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items() if key != "ResponseMetadata"}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
