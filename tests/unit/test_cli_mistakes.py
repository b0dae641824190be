"""Every mistake a user can make, as the user makes it (a real ``stepline`` process): one line
on standard error, nothing on standard output, the documented exit status, no traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from stepline.cli.errors import UNREACHABLE, USAGE

PASS = '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}'


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Mistake:
    arguments: tuple[str, ...]
    line: str
    """What standard error says, ``{dir}`` standing for the working directory."""
    status: int = USAGE
    stdin: bytes = b""


MISTAKES = {
    "definition missing": Mistake(
        ("run", "absent.json"),
        "stepline run: cannot read the definition file 'absent.json': no such file",
    ),
    "definition is a directory": Mistake(
        ("run", "folder"),
        "stepline run: cannot read the definition file 'folder': it is a directory",
    ),
    "definition not UTF-8": Mistake(
        ("run", "latin1.json"),
        "stepline run: the definition file 'latin1.json' is not UTF-8 text (byte 0xe9 at "
        "offset 46)",
    ),
    "definition from empty standard input": Mistake(
        ("run", "-"),
        "stepline run: Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: "
        "Definition must be a valid JSON object at null'",
    ),
    "definition and input both from standard input": Mistake(
        ("run", "-", "--input", "-"),
        "stepline run: standard input (-) can give the definition or the input, not both",
    ),
    "input not JSON": Mistake(
        ("run", "pass.json", "--input", "{'a': 1}"),
        "stepline run: --input is not valid JSON: Expecting property name enclosed in double "
        "quotes at line 1 column 2",
    ),
    "input on standard input not JSON": Mistake(
        ("run", "pass.json", "--input", "-"),
        "stepline run: the input on standard input is not valid JSON: Expecting value at "
        "line 1 column 1",
        stdin=b"nope",
    ),
    "input file missing": Mistake(
        ("run", "pass.json", "--input-file", "absent.json"),
        "stepline run: cannot read the input file 'absent.json': no such file",
    ),
    "functions module missing": Mistake(
        ("run", "pass.json", "--functions", "absent_handlers"),
        "stepline run: --functions absent_handlers: no module named 'absent_handlers' "
        "(looked from {dir})",
    ),
    "functions file missing": Mistake(
        ("run", "pass.json", "--functions", "absent.py"),
        "stepline run: --functions absent.py: no such file",
    ),
    "functions syntax error": Mistake(
        ("run", "pass.json", "--functions", "broken_syntax"),
        "stepline run: --functions broken_syntax: syntax error in {dir}/broken_syntax.py, "
        "line 1: expected ':'",
    ),
    "functions fail on import": Mistake(
        ("run", "pass.json", "--functions", "failing.py"),
        "stepline run: --functions failing.py: importing it failed: KeyError: 'TABLE'",
    ),
    "substitution without a value": Mistake(
        ("run", "pass.json", "--substitution", "Table"),
        "stepline run: --substitution needs NAME=VALUE, got 'Table'",
    ),
    "validate a missing file": Mistake(
        ("validate", "absent.json"),
        "stepline validate: cannot read the definition file 'absent.json': no such file",
    ),
    "conformance cases missing": Mistake(
        ("conformance", "absent.jsonl"),
        "stepline conformance: cannot read the cases 'absent.jsonl': no such file",
    ),
    "create from a missing file": Mistake(
        ("machines", "create", "absent.json"),
        "stepline machines create: cannot read the definition file 'absent.json': no such file",
    ),
    "create from standard input without a name": Mistake(
        ("machines", "create", "-"),
        "stepline machines create: --name is needed when the definition comes from standard input",
        stdin=PASS.encode(),
    ),
    "update with nothing to change": Mistake(
        ("machines", "update", "orders"),
        "stepline machines update: give a definition FILE, a --role, or both",
    ),
    "start with input that is not JSON": Mistake(
        ("executions", "start", "orders", "--input-file", "latin1.json"),
        "stepline executions start: the input file 'latin1.json' is not UTF-8 text (byte 0xe9 "
        "at offset 46)",
    ),
    "an execution named without its machine": Mistake(
        ("executions", "describe", "first", "--endpoint", "http://127.0.0.1:{port}"),
        "stepline executions describe: 'first' is not an execution: give its ARN or "
        "MACHINE:EXECUTION_NAME",
    ),
    "an endpoint that is no URL": Mistake(
        ("machines", "list", "--endpoint", "localhost"),
        "stepline machines list: --endpoint 'localhost' is not a URL: Invalid endpoint: localhost",
    ),
    "no server at the endpoint": Mistake(
        ("machines", "list", "--endpoint", "http://127.0.0.1:{port}"),
        "stepline machines list: no Stepline server answers at http://127.0.0.1:{port} "
        "(connection refused): start one with `stepline serve`, or name another with "
        "--endpoint or STEPLINE_ENDPOINT",
        status=UNREACHABLE,
    ),
    "no server at the endpoint from the environment": Mistake(
        ("executions", "start", "orders", "--input", "{}"),
        "stepline executions start: no Stepline server answers at http://127.0.0.1:{port} "
        "(connection refused): start one with `stepline serve`, or name another with "
        "--endpoint or STEPLINE_ENDPOINT",
        status=UNREACHABLE,
    ),
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    here = tmp_path_factory.mktemp("mistakes")
    (here / "folder").mkdir()
    (here / "pass.json").write_text(PASS)
    (here / "latin1.json").write_bytes(
        '{"StartAt": "A", "States": {"A": {"Comment": "é", "Type": "Pass", "End": true}}}'.encode(
            "latin-1"
        )
    )
    (here / "broken_syntax.py").write_text("def handler(event, context) return 1\n")
    (here / "failing.py").write_text("import os\nTABLE = os.environ['TABLE']\n")
    return here


@dataclass(frozen=True)
class Shown:
    status: int
    stdout: bytes
    stderr: str


@pytest.fixture(scope="module")
def shown(workspace: Path) -> dict[str, tuple[Shown, str]]:
    """Every mistake made at once, a few processes at a time: what each showed, and what it
    should have said."""
    port = closed_port()
    environment = {**os.environ, "STEPLINE_ENDPOINT": f"http://127.0.0.1:{port}"}
    environment.pop("STEPLINE_DEBUG", None)
    environment.pop("TABLE", None)

    def make(mistake: Mistake) -> tuple[Shown, str]:
        arguments = [argument.replace("{port}", str(port)) for argument in mistake.arguments]
        done = subprocess.run(
            [sys.executable, "-m", "stepline", *arguments],
            input=mistake.stdin,
            capture_output=True,
            cwd=workspace,
            env=environment,
            timeout=60,
            check=False,
        )
        expected = mistake.line.replace("{dir}", str(workspace)).replace("{port}", str(port))
        return Shown(done.returncode, done.stdout, done.stderr.decode()), expected

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(MISTAKES, pool.map(make, MISTAKES.values()), strict=True))


@pytest.mark.parametrize("name", MISTAKES)
def test_a_mistake_is_told_in_one_line(shown: dict[str, tuple[Shown, str]], name: str) -> None:
    result, expected = shown[name]
    assert result == Shown(MISTAKES[name].status, b"", expected + "\n")
