"""``--functions MODULE``: modules found from a path or a dotted name (from the current
directory), and every way importing one can go wrong, each told in one line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from stepline.cli.errors import UsageError
from stepline.cli.functions import load_functions
from stepline.cli.main import main


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh current directory, with the import path and modules restored afterwards."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [entry for entry in sys.path if entry not in ("", ".")])
    monkeypatch.setattr(sys, "modules", dict(sys.modules))
    return tmp_path


def refusal(reference: str) -> str:
    with pytest.raises(UsageError) as refused:
        load_functions([reference])
    return str(refused.value)


def test_a_python_file_s_public_functions_are_registered(here: Path) -> None:
    (here / "handlers.py").write_text(
        "import os\n\ndef greet(event, context):\n    return 1\n\ndef _hidden(event, context):\n"
        "    return 2\n"
    )
    assert sorted(load_functions(["handlers.py"]).handlers()) == ["greet"]


def test_a_functions_mapping_names_them(here: Path) -> None:
    (here / "mapped.py").write_text(
        "def f(event, context):\n    return 1\n\nFUNCTIONS = {'g': f}\n"
    )
    assert sorted(load_functions(["mapped.py"]).handlers()) == ["g"]


def test_a_dotted_name_is_found_from_the_current_directory(here: Path) -> None:
    package = here / "cli_dotted_package"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "handlers.py").write_text("def ping(event, context):\n    return 'pong'\n")
    registry = load_functions(["cli_dotted_package.handlers"])
    assert list(registry.handlers()) == ["ping"]


def test_a_missing_module_is_refused(here: Path) -> None:
    assert refusal("cli_absent_module") == (
        f"--functions cli_absent_module: no module named 'cli_absent_module' (looked from {here})"
    )
    (here / "cli_present_package").mkdir()
    (here / "cli_present_package" / "__init__.py").write_text("")
    assert refusal("cli_present_package.absent") == (
        "--functions cli_present_package.absent: no module named "
        f"'cli_present_package.absent' (looked from {here})"
    )
    assert refusal("absent.py") == "--functions absent.py: no such file"


def test_a_path_that_is_not_a_python_file_is_refused(here: Path) -> None:
    (here / "folder.py").mkdir()
    assert refusal("folder.py") == "--functions folder.py: it is a directory"
    assert refusal("handlers/module") == (
        "--functions handlers/module: name a .py file or a dotted module name such as pkg.handlers"
    )


def test_a_syntax_error_is_refused_with_its_place(here: Path) -> None:
    (here / "cli_broken_syntax.py").write_text("def ok():\n    return 1\n\ndef broken(:\n")
    expected = f"syntax error in {here / 'cli_broken_syntax.py'}, line 4: invalid syntax"
    assert refusal("cli_broken_syntax.py") == f"--functions cli_broken_syntax.py: {expected}"
    assert refusal("cli_broken_syntax") == f"--functions cli_broken_syntax: {expected}"


def test_a_module_that_fails_on_import_is_refused(here: Path) -> None:
    (here / "cli_failing.py").write_text("raise RuntimeError('no configuration')\n")
    assert refusal("cli_failing.py") == (
        "--functions cli_failing.py: importing it failed: RuntimeError: no configuration"
    )
    (here / "cli_exiting.py").write_text("import sys\nsys.exit(3)\n")
    assert refusal("cli_exiting") == ("--functions cli_exiting: importing it failed: SystemExit: 3")
    (here / "cli_needs_more.py").write_text("import cli_not_installed_anywhere\n")
    assert refusal("cli_needs_more") == (
        "--functions cli_needs_more: importing it failed: No module named "
        "'cli_not_installed_anywhere'"
    )


LAMBDA = "arn:aws:lambda:us-east-1:111111111111:function:"


@pytest.mark.parametrize(
    ("function", "message"),
    [
        ("coroutine", "Object of type coroutine is not JSON serializable"),
        ("a_set", "Object of type set is not JSON serializable"),
    ],
)
def test_a_result_that_is_not_json_fails_the_task_as_lambda_does(
    here: Path, capsys: pytest.CaptureFixture[str], function: str, message: str
) -> None:
    (here / "odd.py").write_text(
        "async def coroutine(event, context):\n    return 1\n\n"
        "def a_set(event, context):\n    return {1, 2}\n"
    )
    definition: dict[str, Any] = {
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": LAMBDA + function, "End": True}},
    }
    (here / "machine.json").write_text(json.dumps(definition))
    assert main(["run", "machine.json", "--functions", "odd.py"]) == 1
    error, cause = capsys.readouterr().err.splitlines()
    assert error == "FAILED: Runtime.MarshalError"
    assert json.loads(cause) == {
        "errorMessage": f"Unable to marshal response: {message}",
        "errorType": "Runtime.MarshalError",
        "requestId": json.loads(cause)["requestId"],
        "stackTrace": [],
    }
