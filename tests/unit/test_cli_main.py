"""The ``stepline`` command as a whole: ``--version``, ``python -m stepline``, the exit
statuses in ``--help``, one-line usage errors, and the safety net for faults of our own."""

from __future__ import annotations

import subprocess
import sys

import pytest

import stepline
from stepline.cli import errors, validate
from stepline.cli.main import main


def stepline_command(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stepline", *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_version_is_printed_by_python_dash_m(capsys: pytest.CaptureFixture[str]) -> None:
    shown = stepline_command("--version")
    assert (shown.returncode, shown.stdout, shown.stderr) == (
        0,
        f"stepline {stepline.__version__}\n",
        "",
    )
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"stepline {stepline.__version__}\n"


def test_help_documents_every_exit_status() -> None:
    shown = stepline_command("--help")
    assert shown.returncode == 0
    epilog = shown.stdout[shown.stdout.index("exit status:") :]
    statuses = [line.split()[0] for line in epilog.splitlines()[1:] if line[:3].strip()]
    assert statuses == ["0", "1", "2", "3", "4", "70", "130"]
    assert "141" in epilog
    for command in ("validate", "run", "machines", "executions", "conformance", "serve"):
        assert f"\n    {command}" in shown.stdout


@pytest.mark.parametrize(
    ("arguments", "line"),
    [
        ((), "stepline: the following arguments are required: COMMAND (see 'stepline --help')"),
        (
            ("launch",),
            "stepline: argument COMMAND: invalid choice: 'launch' (choose from 'validate', "
            "'run', 'machines', 'state-machines', 'executions', 'conformance', 'serve') "
            "(see 'stepline --help')",
        ),
        (
            ("machines",),
            "stepline machines: the following arguments are required: ACTION "
            "(see 'stepline machines --help')",
        ),
        (
            ("executions", "start"),
            "stepline executions start: the following arguments are required: MACHINE "
            "(see 'stepline executions start --help')",
        ),
        (
            ("executions", "start", "m", "--input", "{}", "--input-file", "x.json"),
            "stepline executions start: argument --input-file: not allowed with argument "
            "--input (see 'stepline executions start --help')",
        ),
        (
            ("executions", "list", "m", "--limit", "0"),
            "stepline executions list: argument --limit: expected a whole number above 0, "
            "got '0' (see 'stepline executions list --help')",
        ),
        (
            ("executions", "start", "m", "--wait", "--watch"),
            "stepline executions start: argument --watch: not allowed with argument --wait "
            "(see 'stepline executions start --help')",
        ),
    ],
)
def test_a_usage_mistake_is_one_line_and_status_2(arguments: tuple[str, ...], line: str) -> None:
    shown = stepline_command(*arguments)
    assert (shown.returncode, shown.stdout, shown.stderr) == (errors.USAGE, "", line + "\n")


def _fault(arguments: object) -> int:
    raise RuntimeError("a fault\nover two lines")


def _interrupted(arguments: object) -> int:
    raise KeyboardInterrupt


def test_a_fault_of_ours_is_one_line_and_status_70(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(validate, "run", _fault)
    monkeypatch.delenv("STEPLINE_DEBUG", raising=False)
    assert main(["validate", "x.json"]) == errors.INTERNAL
    assert capsys.readouterr().err == (
        "stepline validate: internal error: RuntimeError: a fault over two lines "
        "(a fault in Stepline: STEPLINE_DEBUG=1 shows the traceback)\n"
    )
    monkeypatch.setenv("STEPLINE_DEBUG", "1")
    with pytest.raises(RuntimeError, match="a fault"):
        main(["validate", "x.json"])


def test_an_interruption_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(validate, "run", _interrupted)
    assert main(["validate", "x.json"]) == errors.INTERRUPTED
    assert capsys.readouterr().err == ""


def test_a_reader_gone_away_ends_quietly_with_141() -> None:
    # Far more output than a pipe holds: the writes fail once the reader has closed its end.
    result = "x" * 200_000
    document = f'{{"StartAt": "A", "States": {{"A": {{"Type": "Pass", "Result": "{result}", '
    document += '"End": true}}}'
    process = subprocess.Popen(
        [sys.executable, "-m", "stepline", "run", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    process.stdout.close()
    _, stderr = process.communicate(document.encode(), timeout=60)
    assert (process.returncode, stderr) == (errors.BROKEN_PIPE, b"")
