"""Map iterations and Parallel branches that wait (a Wait state, at any depth) wait at the same
time, as on AWS: three iterations that each wait a second take one second of the clock."""

from __future__ import annotations

import json
from typing import Any

from stepline.runtime import FakeClock, compile_definition, run_execution


def _wait(name: str) -> dict[str, Any]:
    return {"StartAt": name, "States": {name: {"Type": "Wait", "Seconds": 1, "End": True}}}


WAIT = _wait("Nap")


def _elapsed(state: dict[str, Any], input_text: str) -> float:
    clock = FakeClock()
    started = clock.now()
    definition = {"StartAt": "Fan", "States": {"Fan": {**state, "End": True}}}
    result = run_execution(compile_definition(json.dumps(definition)), input_text, clock=clock)
    assert result.status == "SUCCEEDED"
    return (clock.now() - started).total_seconds()


def test_map_iterations_that_wait_wait_together() -> None:
    state = {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": WAIT}
    assert _elapsed(state, '{"items": [1, 2, 3]}') == 1.0


def test_max_concurrency_one_still_waits_in_turn() -> None:
    state = {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1, "ItemProcessor": WAIT}
    assert _elapsed(state, '{"items": [1, 2, 3]}') == 3.0


def test_parallel_branches_that_wait_deep_inside_wait_together() -> None:
    nested = {
        "StartAt": "Inner",
        "States": {"Inner": {"Type": "Map", "ItemProcessor": _wait("Deep"), "End": True}},
    }
    state = {"Type": "Parallel", "Branches": [_wait("One"), _wait("Two"), nested]}
    assert _elapsed(state, "[1, 2]") == 1.0
