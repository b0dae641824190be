"""``stepline validate``: exit status, text and JSON output for definition files."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from stepline.cli.main import main

VALID = '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}'
DANGLING = (
    '{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "C": {"Type": "Succeed"}}}'
)
SYNC_TASK = (
    '{"StartAt": "A", "States": {"A": {"Type": "Task", "End": true,'
    ' "Resource": "arn:aws:states:::states:startExecution.sync:2"}}}'
)


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_valid_file_exits_0_and_says_ok(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "ok.json", VALID)
    assert main(["validate", path]) == 0
    assert capsys.readouterr().out == f"{path}: OK\n"


def test_an_invalid_file_exits_1_and_lists_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "bad.json", DANGLING)
    assert main(["validate", path]) == 1
    assert capsys.readouterr().out == (
        f"{path}: 2 problem(s)\n"
        "  MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A/Next\n"
        '  MISSING_TRANSITION_TARGET: State "C" is not reachable. at /States/C\n'
    )


def test_one_invalid_file_among_several_fails_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _write(tmp_path, "good.json", VALID)
    empty = _write(tmp_path, "empty.json", "")
    assert main(["validate", good, empty]) == 1
    assert capsys.readouterr().out == (
        f"{good}: OK\n"
        f"{empty}: 1 problem(s)\n"
        "  SCHEMA_VALIDATION_FAILED: Definition must be a valid JSON object at null\n"
    )


def test_json_output_has_validate_state_machine_definition_s_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _write(tmp_path, "good.json", VALID)
    bad = _write(tmp_path, "bad.json", DANGLING)
    empty = _write(tmp_path, "empty.json", " ")
    assert main(["validate", "--json", good, bad, empty]) == 1
    assert json.loads(capsys.readouterr().out) == {
        good: [],
        bad: [
            {
                "code": "MISSING_TRANSITION_TARGET",
                "message": "Missing 'Next' target: B",
                "location": "/States/A/Next",
                "severity": "ERROR",
            },
            {
                "code": "MISSING_TRANSITION_TARGET",
                "message": 'State "C" is not reachable.',
                "location": "/States/C",
                "severity": "ERROR",
            },
        ],
        # No location: the field is left out rather than written empty.
        empty: [
            {
                "code": "SCHEMA_VALIDATION_FAILED",
                "message": "Definition must be a valid JSON object",
                "severity": "ERROR",
            }
        ],
    }


def test_json_output_for_valid_files_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "ok.yaml", "StartAt: A\nStates:\n  A: {Type: Succeed}\n")
    assert main(["validate", "--json", path]) == 0
    assert json.loads(capsys.readouterr().out) == {path: []}


def test_substitutions_are_applied_before_parsing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = '{"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": ${Wait}, "End": true}}}'
    path = _write(tmp_path, "wait.json", text)
    assert main(["validate", "--substitution", "Wait=5", path]) == 0
    assert main(["validate", "--substitution", "Wait=-5", path]) == 1
    assert main(["validate", "--json", path]) == 1
    out = capsys.readouterr().out
    assert "The value of the field 'Seconds' must be at least 0" in out
    assert '"code": "INVALID_JSON_DESCRIPTION"' in out


def test_a_substitution_without_a_value_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "ok.json", VALID)
    assert main(["validate", "--substitution", "Wait", path]) == 2
    assert capsys.readouterr().err == (
        "stepline validate: --substitution needs NAME=VALUE, got 'Wait'\n"
    )


def test_the_machine_type_decides_which_integrations_are_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "sync.json", SYNC_TASK)
    assert main(["validate", path]) == 0
    assert main(["validate", "--type", "EXPRESS", path]) == 1
    assert capsys.readouterr().out.endswith(
        "  SCHEMA_VALIDATION_FAILED: Express state machine does not support '.sync' service "
        "integration at /States/A/Resource\n"
    )


def test_unreadable_files_are_usage_errors_after_the_others_are_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "missing.json")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00")
    good = _write(tmp_path, "good.json", VALID)
    assert main(["validate", "--json", missing, str(binary), good]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {good: []}
    assert captured.err.splitlines() == [
        f"stepline validate: cannot read the definition file '{missing}': no such file",
        f"stepline validate: the definition file '{binary}' is not UTF-8 text (byte 0xff at "
        "offset 0)",
    ]


def test_standard_input_is_read_for_a_dash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(DANGLING.encode())))
    assert main(["validate", "-"]) == 1
    assert capsys.readouterr().out.splitlines()[0] == "-: 2 problem(s)"


def test_standard_input_cannot_be_read_twice(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "-", "-"]) == 2
    assert (
        capsys.readouterr().err == "stepline validate: standard input (-) can be read once only\n"
    )
