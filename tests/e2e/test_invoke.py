"""Synchronous workflows over plain HTTP against a real server: ``POST /invoke/<name>`` and the
routes of a configuration file (method, path with parameters, state machine), with the
answers a web back end relies on: the output (200), a failure (422), a timeout (504), a state
machine that does not exist (404), input that is not JSON (400)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.server import ROLE, Server, running_server

FUNCTIONS = str(Path(__file__).with_name("functions.py"))
DOUBLE = "arn:aws:lambda:us-east-1:123456789012:function:double"
FAIL = "arn:aws:lambda:us-east-1:123456789012:function:fail"

DOUBLED = {"n.$": "$.doubled"}
DOUBLING = {
    "StartAt": "Double",
    "States": {
        "Double": {"Type": "Task", "Resource": DOUBLE, "ResultSelector": DOUBLED, "Next": "Again"},
        "Again": {"Type": "Task", "Resource": DOUBLE, "ResultSelector": DOUBLED, "Next": "Done"},
        "Done": {"Type": "Pass", "End": True},
    },
}  # fmt: skip
FAILING = {"StartAt": "Fail", "States": {"Fail": {"Type": "Task", "Resource": FAIL, "End": True}}}
SLOW = {
    "TimeoutSeconds": 1,
    "StartAt": "Pause",
    "States": {"Pause": {"Type": "Wait", "Seconds": 5, "End": True}},
}
ECHO = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}

CONFIG = """
[[route]]
method = "POST"
path = "/orders/checkout"
state_machine = "doubling:live"

[[route]]
method = "GET"
path = "/orders/{order_id}"
state_machine = "echo"
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("invoke")
    config = directory / "stepline.toml"
    config.write_text(CONFIG)
    arguments = ("--functions", FUNCTIONS, "--config", str(config))
    with running_server(directory, *arguments) as running:
        sfn = running.client()
        for name, definition in (
            ("doubling", DOUBLING),
            ("failing", FAILING),
            ("slow", SLOW),
            ("echo", ECHO),
        ):
            arn = sfn.create_state_machine(
                name=name, definition=json.dumps(definition), roleArn=ROLE, type="EXPRESS"
            )["stateMachineArn"]
            if name == "doubling":
                version = sfn.publish_state_machine_version(stateMachineArn=arn)
                sfn.create_state_machine_alias(
                    name="live",
                    routingConfiguration=[
                        {"stateMachineVersionArn": version["stateMachineVersionArn"], "weight": 100}
                    ],
                )
        sfn.create_state_machine(name="standard", definition=json.dumps(ECHO), roleArn=ROLE)
        yield running


def post(server: Server, path: str, body: Any = None, **options: Any) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(f"{server.url}{path}", content=content, timeout=30, **options)


def test_a_workflow_answers_with_its_output(server: Server) -> None:
    answer = post(server, "/invoke/doubling", {"n": 5})
    assert (answer.status_code, answer.json()) == (200, {"n": 20})
    assert answer.headers["content-type"] == "application/json"
    by_alias = post(server, "/invoke/doubling:live", {"n": 1})
    assert (by_alias.status_code, by_alias.json()) == (200, {"n": 4})


def test_failures_timeouts_and_mistakes_have_their_statuses(server: Server) -> None:
    failed = post(server, "/invoke/failing", {"message": "out of stock"})
    assert failed.status_code == 422
    assert failed.json()["error"] == "ValueError"
    assert "out of stock" in failed.json()["cause"]
    assert failed.json()["status"] == "FAILED"
    timed_out = post(server, "/invoke/slow", {})
    assert (timed_out.status_code, timed_out.json()["status"]) == (504, "TIMED_OUT")
    assert timed_out.json()["error"] == "States.Timeout"
    missing = post(server, "/invoke/nowhere", {})
    assert (missing.status_code, missing.json()["error"]) == (404, "StateMachineDoesNotExist")
    not_json = post(server, "/invoke/doubling", b'{"n": ')
    assert (not_json.status_code, not_json.json()["error"]) == (400, "InvalidExecutionInput")
    not_utf8 = post(server, "/invoke/doubling", b'{"n": "\xff"}')
    assert (not_utf8.status_code, not_utf8.json()["error"]) == (400, "InvalidExecutionInput")
    standard = post(server, "/invoke/standard", {})
    assert (standard.status_code, standard.json()["error"]) == (
        400,
        "StateMachineTypeNotSupported",
    )
    empty = post(server, "/invoke/echo", b"")
    assert (empty.status_code, empty.json()) == (200, {})


def test_configured_routes_run_their_workflows(server: Server) -> None:
    checkout = post(server, "/orders/checkout", {"n": 3})
    assert (checkout.status_code, checkout.json()) == (200, {"n": 12})
    # Without a body, the input is the path parameters and query string.
    order = httpx.get(f"{server.url}/orders/42?verbose=1", timeout=30)
    assert (order.status_code, order.json()) == (200, {"order_id": "42", "verbose": "1"})
    wrong_method = httpx.put(f"{server.url}/orders/42", timeout=30)
    assert wrong_method.status_code == 405
    # The AWS API and /invoke still answer beside them.
    assert post(server, "/invoke/echo", {"a": 1}).json() == {"a": 1}
    assert server.client().list_state_machines()["stateMachines"]


@pytest.mark.parametrize(
    ("config", "line"),
    [
        (
            '[[route]]\npath = "/health"\nstate_machine = "x"\n',
            "route 1: path /health is the server's own",
        ),
        (
            '[[route]]\npath = "orders"\nstate_machine = "x"\n',
            "route 1: path must be a URL path starting with '/', not 'orders'",
        ),
        (
            '[[route]]\nmethod = "FETCH"\npath = "/a"\nstate_machine = "x"\n',
            "route 1: method must be one of GET, POST, PUT, PATCH, DELETE, not 'FETCH'",
        ),
        ('[[route]]\npath = "/a"\n', "route 1: state_machine must name a state machine"),
        (
            '[[route]]\npath = "/a"\nstate_machine = "x"\n[[route]]\npath = "/a"\n'
            'state_machine = "y"\n',
            "route 2: POST /a is routed twice",
        ),
        (
            '[[route]]\npath = "/a/{x}/{x}"\nstate_machine = "x"\n',
            "route 1: path parameters must be distinct names in braces",
        ),
        ('[[route]]\npath = "/a"\nmachine = "x"\n', "route 1: unknown key 'machine'"),
        ("prot = 8083\n", "unknown option 'prot'"),
    ],
)
def test_a_configuration_mistake_is_one_line(tmp_path: Path, config: str, line: str) -> None:
    path = tmp_path / "stepline.toml"
    path.write_text(config)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "stepline",
            "serve",
            "--config",
            str(path),
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"stepline serve: {path}: ")
    assert line in done.stderr
