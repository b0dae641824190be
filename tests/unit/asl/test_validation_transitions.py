"""Validation of transitions: targets exist, states are referenced, some state ends the machine."""

from __future__ import annotations

from typing import Any

from stepline.asl.definitions import validate_definition

MISSING = "MISSING_TRANSITION_TARGET"


def _found(states: dict[str, Any], start_at: object = "A") -> list[tuple[str, str, str]]:
    document = {"StartAt": start_at, "States": states}
    return [(found.code, found.location, found.message) for found in validate_definition(document)]


def test_a_connected_machine_is_valid() -> None:
    states = {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.x", "IsNull": True, "Next": "C"}],
            "Default": "D",
        },
        "C": {"Type": "Succeed"},
        "D": {"Type": "Fail"},
    }
    assert _found(states) == []


def test_every_dangling_target_is_reported_where_it_is_written() -> None:
    states = {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.x", "IsNull": True, "Next": "Q"}],
            "Default": "R",
        },
        "C": {"Type": "Succeed"},
    }
    assert _found(states, start_at="Z") == [
        (MISSING, "/StartAt", "Missing 'Next' target: Z"),
        (MISSING, "/States/B/Default", "Missing 'Next' target: R"),
        (MISSING, "/States/B/Choices[0]/Next", "Missing 'Next' target: Q"),
        (MISSING, "/States/A", 'State "A" is not reachable.'),
        (MISSING, "/States/C", 'State "C" is not reachable.'),
    ]


def test_a_machine_without_a_terminal_state_gets_one_diagnostic() -> None:
    states = {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}, "C": {}}
    found = _found(states)
    assert ("MISSING_END_STATE", "", "Workflow has no terminal state") in found
    # No reachability report alongside it: C is unreferenced but not reported.
    assert all("not reachable" not in message for _, _, message in found)


def test_a_nested_machine_without_a_terminal_state_is_located_at_the_branch() -> None:
    branch = {"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "X"}}}
    states = {"A": {"Type": "Parallel", "Branches": [branch], "End": True}}
    assert _found(states) == [
        ("MISSING_END_STATE", "/States/A/Branches[0]", "Workflow has no terminal state")
    ]


def test_reachability_is_by_reference_not_by_walk() -> None:
    # B and C reference each other, so neither is reported though A never reaches them.
    states = {
        "A": {"Type": "Succeed"},
        "B": {"Type": "Pass", "Next": "C"},
        "C": {"Type": "Pass", "Next": "B"},
    }
    assert _found(states) == []


def test_catch_targets_count_as_references() -> None:
    states = {
        "A": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "End": True,
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "B"}],
        },
        "B": {"Type": "Fail"},
    }
    assert _found(states) == []


def test_malformed_targets_are_left_to_the_field_checks() -> None:
    states = {
        "A": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Next": 3,
            "Catch": [3, {"ErrorEquals": ["E"]}],
        },
        "B": {"Type": "Fail"},
        "C": "not a state",
    }
    assert _found(states) == [
        (
            "SCHEMA_VALIDATION_FAILED",
            "/States/A/Next",
            "The value of the field 'Next' must be a string, not number",
        ),
        (
            "SCHEMA_VALIDATION_FAILED",
            "/States/A/Catch[0]",
            "The value of the field 'Catch' must be an object, not number",
        ),
        ("SCHEMA_VALIDATION_FAILED", "/States/A/Catch[1]", "These fields are required: [Next]"),
        (
            "SCHEMA_VALIDATION_FAILED",
            "/States/C",
            "The value of the field 'C' must be an object, not string",
        ),
        (MISSING, "/States/B", 'State "B" is not reachable.'),
        (MISSING, "/States/C", 'State "C" is not reachable.'),
    ]


def test_transitions_are_not_checked_without_a_usable_start() -> None:
    states = {"A": {"Type": "Pass", "Next": "Nowhere"}}
    assert _found(states, start_at=3) == [
        (
            "SCHEMA_VALIDATION_FAILED",
            "/StartAt",
            "The value of the field 'StartAt' must be a string, not number",
        )
    ]
