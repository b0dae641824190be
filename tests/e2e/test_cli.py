"""The ``stepline`` command against a real server, as a user runs it (a process of its own):
state machines created, updated, listed, described and deleted; executions started with
input from each source, waited for, watched, listed, described, stopped and redriven; their
histories; ``--output json``; the server's refusals and an unreachable server."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pty
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stepline.cli.main import main
from tests.e2e.server import ACCOUNT, Server, free_port, running_server

FUNCTIONS = '''
from pathlib import Path


def double(event, context):
    return {"doubled": event["n"] * 2}


def flaky(event, context):
    """Fails the first time it is called for a marker path, succeeds afterwards."""
    marker = Path(event["marker"])
    if not marker.exists():
        marker.write_text("called")
        raise ConnectionError("the first call fails")
    return {"attempt": "second"}


async def coroutine(event, context):
    return 1
'''

LAMBDA = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:"
ECHO = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}
STEPS = {
    "StartAt": "Nap",
    "States": {
        "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Double"},
        "Double": {"Type": "Task", "Resource": LAMBDA + "double", "Next": "Fan"},
        "Fan": {
            "Type": "Parallel",
            "Branches": [{"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "End": True}}}],
            "OutputPath": "$[0]",
            "End": True,
        },
    },
}
SLEEPER = {"StartAt": "Sleep", "States": {"Sleep": {"Type": "Wait", "Seconds": 600, "End": True}}}
FLAKY = {
    "StartAt": "Flaky",
    "States": {"Flaky": {"Type": "Task", "Resource": LAMBDA + "flaky", "End": True}},
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    here = tmp_path_factory.mktemp("cli")
    (here / "handlers.py").write_text(FUNCTIONS)
    for name, definition in [
        ("echo", ECHO),
        ("steps", STEPS),
        ("sleeper", SLEEPER),
        ("flaky", FLAKY),
    ]:
        (here / f"{name}.asl.json").write_text(json.dumps(definition))
    return here


@pytest.fixture(scope="module")
def server(workspace: Path) -> Iterator[Server]:
    with running_server(workspace, "--functions", str(workspace / "handlers.py")) as running:
        yield running


@dataclass(frozen=True)
class Shown:
    status: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@dataclass(frozen=True)
class Cli:
    """``stepline`` in the workspace, pointed at the test server: called in this process (the
    same code, without a second of interpreter start-up on these loaded machines) or, with
    ``process``, as a process of its own where the process itself matters (pipes, terminals,
    signals)."""

    workspace: Path
    endpoint: str

    def __call__(self, *arguments: str, stdin: str = "") -> Shown:
        out, err = io.StringIO(), io.StringIO()
        piped = io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8")
        with (
            _environment(STEPLINE_ENDPOINT=self.endpoint),
            contextlib.chdir(self.workspace),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            _standard_input(piped),
        ):
            try:
                status = main(list(arguments))
            except SystemExit as exited:  # argparse's --help and usage errors
                status = int(exited.code or 0)
        return Shown(status, out.getvalue(), err.getvalue())

    def environment(self) -> dict[str, str]:
        environment = {**os.environ, "STEPLINE_ENDPOINT": self.endpoint}
        environment.pop("STEPLINE_DEBUG", None)
        return environment

    def command(self, arguments: tuple[str, ...]) -> list[str]:
        return [sys.executable, "-m", "stepline", *arguments]

    def process(self, *arguments: str, stdin: str = "") -> Shown:
        done = subprocess.run(
            self.command(arguments),
            input=stdin.encode(),
            capture_output=True,
            cwd=self.workspace,
            env=self.environment(),
            timeout=120,
            check=False,
        )
        shown = Shown(done.returncode, done.stdout.decode(), done.stderr.decode())
        assert "Traceback" not in shown.err, shown.err
        return shown


@contextlib.contextmanager
def _environment(**variables: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _standard_input(stream: io.TextIOWrapper) -> Iterator[None]:
    saved = sys.stdin
    sys.stdin = stream
    try:
        yield
    finally:
        sys.stdin = saved


@pytest.fixture(scope="module")
def cli(workspace: Path, server: Server) -> Cli:
    return Cli(workspace, server.url)


@pytest.fixture(scope="module")
def machines(cli: Cli) -> dict[str, str]:
    """The state machines the tests share, by name: their ARNs."""
    created = {}
    for name in ("echo", "steps", "sleeper", "flaky"):
        shown = cli("machines", "create", f"{name}.asl.json")
        assert shown.status == 0, shown.err
        created[name] = shown.out.strip()
    return created


def machine_arn(name: str) -> str:
    return f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:{name}"


# State machines --------------------------------------------------------------------------------


def test_a_state_machine_is_created_from_a_file_named_after_it(
    cli: Cli, machines: dict[str, str]
) -> None:
    assert machines["echo"] == machine_arn("echo")
    listed = cli("machines", "list")
    assert listed.status == 0
    header, *rows = listed.out.splitlines()
    assert header.split() == ["NAME", "TYPE", "CREATED"]
    types = {row.split()[0]: row.split()[1] for row in rows}
    assert (types["echo"], types["steps"]) == ("STANDARD", "STANDARD")


def test_yaml_from_standard_input_with_substitutions(cli: Cli) -> None:
    yaml_text = "StartAt: Greet\nStates:\n  Greet:\n    Type: Pass\n    Result: ${Greeting}\n"
    yaml_text += "    End: true\n"
    shown = cli(
        "machines", "create", "-", "--name", "greeter", "--type", "express",
        "--substitution", "Greeting=hello", stdin=yaml_text,
    )  # fmt: skip
    assert (shown.status, shown.out, shown.err) == (0, machine_arn("greeter") + "\n", "")
    described = cli("machines", "describe", "greeter", "--output", "json").json()
    assert described["type"] == "EXPRESS"
    assert json.loads(described["definition"])["States"]["Greet"]["Result"] == "hello"
    # An Express execution waited for runs synchronously.
    assert cli("executions", "start", "greeter", "--wait").out == '"hello"\n'


def test_describe_update_and_delete(cli: Cli, workspace: Path) -> None:
    (workspace / "short-lived.json").write_text(json.dumps(ECHO))
    assert cli("machines", "create", "short-lived.json").status == 0
    described = cli("machines", "describe", "short-lived")
    fields = dict(line.split(None, 1) for line in described.out.split("\n\n")[0].splitlines())
    assert fields["ARN"] == machine_arn("short-lived")
    assert fields["Type"] == "STANDARD"
    assert json.loads(described.out.split("\n\n", 1)[1]) == ECHO
    revision = fields["Revision"]

    (workspace / "short-lived.yaml").write_text("StartAt: B\nStates:\n  B: {Type: Succeed}\n")
    updated = cli("machines", "update", machine_arn("short-lived"), "short-lived.yaml")
    assert updated.status == 0
    assert updated.out.startswith("updated at ")
    assert revision not in updated.out
    shown = cli("machines", "describe", "short-lived", "--output", "json").json()
    assert json.loads(shown["definition"]) == {"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}

    assert cli("machines", "delete", "short-lived").out == f"deleted {machine_arn('short-lived')}\n"
    gone = cli("machines", "describe", "short-lived")
    assert (gone.status, gone.out) == (3, "")
    assert gone.err == (
        "stepline machines describe: StateMachineDoesNotExist: no state machine is named "
        f"'short-lived' at {cli.endpoint}\n"
    )


def test_list_as_json_is_the_api_s_answer(cli: Cli, machines: dict[str, str]) -> None:
    listed = cli("machines", "list", "--output", "json").json()
    by_name = {machine["name"]: machine for machine in listed["stateMachines"]}
    assert by_name["steps"]["stateMachineArn"] == machines["steps"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d.*", by_name["steps"]["creationDate"])


def test_an_invalid_definition_is_the_server_s_one_line_refusal(cli: Cli) -> None:
    refused = cli(
        "machines", "create", "-", "--name", "broken",
        stdin='{"StartAt": "Nowhere", "States": {"A": {"Type": "Pass", "End": true}}}',
    )  # fmt: skip
    assert (refused.status, refused.out) == (3, "")
    assert refused.err.startswith(
        "stepline machines create: InvalidDefinition: Invalid State Machine Definition: "
    )
    assert refused.err.count("\n") == 1


# Executions ------------------------------------------------------------------------------------


def test_input_comes_from_each_source(cli: Cli, workspace: Path, machines: dict[str, str]) -> None:
    assert cli("executions", "start", "echo", "--input", '{"from": "argument"}', "--wait").out == (
        '{"from": "argument"}\n'
    )
    piped = cli.process(
        "executions", "start", "echo", "--input", "-", "--wait", stdin='{"from": "pipe"}'
    )
    assert piped.out == '{"from": "pipe"}\n'
    (workspace / "input.json").write_text('{"from": "file"}')
    assert cli("executions", "start", "echo", "--input-file", "input.json", "--wait").out == (
        '{"from": "file"}\n'
    )
    assert cli("executions", "start", "echo", "--wait").out == "{}\n"


def test_input_of_256_kib_goes_through_a_file_and_standard_input(
    cli: Cli, workspace: Path, machines: dict[str, str]
) -> None:
    text = '{"data": "' + "x" * (256 * 1024 - 12) + '"}'
    assert len(text.encode()) == 256 * 1024
    (workspace / "big.json").write_text(text)
    from_file = cli("executions", "start", "echo", "--input-file", "big.json", "--wait")
    assert (from_file.status, from_file.out) == (0, text + "\n")
    from_stdin = cli.process(
        "executions", "start", "echo", "--input-file", "-", "--wait", stdin=text
    )
    assert (from_stdin.status, from_stdin.out) == (0, text + "\n")
    too_big = cli("executions", "start", "echo", "--input", "-", stdin=text.replace("x", "xx", 1))
    assert too_big.status == 3
    assert too_big.err.startswith("stepline executions start: ValidationException: ")


def test_started_without_waiting_prints_the_execution_s_arn(
    cli: Cli, machines: dict[str, str]
) -> None:
    shown = cli("executions", "start", "echo", "--name", "quiet", "--input", '{"a": 1}')
    arn = f"arn:aws:states:us-east-1:{ACCOUNT}:execution:echo:quiet"
    assert (shown.status, shown.out) == (0, arn + "\n")
    again = cli("executions", "start", "echo", "--name", "quiet-json", "--output", "json")
    assert again.json()["executionArn"].endswith(":execution:echo:quiet-json")
    described = cli("executions", "describe", "echo:quiet")
    fields = dict(line.split(None, 1) for line in described.out.splitlines())
    assert fields["ARN"] == arn
    assert fields["Input"] == '{"a": 1}'
    as_json = cli("executions", "describe", arn, "--output", "json").json()
    assert (as_json["name"], as_json["input"]) == ("quiet", '{"a": 1}')


def test_watch_shows_the_states_on_stderr_and_the_output_on_stdout(
    cli: Cli, machines: dict[str, str]
) -> None:
    shown = cli.process(
        "executions", "start", "steps", "--input", '{"n": 21}', "--name", "w", "--watch"
    )
    assert (shown.status, shown.out) == (0, '{"doubled":42}\n')
    lines = shown.err.splitlines()
    assert re.fullmatch(r"w \(steps\), started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d", lines[0])
    steps = [re.sub(r"\+\d+\.\ds", "+T", line) for line in lines[1:]]
    assert steps == [
        "  +T  Nap (Wait)",
        "  +T  Double (Task)",
        "  +T  Fan (Parallel)",
        "  +T  SUCCEEDED",
    ]
    assert lines[2].startswith("  +1.")  # after the Wait's second

    again = cli("executions", "watch", "steps:w", "--output", "json")
    assert again.status == 0
    assert again.json()["status"] == "SUCCEEDED"
    assert again.err.splitlines()[-1].endswith("SUCCEEDED")


def test_watch_on_a_terminal_redraws_a_status_line(cli: Cli, machines: dict[str, str]) -> None:
    controller, terminal = pty.openpty()
    command = cli.command(("executions", "start", "steps", "--input", '{"n": 1}', "--watch"))
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=terminal,
        cwd=cli.workspace,
        env=cli.environment(),
    ) as process:
        os.close(terminal)
        seen = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal's other end is closed: the command has ended
                break
            if not chunk:
                break
            seen += chunk
        assert process.stdout is not None
        assert process.stdout.read() == b'{"doubled":2}\n'
    os.close(controller)
    assert process.returncode == 0
    text = seen.decode()
    assert re.search(r"\r\x1b\[Krunning \d+\.\ds · in Nap", text)
    assert "\r\x1b[K  +0.0s  Nap (Wait)" in text


def test_a_failed_execution_exits_1_with_its_error_and_cause(
    cli: Cli, machines: dict[str, str]
) -> None:
    shown = cli("executions", "start", "steps", "--input", '{"m": 1}', "--watch")
    assert (shown.status, shown.out) == (1, "")
    *progress, error, cause = shown.err.splitlines()
    assert [re.sub(r"\+\d+\.\ds", "+T", line) for line in progress[1:]] == [
        "  +T  Nap (Wait)",
        "  +T  Double (Task)",
        "  +T    LambdaFunctionFailed: KeyError",
        "  +T  FAILED",
    ]
    assert error == "FAILED: KeyError"
    assert json.loads(cause)["errorType"] == "KeyError"


def test_list_describe_and_history(cli: Cli, machines: dict[str, str]) -> None:
    for name, execution_input in [("ok", '{"n": 1}'), ("bad", '{"m": 1}')]:
        cli(
            "executions",
            "start",
            "steps",
            "--name",
            f"list-{name}",
            "--input",
            execution_input,
            "--wait",
        )
    listed = cli("executions", "list", "steps")
    header, *rows = listed.out.splitlines()
    assert header.split() == ["NAME", "STATUS", "STARTED", "DURATION"]
    statuses = {row.split()[0]: row.split()[1] for row in rows}
    assert statuses["list-ok"] == "SUCCEEDED"
    assert statuses["list-bad"] == "FAILED"
    failed = cli("executions", "list", machines["steps"], "--status", "failed", "--output", "json")
    names = [execution["name"] for execution in failed.json()["executions"]]
    assert "list-bad" in names
    assert "list-ok" not in names
    assert len(cli("executions", "list", "steps", "--limit", "1").out.splitlines()) == 2

    described = cli("executions", "describe", "steps:list-bad")
    fields = dict(line.split(None, 1) for line in described.out.splitlines())
    assert (fields["Status"], fields["Error"]) == ("FAILED", "KeyError")

    history = cli("executions", "history", "steps:list-ok")
    header, *rows = history.out.splitlines()
    assert header.split() == ["ID", "TIME", "TYPE", "DETAIL"]
    assert rows[0].split()[:3] == ["1", "+0.0s", "ExecutionStarted"]
    assert rows[1].split()[2:] == ["WaitStateEntered", "Nap"]
    assert rows[-1].split()[2:] == ["ExecutionSucceeded", '{"doubled":2}']
    newest_first = cli("executions", "history", "steps:list-ok", "--reverse", "--output", "json")
    events = newest_first.json()["events"]
    assert [event["id"] for event in events] == list(range(len(rows), 0, -1))
    assert events[0]["type"] == "ExecutionSucceeded"


def test_stop_records_the_error_and_cause(cli: Cli, machines: dict[str, str]) -> None:
    cli("executions", "start", "sleeper", "--name", "to-stop")
    stopped = cli("executions", "stop", "sleeper:to-stop", "--error", "Halt", "--cause", "enough")
    assert (stopped.status, stopped.err) == (0, "")
    assert stopped.out.startswith("stopped at ")
    ended = cli("executions", "watch", "sleeper:to-stop")
    assert (ended.status, ended.out) == (1, "")
    assert ended.err.splitlines()[-2:] == ["ABORTED: Halt", "enough"]


def test_redrive_runs_a_failed_execution_again(
    cli: Cli, workspace: Path, machines: dict[str, str]
) -> None:
    execution_input = json.dumps({"marker": str(workspace / "flaky-marker")})
    first = cli(
        "executions", "start", "flaky", "--name", "again", "--input", execution_input, "--wait"
    )
    assert (first.status, first.err.splitlines()[0]) == (1, "FAILED: ConnectionError")
    redriven = cli("executions", "redrive", "flaky:again", "--wait")
    assert (redriven.status, redriven.out) == (0, '{"attempt":"second"}\n')
    fields = dict(
        line.split(None, 1)
        for line in cli("executions", "describe", "flaky:again").out.splitlines()
    )
    assert (fields["Status"], fields["Redriven"]) == ("SUCCEEDED", "1 time(s)")
    refused = cli("executions", "redrive", "flaky:again")
    assert refused.status == 3
    assert refused.err.startswith("stepline executions redrive: ExecutionNotRedrivable: ")


def test_interrupting_watch_leaves_the_execution_running(
    cli: Cli, machines: dict[str, str]
) -> None:
    cli("executions", "start", "sleeper", "--name", "watched")
    arn = f"arn:aws:states:us-east-1:{ACCOUNT}:execution:sleeper:watched"
    with subprocess.Popen(
        cli.command(("executions", "watch", "sleeper:watched")),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cli.workspace,
        env=cli.environment(),
    ) as process:
        assert process.stderr is not None
        assert process.stderr.readline().startswith(b"watched (sleeper)")
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert err.decode().splitlines()[-1] == (
        f"stepline executions watch: stopped watching; it goes on: stepline executions watch {arn}"
    )
    still = cli("executions", "describe", "sleeper:watched", "--output", "json").json()
    assert still["status"] == "RUNNING"
    cli("executions", "stop", arn)


def test_the_server_s_refusals_are_one_line_with_aws_s_code(
    cli: Cli, machines: dict[str, str]
) -> None:
    missing = cli("executions", "start", "nowhere")
    assert (missing.status, missing.err) == (
        3,
        "stepline executions start: StateMachineDoesNotExist: no state machine is named "
        f"'nowhere' at {cli.endpoint}\n",
    )
    unknown = cli("executions", "describe", "echo:never-ran")
    assert unknown.err == (
        "stepline executions describe: ExecutionDoesNotExist: Execution Does Not Exist: "
        f"'arn:aws:states:us-east-1:{ACCOUNT}:execution:echo:never-ran'\n"
    )
    duplicate = cli("executions", "start", "echo", "--name", "quiet", "--input", '{"b": 2}')
    assert duplicate.status == 3
    assert duplicate.err.startswith("stepline executions start: ExecutionAlreadyExists: ")


def test_an_unreachable_server_is_named_with_a_hint(cli: Cli) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    shown = cli.process("executions", "list", "echo", "--endpoint", endpoint)
    assert (shown.status, shown.out) == (4, "")
    assert shown.err == (
        f"stepline executions list: no Stepline server answers at {endpoint} (connection "
        "refused): start one with `stepline serve`, or name another with --endpoint or "
        "STEPLINE_ENDPOINT\n"
    )
    assert time.monotonic() - started < 10  # no retries, no waiting


def test_a_coroutine_returned_by_a_function_fails_the_task_as_lambda_does(cli: Cli) -> None:
    definition = {
        "StartAt": "Async",
        "States": {"Async": {"Type": "Task", "Resource": LAMBDA + "coroutine", "End": True}},
    }
    created = cli("machines", "create", "-", "--name", "async", stdin=json.dumps(definition))
    assert created.status == 0
    shown = cli("executions", "start", "async", "--wait")
    assert shown.status == 1
    assert shown.err.splitlines()[0] == "FAILED: Runtime.MarshalError"
