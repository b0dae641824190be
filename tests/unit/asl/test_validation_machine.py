"""Validation of the definition as a whole: its top-level fields and the machines nested in it."""

from __future__ import annotations

from typing import Any

import pytest

from stepline.asl.definitions import validate_definition

PASS_END: dict[str, Any] = {"Type": "Pass", "End": True}
SCHEMA = "SCHEMA_VALIDATION_FAILED"


def _found(document: object) -> list[tuple[str, str, str]]:
    return [(found.code, found.location, found.message) for found in validate_definition(document)]


def _machine(**fields: Any) -> dict[str, Any]:
    return {"StartAt": "A", "States": {"A": PASS_END}, **fields}


def test_a_minimal_machine_is_valid() -> None:
    assert _found(_machine()) == []


@pytest.mark.parametrize("document", [[], "text", 3, None])
def test_a_definition_must_be_an_object(document: object) -> None:
    assert _found(document) == [(SCHEMA, "", "Definition must be a valid JSON object")]


def test_states_and_start_at_are_required_together() -> None:
    assert _found({}) == [(SCHEMA, "/", "These fields are required: [States, StartAt]")]
    assert _found({"StartAt": "A"}) == [(SCHEMA, "/", "These fields are required: [States]")]


def test_every_top_level_problem_is_reported_at_once() -> None:
    document = {
        "StartAt": 1,
        "States": [],
        "Foo": 1,
        "QueryLanguage": "XPath",
        "TimeoutSeconds": 0,
        "Comment": 1,
        "Version": 2,
    }
    assert _found(document) == [
        (
            SCHEMA,
            "/QueryLanguage",
            "The field 'QueryLanguage' should have one of these values: [JSONata, JSONPath]",
        ),
        (SCHEMA, "/", "Field 'Foo' is not supported"),
        (SCHEMA, "/TimeoutSeconds", "The value of the field 'TimeoutSeconds' must be at least 1"),
        (SCHEMA, "/Comment", "The value of the field 'Comment' must be a string, not number"),
        (SCHEMA, "/Version", "The value of the field 'Version' must be a string, not number"),
        (SCHEMA, "/StartAt", "The value of the field 'StartAt' must be a string, not number"),
        (SCHEMA, "/States", "The value of the field 'States' must be an object, not array"),
    ]


def test_every_top_level_field_is_accepted() -> None:
    document = _machine(Comment="c", Version="1.0", TimeoutSeconds=1, QueryLanguage="JSONata")
    assert _found(document) == []


@pytest.mark.parametrize(
    ("value", "kind"),
    [(True, "boolean"), (1.5, "number"), ("60", "string"), ([], "array"), ({}, "object")],
)
def test_timeout_seconds_must_be_an_integer(value: object, kind: str) -> None:
    assert _found(_machine(TimeoutSeconds=value)) == [
        (
            SCHEMA,
            "/TimeoutSeconds",
            f"The value of the field 'TimeoutSeconds' must be an integer, not {kind}",
        )
    ]


def test_a_wrong_type_names_null() -> None:
    assert _found(_machine(Comment=None)) == [
        (SCHEMA, "/Comment", "The value of the field 'Comment' must be a string, not null")
    ]


def test_states_cannot_be_empty() -> None:
    assert _found({"StartAt": "A", "States": {}}) == [(SCHEMA, "/States", "Value cannot be empty")]


def test_state_names_are_unique_across_nested_machines() -> None:
    branch = {"StartAt": "A", "States": {"A": PASS_END}}
    processor = {"StartAt": "B", "States": {"B": PASS_END}}
    document = {
        "StartAt": "P",
        "States": {
            "P": {"Type": "Parallel", "Branches": [branch, branch], "Next": "M"},
            "M": {"Type": "Map", "ItemProcessor": processor, "Next": "B"},
            "B": PASS_END,
        },
    }
    assert _found(document) == [
        ("DUPLICATE_STATE_NAME", "/", "Duplicate State name: 'A'"),
        ("DUPLICATE_STATE_NAME", "/", "Duplicate State name: 'B'"),
    ]


def test_duplicate_names_are_looked_for_in_iterators_too() -> None:
    document = {
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Map",
                "Iterator": {"StartAt": "A", "States": {"A": PASS_END}},
                "End": True,
            }
        },
    }
    assert _found(document) == [("DUPLICATE_STATE_NAME", "/", "Duplicate State name: 'A'")]


def test_malformed_nested_machines_do_not_hide_other_duplicates() -> None:
    document = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Parallel", "Branches": [1, {"StartAt": "X", "States": 2}], "Next": "B"},
            "B": "not a state",
            "C": {"Type": "Parallel", "Branches": {}, "End": True},
        },
    }
    codes = [code for code, _, _ in _found(document)]
    assert "DUPLICATE_STATE_NAME" not in codes


def test_a_branch_must_be_an_object_and_takes_only_machine_fields() -> None:
    branches = [{"StartAt": "X", "States": {"X": PASS_END}, "ProcessorConfig": {}}, 3]
    document = {
        "StartAt": "A",
        "States": {"A": {"Type": "Parallel", "Branches": branches, "End": True}},
    }
    assert _found(document) == [
        (SCHEMA, "/States/A/Branches[0]", "Field 'ProcessorConfig' is not supported"),
        (
            SCHEMA,
            "/States/A/Branches[1]",
            "The value of the field 'Branches' must be an object, not number",
        ),
    ]


def test_a_nested_machine_needs_start_at_and_states() -> None:
    document = {
        "StartAt": "A",
        "States": {"A": {"Type": "Parallel", "Branches": [{}], "End": True}},
    }
    assert _found(document) == [
        (SCHEMA, "/States/A/Branches[0]", "These fields are required: [States, StartAt]")
    ]


def _map_with_config(config: object) -> dict[str, Any]:
    processor = {"StartAt": "X", "States": {"X": PASS_END}, "ProcessorConfig": config}
    return {
        "StartAt": "A",
        "States": {"A": {"Type": "Map", "ItemProcessor": processor, "End": True}},
    }


def test_processor_config_values_are_checked() -> None:
    config = {"Mode": "Y", "ExecutionType": "Z", "Other": 1}
    where = "/States/A/ItemProcessor/ProcessorConfig"
    assert _found(_map_with_config(config)) == [
        (
            SCHEMA,
            f"{where}/Mode",
            "The field 'Mode' should have one of these values: [INLINE, DISTRIBUTED]",
        ),
        (
            SCHEMA,
            f"{where}/ExecutionType",
            "The field 'ExecutionType' should have one of these values: [STANDARD, EXPRESS]",
        ),
        (SCHEMA, where, "Field 'Other' is not supported"),
    ]


def test_processor_config_must_be_an_object() -> None:
    assert _found(_map_with_config([])) == [
        (
            SCHEMA,
            "/States/A/ItemProcessor/ProcessorConfig",
            "The value of the field 'ProcessorConfig' must be an object, not array",
        )
    ]


def test_a_distributed_processor_config_is_valid() -> None:
    assert _found(_map_with_config({"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"})) == []


def test_nested_states_inherit_the_top_level_language_not_their_maps() -> None:
    processor = {"StartAt": "X", "States": {"X": {"Type": "Pass", "Output": {}, "End": True}}}
    document = {
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Map",
                "QueryLanguage": "JSONata",
                "ItemProcessor": processor,
                "End": True,
            }
        },
    }
    assert _found(document) == [
        (
            SCHEMA,
            "/States/A/ItemProcessor/States/X",
            "The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported "
            "for the 'JSONata' QueryLanguage",
        )
    ]
