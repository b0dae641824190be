"""Talking to a server: executions named by ARN or ``MACHINE:NAME``, and the failures a
request meets, each a one-line error with its exit status."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from stepline.cli.errors import ServerRefused, ServerUnreachable, UsageError
from stepline.cli.remote import Machine, Remote, execution_arn


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


NOWHERE = f"http://127.0.0.1:{closed_port()}"
"""An endpoint nothing listens on."""
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:orders"
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:orders:first"


def test_a_standard_execution_s_arn_is_built_from_its_machine_s() -> None:
    assert execution_arn(Machine(MACHINE), "first") == EXECUTION


def test_an_execution_arn_or_a_machine_arn_with_a_name_needs_no_request() -> None:
    remote = Remote(NOWHERE, None)  # nothing may be asked
    assert remote.execution(EXECUTION) == EXECUTION
    express = "arn:aws:states:us-east-1:123456789012:express:orders:first:4f0d"
    assert remote.execution(express) == express
    assert remote.execution(f"{MACHINE}:first") == EXECUTION
    assert remote.machine(MACHINE) == Machine(MACHINE)


@pytest.mark.parametrize("reference", ["first", "a:b:c", ":first", "orders:", MACHINE])
def test_a_reference_that_names_no_execution_is_a_usage_error(reference: str) -> None:
    with pytest.raises(UsageError, match="is not an execution: give its ARN or MACHINE:"):
        Remote(NOWHERE, None).execution(reference)


class NotStepFunctions(BaseHTTPRequestHandler):
    """A web server that is not a Step Functions API."""

    def do_POST(self) -> None:
        self.send_response(404)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html><body>Not Found</body></html>")

    def log_message(self, format: str, *arguments: object) -> None:
        pass


@pytest.fixture
def web_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), NotStepFunctions)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_an_answer_in_no_aws_shape_asks_whether_it_is_a_stepline_server(web_server: str) -> None:
    with pytest.raises(ServerRefused) as refused:
        Remote(web_server, None).call("list_state_machines")
    assert str(refused.value) == (
        f"HTTP 404: {web_server} answered, but not as a Step Functions API does: is it a "
        "Stepline server?"
    )


def test_an_endpoint_nobody_listens_on_is_unreachable() -> None:
    with pytest.raises(ServerUnreachable) as unreachable:
        Remote(NOWHERE, None).call("list_state_machines")
    assert str(unreachable.value).startswith(
        f"no Stepline server answers at {NOWHERE} (connection refused): start one"
    )


def test_a_parameter_botocore_refuses_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as refused:
        Remote(NOWHERE, None).call("start_execution", stateMachineArn="")
    assert str(refused.value) == (
        "Invalid length for parameter stateMachineArn, value: 0, valid min length: 1"
    )


def test_a_broken_aws_profile_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "stepline-no-such-profile")
    with pytest.raises(UsageError, match="the AWS settings are wrong: The config profile"):
        Remote(NOWHERE, None).call("list_state_machines")
