"""Recorded histories compared with themselves after the engine-side round trip, and changed."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from stepline.conformance.comparison import (
    compare_histories,
    first_difference,
    masked_by_key,
    sort_parallel_sections,
)
from stepline.conformance.runner import compare_execution, normalise_history
from tests.unit.conformance.recorded import NAMES, engine_history, recorded_case

ROUND_TRIP_CASES = [
    "TestAssignBase::test_base_cases[BASE_SCOPE_MAP]",
    "test_reference_in_map_state[MAP_STATE_REFERENCE_IN_MAX_CONCURRENCY_PATH]",
    "TestAssignBase::test_assign_in_choice[CONDITION_FALSE]",
    "TestAssignBase::test_base_cases[BASE_PATHS]",
]


def _recorded_round_trip(suffix: str) -> tuple[Any, list[dict[str, Any]]]:
    case = recorded_case(suffix)
    return case, normalise_history(case, NAMES, engine_history(case))


@pytest.mark.parametrize("suffix", ROUND_TRIP_CASES)
def test_recorded_history_round_trips(suffix: str) -> None:
    case, events = _recorded_round_trip(suffix)
    assert compare_execution(case, str(case.expected["status"]), events) is None


def test_a_changed_detail_is_reported_with_its_event() -> None:
    case, events = _recorded_round_trip(ROUND_TRIP_CASES[0])
    events[1]["stateEnteredEventDetails"]["name"] = "Other"
    found = compare_execution(case, "SUCCEEDED", events)
    assert (
        found
        == "history: event 2 (PassStateEntered): .stateEnteredEventDetails.name: "
        'expected "State0", got "Other"'
        or (found is not None and "event 2" in found)
    )


def test_status_and_output_differences_fail() -> None:
    case, events = _recorded_round_trip(ROUND_TRIP_CASES[0])
    assert compare_execution(case, "FAILED", events) == "status: expected SUCCEEDED, got FAILED"
    changed = copy.deepcopy(events)
    changed[-1]["executionSucceededEventDetails"]["output"] = "[1,2,3.0]"
    assert compare_execution(case, "SUCCEEDED", changed) == (
        "result: .output[2]: expected 3, got 3.0"
    )


def test_ids_count_outside_sections_only() -> None:
    case, events = _recorded_round_trip(ROUND_TRIP_CASES[1])
    history = case.expected_history or []
    inside = copy.deepcopy(events)
    inside[6]["previousEventId"] = 99  # an event inside the Map section
    assert compare_histories(history, inside) is None
    outside = copy.deepcopy(events)
    outside[2]["previousEventId"] = 1
    assert compare_histories(history, outside) == (
        "event 3 (PassStateExited): .previousEventId: expected 2, got 1"
    )


def test_iterations_in_another_order_are_accepted_but_different_ones_are_not() -> None:
    case, events = _recorded_round_trip(ROUND_TRIP_CASES[1])
    history = case.expected_history or []
    swapped = copy.deepcopy(events)
    swapped[5:9], swapped[9:13] = swapped[9:13], swapped[5:9]
    assert compare_histories(history, swapped) is None
    changed = copy.deepcopy(events)
    changed[7]["stateExitedEventDetails"]["output"] = 7
    assert compare_histories(history, changed) is not None


def test_extra_and_missing_events_are_named() -> None:
    case, events = _recorded_round_trip(ROUND_TRIP_CASES[0])
    history = case.expected_history or []
    assert "first missing event" in (compare_histories(history, events[:-1]) or "")
    assert "first extra event" in (compare_histories(history, [*events, events[-1]]) or "")
    assert compare_histories(history, [*events, events[-1]], prefix=True) is None


def _unsorted_parallel_history() -> list[dict[str, Any]]:
    """BASE_SCOPE_PARALLEL as the engine returns it: branch events interleaved, all events."""
    case = recorded_case("test_base_parallel_cases[BASE_SCOPE_PARALLEL]")
    events = engine_history(case)
    branch_events = [event for event in events if event["id"] == [0]]
    interleaved = [branch_events[i] for i in (2, 5, 0, 3, 1, 4)]
    succeeded = {"type": "ParallelStateSucceeded", "previousEventId": 11}
    rebuilt = [*events[:5], *interleaved, succeeded, *events[11:]]
    for number, event in enumerate(rebuilt, start=1):
        event["id"] = number
        event.setdefault("previousEventId", number - 1)
    return rebuilt


def test_parallel_sections_are_sorted_and_lose_the_succeeded_event_as_recorded() -> None:
    case = recorded_case("test_base_parallel_cases[BASE_SCOPE_PARALLEL]")
    events = normalise_history(case, NAMES, _unsorted_parallel_history())
    assert [event["type"] for event in events] == [
        event["type"] for event in case.expected_history or []
    ]
    assert compare_execution(case, "SUCCEEDED", events) is None


def test_sorting_nested_parallel_sections_skips_what_the_shortened_list_moves() -> None:
    names = ["Started", "L2Entered", "L2Started", "b", "a", "L2Done", "L2Exit", "L1Done", "L1Exit"]
    types = {
        "Started": "ParallelStateStarted",
        "L2Entered": "ParallelStateEntered",
        "L2Started": "ParallelStateStarted",
        "L2Done": "ParallelStateSucceeded",
        "L2Exit": "ParallelStateExited",
        "L1Done": "ParallelStateSucceeded",
        "L1Exit": "ParallelStateExited",
    }
    events = [{"type": types.get(name, "PassStateEntered"), "n": name} for name in names]
    sort_parallel_sections(events)
    assert [event["n"] for event in events] == [
        "Started",
        "L2Entered",
        "L2Started",
        "a",
        "b",
        "L1Exit",
    ]


def test_first_difference_is_strict_about_numbers_and_booleans() -> None:
    assert first_difference({"a": 1}, {"a": 1.0}) == ".a: expected 1, got 1.0"
    assert first_difference([True], [1]) == "[0]: expected true, got 1"
    assert first_difference({"a": 1, "b": 2}, {"b": 2, "a": 1}) is None


def test_fields_the_recording_masked_by_key_match_any_value_of_their_form() -> None:
    recorded = {"Date": "date", "X-Amzn-Trace-Id": "X-Amzn-Trace-Id", "Content-Length": ["2"]}
    trace = "Root=1-5f2b8c1a-0123456789abcdef01234567"
    ours = {"Date": ["Tue, 24 Nov 2026 23:29:52 GMT"], "X-Amzn-Trace-Id": [trace]}
    assert first_difference(recorded, {**ours, "Content-Length": ["2"]}) is None
    assert first_difference(recorded, {**ours, "Content-Length": ["3"]}) is not None
    assert not masked_by_key("Content-Length", "2")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("Date", "yesterday"),
        ("RequestId", "not-a-uuid"),
        ("x-amzn-RequestId", ["12345"]),
        ("X-Amzn-Trace-Id", "Root=1-x"),
        ("x-amz-crc32", "abc"),
    ],
)
def test_a_masked_value_must_still_have_its_form(key: str, value: Any) -> None:
    found = first_difference({key: key}, {key: value})
    assert found is not None
    assert "of the form" in found


def test_only_the_keys_recordings_mask_are_masked_by_their_name() -> None:
    assert first_difference({"Status": "Status"}, {"Status": "OK"}) == (
        '.Status: expected "Status", got "OK"'
    )


def test_json_input_placeholders_stand_for_json_text_only() -> None:
    recorded = "could not be found in the input '<json-input:1>'"
    assert first_difference(recorded, "could not be found in the input '{\"a\":1}'") is None
    assert first_difference(recorded, "could not be found in the input '[1]'") is None
    assert first_difference(recorded, "could not be found in the input 'plain'") is not None
    assert first_difference(recorded, "could not be found in the input '{oops}'") is not None
    assert first_difference(recorded, "could not be found in the output '{}'") is not None


def test_json_input_placeholders_stand_for_an_input_of_the_run() -> None:
    recorded = "input '<json-input:1>' then '<json-input:1>'"
    inputs = frozenset({'{"a": 1}'})
    assert first_difference(recorded, "input '{\"a\":1}' then '{\"a\":1}'", inputs=inputs) is None
    assert first_difference(recorded, "input '{\"b\":1}' then '{\"b\":1}'", inputs=inputs)
    assert first_difference(recorded, "input '{\"a\":1}' then '[1]'") is not None


def test_parallel_sections_sort_on_canonical_text_whatever_the_key_order() -> None:
    def event(event_type: str, details: str) -> dict[str, object]:
        # Stepline's history lists timestamp and type first; the order must not matter.
        return {"timestamp": "t", "type": event_type, "id": 9, "previousEventId": 8, details: {}}

    events = [
        {"id": 1, "previousEventId": 0, "type": "ParallelStateStarted"},
        event("TaskScheduled", "taskScheduledEventDetails"),
        event("TaskStateEntered", "stateEnteredEventDetails"),
        {"id": 4, "previousEventId": 3, "type": "ParallelStateExited"},
    ]
    sort_parallel_sections(events)
    assert [e["type"] for e in events[1:3]] == ["TaskStateEntered", "TaskScheduled"]
