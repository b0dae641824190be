"""The benchmark harness runs both sides on a tiny workload and checks their outputs.

No timing is asserted here: rates depend on the machine, and ratios belong to ``bench.run``.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
from typing import Any

import pytest
from bench import IN_PROCESS_WORKLOADS, OutputMismatchError, Workload, load_workload
from bench.peers import cached_jsonpath_parsing, measure_moto
from bench.run import Plan, compare, main
from bench.stepline_side import measure_stepline, profile_stepline

pytest.importorskip("moto", reason="moto is a benchmark extra: pip install -e '.[bench]'")

TINY_DEFINITION: dict[str, Any] = {
    "StartAt": "Add",
    "States": {
        "Add": {
            "Type": "Pass",
            "Parameters": {"x.$": "$.x", "sum.$": "States.MathAdd($.x, 1)"},
            "ResultPath": "$.result",
            "Next": "Check",
        },
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.result.sum", "NumericEquals": 2, "Next": "Done"}],
            "Default": "Wrong",
        },
        "Done": {"Type": "Succeed"},
        "Wrong": {"Type": "Fail", "Error": "Unexpected"},
    },
}
TINY = Workload(
    name="tiny",
    definition=TINY_DEFINITION,
    input={"x": 1},
    expected_output={"x": 1, "result": {"x": 1, "sum": 2}},
    units_per_execution=3,
    unit="transitions/s",
    executions=2,
)
WRONG = dataclasses.replace(TINY, expected_output={"x": 1, "result": {"x": 1, "sum": 3}})
FAILING = dataclasses.replace(
    TINY, input={"x": 5}, expected_output={"x": 5, "result": {"x": 5, "sum": 6}}
)


@pytest.mark.parametrize("name", IN_PROCESS_WORKLOADS)
def test_workload_files_load(name: str) -> None:
    workload = load_workload(name)
    assert workload.name == name
    assert workload.unit == ("items/s" if name == "map1000" else "transitions/s")
    assert workload.units_per_execution > 0


def test_moto_runs_the_tiny_workload() -> None:
    assert measure_moto(TINY, 2) > 0


def test_moto_with_cached_jsonpath_runs_and_restores_moto() -> None:
    module = importlib.import_module("moto.stepfunctions.parser.asl.utils.json_path")
    original = module.parse
    assert measure_moto(TINY, 2, cache_jsonpath=True) > 0
    with cached_jsonpath_parsing():
        assert module.parse is not original
    assert module.parse is original


@pytest.mark.parametrize("workload", [WRONG, FAILING], ids=["wrong-output", "failed"])
def test_moto_output_is_checked(workload: Workload) -> None:
    with pytest.raises(OutputMismatchError, match="tiny: execution 0"):
        measure_moto(workload, 1)


def test_stepline_runs_the_tiny_workload() -> None:
    assert measure_stepline(TINY, 2) > 0


@pytest.mark.parametrize("workload", [WRONG, FAILING], ids=["wrong-output", "failed"])
def test_stepline_output_is_checked(workload: Workload) -> None:
    with pytest.raises(OutputMismatchError, match="tiny: execution 0"):
        measure_stepline(workload, 1)


def test_profile_lists_functions_by_cumulative_time() -> None:
    report = profile_stepline(TINY, 2)
    assert "cumulative" in report
    assert "run_execution" in report


def test_compare_prints_the_summary_line() -> None:
    comparison = compare(TINY, Plan(1, 2, 1), measure_stepline, measure_moto)
    pattern = r"tiny stepline=\d+\.\d moto=\d+\.\d ratio=\d+\.\d\d"
    assert re.fullmatch(pattern, comparison.line())


def test_server_workloads_are_listed_as_not_yet_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--workload", "start_latency", "--workload", "concurrency"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "start_latency: not yet run" in captured.err
    assert "concurrency: not yet run" in captured.err
