"""``stepline run``: exit codes, printed output and errors, history, functions, substitutions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stepline.cli.main import main


def write(tmp_path: Path, definition: dict[str, Any] | str, name: str = "machine.json") -> str:
    path = tmp_path / name
    path.write_text(definition if isinstance(definition, str) else json.dumps(definition))
    return str(path)


PASS = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}


def test_run_prints_the_output_and_exits_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", write(tmp_path, PASS), "--input", '{"a": 1}']) == 0
    assert json.loads(capsys.readouterr().out) == {"a": 1}


def test_run_defaults_to_an_empty_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", write(tmp_path, PASS)]) == 0
    assert capsys.readouterr().out.strip() == "{}"


def test_run_reads_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    yaml_text = "StartAt: A\nStates:\n  A:\n    Type: Pass\n    Result: 7\n    End: true\n"
    assert main(["run", write(tmp_path, yaml_text, "machine.yaml")]) == 0
    assert capsys.readouterr().out.strip() == "7"


def test_a_failed_execution_prints_error_and_cause_and_exits_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}}
    assert main(["run", write(tmp_path, definition)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == ["FAILED: E", "C"]


def test_a_failure_without_cause_prints_only_the_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = {"StartAt": "F", "States": {"F": {"Type": "Fail"}}}
    assert main(["run", write(tmp_path, definition)]) == 1
    assert capsys.readouterr().err.splitlines() == ["FAILED: "]


def test_an_invalid_definition_exits_two(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = {"StartAt": "Nowhere", "States": {"A": {"Type": "Pass", "End": True}}}
    assert main(["run", write(tmp_path, definition)]) == 2
    assert capsys.readouterr().err.startswith("stepline run: Invalid State Machine Definition")


def test_invalid_input_json_exits_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", write(tmp_path, PASS), "--input", "{nope"]) == 2
    assert capsys.readouterr().err == (
        "stepline run: --input is not valid JSON: Expecting property name enclosed in double "
        "quotes at line 1 column 2\n"
    )


def test_history_prints_one_json_event_per_line_before_the_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", write(tmp_path, PASS), "--history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    events = [json.loads(line) for line in lines[:-1]]
    assert [event["type"] for event in events] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    assert isinstance(events[0]["timestamp"], str)
    assert lines[-1] == "{}"


def test_waits_are_skipped_unless_real_time_is_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    assert main(["run", write(tmp_path, definition)]) == 0
    zero_wait = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 0, "End": True}}}
    assert main(["run", write(tmp_path, zero_wait, "zero.json"), "--real-time"]) == 0
    assert capsys.readouterr().out.splitlines() == ["{}", "{}"]


FUNCTION = "arn:aws:lambda:us-east-1:111111111111:function:"


def test_functions_from_a_python_file_are_registered_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = tmp_path / "handlers.py"
    module.write_text(
        "def greet(event, context):\n"
        "    return {'hello': event['name']}\n"
        "\n"
        "def _private(event, context):\n"
        "    return None\n"
    )
    definition = {
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": FUNCTION + "greet", "End": True}},
    }
    arguments = ["run", write(tmp_path, definition), "--input", '{"name": "Ada"}']
    assert main([*arguments, "--functions", str(module)]) == 0
    assert json.loads(capsys.readouterr().out) == {"hello": "Ada"}


def test_a_functions_mapping_names_the_handlers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = tmp_path / "mapped.py"
    module.write_text(
        "def handler(event, context):\n    return 'mapped'\n\nFUNCTIONS = {'my-fn': handler}\n"
    )
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "my-fn"},
                "OutputPath": "$.Payload",
                "End": True,
            }
        },
    }
    assert main(["run", write(tmp_path, definition), "--functions", str(module)]) == 0
    assert capsys.readouterr().out.strip() == '"mapped"'


def test_functions_from_a_dotted_module_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "dotted_handlers.py").write_text("def ping(event, context):\n    return 'pong'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    definition = {
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": FUNCTION + "ping", "End": True}},
    }
    assert main(["run", write(tmp_path, definition), "--functions", "dotted_handlers"]) == 0
    assert capsys.readouterr().out.strip() == '"pong"'


def test_a_missing_function_fails_the_execution(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = {
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": FUNCTION + "absent", "End": True}},
    }
    assert main(["run", write(tmp_path, definition)]) == 1
    assert capsys.readouterr().err.startswith("FAILED: Lambda.ResourceNotFoundException")


def test_substitution_replaces_placeholders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        '{"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "${GREETING}", "End": true}}}'
    )
    arguments = ["run", write(tmp_path, text), "--substitution", "GREETING=hi=there"]
    assert main(arguments) == 0
    assert capsys.readouterr().out.strip() == '"hi=there"'


def test_a_substitution_without_equals_sign_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", write(tmp_path, PASS), "--substitution", "JUSTNAME"]) == 2
    assert capsys.readouterr().err == (
        "stepline run: --substitution needs NAME=VALUE, got 'JUSTNAME'\n"
    )


def test_an_activity_task_says_it_needs_a_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    activity = "arn:aws:states:us-east-1:123456789012:activity:pack"
    definition = {
        "StartAt": "W",
        "States": {"W": {"Type": "Task", "Resource": activity, "End": True}},
    }
    assert main(["run", write(tmp_path, definition)]) == 1
    error, cause = capsys.readouterr().err.splitlines()
    assert error == "FAILED: States.Runtime"
    assert f"activity {activity} in an execution run in-process" in cause
    assert "stepline serve" in cause
