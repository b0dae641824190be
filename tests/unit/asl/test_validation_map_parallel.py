"""Validation of Parallel and Map states: branches, processors, item fields, limits, labels."""

from __future__ import annotations

from typing import Any

import pytest

from stepline.asl.definitions import validate_definition

SCHEMA = "SCHEMA_VALIDATION_FAILED"
JSONATA_CODE = "INVALID_JSONATA_EXPRESSION"
PARSE_ERROR = "Invalid JSONata expression: S0203: Expected \")\" before end of expression (in '(')"
TEMPLATE_ERROR = (
    "The value for the field 'a.$' must be a valid JSONPath or a valid intrinsic function call"
)
PROCESSOR: dict[str, Any] = {"StartAt": "X", "States": {"X": {"Type": "Pass", "End": True}}}


def _found(state: dict[str, Any], language: str | None = None) -> list[tuple[str, str, str]]:
    document: dict[str, Any] = {"StartAt": "S", "States": {"S": {"End": True, **state}}}
    if language is not None:
        document["QueryLanguage"] = language
    return [(found.code, found.location, found.message) for found in validate_definition(document)]


def _map(language: str | None = None, **fields: Any) -> list[tuple[str, str, str]]:
    return _found({"Type": "Map", "ItemProcessor": PROCESSOR, **fields}, language)


# Parallel


def test_a_parallel_with_branches_is_valid() -> None:
    branch = {"StartAt": "Y", "States": {"Y": {"Type": "Succeed"}}, "Comment": "c"}
    assert _found({"Type": "Parallel", "Branches": [PROCESSOR, branch]}) == []


def test_parallel_needs_a_non_empty_array_of_branches() -> None:
    assert _found({"Type": "Parallel"}) == [
        (SCHEMA, "/States/S", "These fields are required: [Branches]")
    ]
    assert _found({"Type": "Parallel", "Branches": {}}) == [
        (
            SCHEMA,
            "/States/S/Branches",
            "The value of the field 'Branches' must be an array, not object",
        )
    ]
    assert _found({"Type": "Parallel", "Branches": []}) == [
        (SCHEMA, "/States/S/Branches", "Value cannot be empty")
    ]


def test_problems_inside_a_branch_are_located_in_it() -> None:
    branch = {"StartAt": "Y", "States": {"Y": {"Type": "Pass", "Next": "Z"}}}
    assert _found({"Type": "Parallel", "Branches": [PROCESSOR, branch]}) == [
        (
            "MISSING_TRANSITION_TARGET",
            "/States/S/Branches[1]/States/Y/Next",
            "Missing 'Next' target: Z",
        ),
        ("MISSING_END_STATE", "/States/S/Branches[1]", "Workflow has no terminal state"),
    ]


# Map processors


def test_map_needs_an_item_processor() -> None:
    assert _found({"Type": "Map"}) == [
        (SCHEMA, "/States/S", "These fields are required: [ItemProcessor]")
    ]


def test_the_legacy_iterator_is_accepted_alone() -> None:
    assert _found({"Type": "Map", "Iterator": PROCESSOR, "Parameters": {"a.$": "$"}}) == []


def test_processor_forms_and_selector_forms_are_exclusive() -> None:
    state = {
        "Type": "Map",
        "Iterator": PROCESSOR,
        "ItemProcessor": PROCESSOR,
        "ItemSelector": {},
        "Parameters": {},
    }
    assert _found(state) == [
        (SCHEMA, "/States/S", "Only one of these fields is allowed: [Iterator, ItemProcessor]"),
        (SCHEMA, "/States/S", "Only one of these fields is allowed: [ItemSelector, Parameters]"),
        ("DUPLICATE_STATE_NAME", "/", "Duplicate State name: 'X'"),
    ]


def test_problems_inside_a_processor_are_located_in_it() -> None:
    processor = {"StartAt": "X", "States": {"X": {"Type": "Pass", "End": True, "Foo": 1}}}
    assert _found({"Type": "Map", "Iterator": processor}) == [
        (SCHEMA, "/States/S/Iterator/States/X", "Field 'Foo' is not supported")
    ]


# Map items and limits


def test_every_map_field_problem_is_reported_at_once() -> None:
    found = _map(
        ItemsPath="x",
        MaxConcurrency=-1,
        MaxConcurrencyPath="$.m",
        ToleratedFailureCount="a",
        ToleratedFailurePercentage=101,
        ToleratedFailurePercentagePath="bad",
    )
    assert found == [
        (
            SCHEMA,
            "/States/S/ItemsPath",
            "The value for the field 'ItemsPath' must be a valid JSONPath",
        ),
        (
            SCHEMA,
            "/States/S",
            "Only one of these fields is allowed: [MaxConcurrency, MaxConcurrencyPath]",
        ),
        (
            SCHEMA,
            "/States/S",
            "Only one of these fields is allowed: "
            "[ToleratedFailurePercentage, ToleratedFailurePercentagePath]",
        ),
        (
            SCHEMA,
            "/States/S/ToleratedFailurePercentagePath",
            "The value for the field 'ToleratedFailurePercentagePath' must be a valid JSONPath",
        ),
        (
            SCHEMA,
            "/States/S/MaxConcurrency",
            "The value of the field 'MaxConcurrency' must be at least 0",
        ),
        (
            SCHEMA,
            "/States/S/ToleratedFailureCount",
            "The value of the field 'ToleratedFailureCount' must be an integer, not string",
        ),
        (
            SCHEMA,
            "/States/S/ToleratedFailurePercentage",
            "The value of the field 'ToleratedFailurePercentage' must be between 0 and 100",
        ),
    ]


def test_valid_map_limits_are_accepted() -> None:
    assert (
        _map(
            ItemsPath="$.items",
            MaxConcurrency=0,
            ToleratedFailureCountPath="$.count",
            ToleratedFailurePercentage=12.5,
        )
        == []
    )


@pytest.mark.parametrize("percentage", [0, 100, 0.5])
def test_tolerated_failure_percentage_bounds(percentage: float) -> None:
    assert _map(ToleratedFailurePercentage=percentage) == []


@pytest.mark.parametrize(("percentage", "kind"), [("5", "string"), (True, "boolean")])
def test_tolerated_failure_percentage_is_a_number(percentage: object, kind: str) -> None:
    assert _map(ToleratedFailurePercentage=percentage) == [
        (
            SCHEMA,
            "/States/S/ToleratedFailurePercentage",
            f"The value of the field 'ToleratedFailurePercentage' must be a number, not {kind}",
        )
    ]


def test_jsonata_maps_take_items_and_expressions() -> None:
    assert (
        _map(
            "JSONata",
            Items=[1, "{% $x %}"],
            MaxConcurrency="{% 2 %}",
            ToleratedFailurePercentage="{% 5 %}",
        )
        == []
    )
    assert _map("JSONata", Items="{% $states.input %}") == []


def test_jsonata_map_problems_are_reported() -> None:
    found = _map("JSONata", Items=3, MaxConcurrency="{% ( %}", ToleratedFailurePercentage="{% ( %}")
    assert found == [
        (
            SCHEMA,
            "/States/S/Items",
            "The value of the field 'Items' must be an array or a JSONata expression, not number",
        ),
        (JSONATA_CODE, "/States/S/MaxConcurrency", PARSE_ERROR),
        (JSONATA_CODE, "/States/S/ToleratedFailurePercentage", PARSE_ERROR),
    ]
    assert _map("JSONata", Items="{% ( %}") == [(JSONATA_CODE, "/States/S/Items", PARSE_ERROR)]


# Distributed map configuration


def test_reader_batcher_and_writer_must_be_objects() -> None:
    assert _map(ItemReader=3, ItemBatcher=[], ResultWriter="x") == [
        (
            SCHEMA,
            "/States/S/ItemReader",
            "The value of the field 'ItemReader' must be an object, not number",
        ),
        (
            SCHEMA,
            "/States/S/ItemBatcher",
            "The value of the field 'ItemBatcher' must be an object, not array",
        ),
        (
            SCHEMA,
            "/States/S/ResultWriter",
            "The value of the field 'ResultWriter' must be an object, not string",
        ),
    ]


def test_reader_and_writer_contents_are_checked() -> None:
    found = _map(ItemReader={"Parameters": {"a.$": "bad"}}, ResultWriter={"WriterConfig": {}})
    assert found == [
        (SCHEMA, "/States/S/ItemReader", "These fields are required: [Resource]"),
        (
            SCHEMA,
            "/States/S/ItemReader/Parameters",
            TEMPLATE_ERROR,
        ),
        (SCHEMA, "/States/S/ResultWriter/WriterConfig", "These fields are required: [OutputType]"),
    ]


def test_valid_distributed_map_configuration_is_accepted() -> None:
    reader = {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket.$": "$.b"}}
    writer = {"Resource": "arn:aws:states:::s3:putObject", "WriterConfig": {"OutputType": "JSON"}}
    assert _map(ItemReader=reader, ItemBatcher={"MaxItemsPerBatch": 2}, ResultWriter=writer) == []


def test_jsonata_reader_arguments_are_templates() -> None:
    reader = {"Resource": "r", "Arguments": 3}
    assert _map("JSONata", ItemReader=reader) == [
        (
            SCHEMA,
            "/States/S/ItemReader/Arguments",
            "The value of the field 'Arguments' must be an object or a JSONata expression, "
            "not number",
        )
    ]


def test_item_selector_is_a_payload_template() -> None:
    assert _map(ItemSelector={"a.$": "bad"}) == [
        (
            SCHEMA,
            "/States/S/ItemSelector",
            TEMPLATE_ERROR,
        )
    ]
    assert _map(ItemSelector={"a.$": "$$.Map.Item.Value"}) == []


# Labels


@pytest.mark.parametrize("label", ["ok-label_1", "x" * 40, "Ünïcode"])
def test_valid_labels_are_accepted(label: str) -> None:
    assert _map(Label=label) == []


def test_a_label_must_be_a_string() -> None:
    assert _map(Label=3) == [
        (SCHEMA, "/States/S/Label", "The value of the field 'Label' must be a string, not number")
    ]


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("", "Label cannot be empty"),
        ("x" * 41, "Label cannot exceed 40 characters"),
        ("a b", "Label contains invalid character: ' '"),
        ("a:b/c", "Label contains invalid character: ':'"),
        ("a\x01b", "Label contains invalid character: '\\x01'"),
        ("a\x85b", "Label contains invalid character: '\\x85'"),
        ("a\x7f", "Label contains invalid character: '\\x7f'"),
    ],
)
def test_invalid_labels_are_rejected(label: str, message: str) -> None:
    assert _map(Label=label) == [("INVALID_LABEL_NAME", "/States/S/Label", message)]
