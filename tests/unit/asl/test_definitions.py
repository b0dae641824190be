"""Loading definition text (JSON, YAML, substitutions) into a model or diagnostics."""

from __future__ import annotations

import json

import pytest

from stepline.asl.definitions import (
    format_invalid_definition,
    load_definition,
    parse_state_machine,
    substitute,
)
from stepline.asl.diagnostics import Diagnostic
from stepline.asl.model import StateMachine

VALID = '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}'
NOT_AN_OBJECT = Diagnostic("SCHEMA_VALIDATION_FAILED", "", "Definition must be a valid JSON object")
EXPECTED = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"


# Substitutions


def test_substitute_without_values_returns_the_text() -> None:
    assert substitute("${A}", None) == "${A}"
    assert substitute("${A}", {}) == "${A}"


def test_substitute_replaces_placeholders_with_values_and_leaves_the_rest() -> None:
    assert substitute("${A}-${B}-${A}-$A-${}", {"A": "1", "": "e"}) == "1-${B}-1-$A-e"


def test_a_bare_placeholder_becomes_the_json_its_value_spells() -> None:
    text = '{"Seconds": ${Wait}, "Name": "${Wait}", "Flag": ${Flag}}'
    assert load_definition(text, {"Wait": "5", "Flag": "true"}) == (
        {"Seconds": 5, "Name": "5", "Flag": True},
        [],
    )


def test_a_placeholder_without_a_value_stays_and_leaves_bare_json_malformed() -> None:
    text = '{"Seconds": ${Wait}}'
    document, found = load_definition(text, {"Other": "1"})
    assert document is None
    source = f'[Source: (String)"{text}"; line: 1, column: 13]'
    assert found == [
        Diagnostic(
            "INVALID_JSON_DESCRIPTION",
            source,
            "Unexpected character ('$' (code 36)): expected a valid value (JSON String, Number, "
            f"Array, Object or token 'null', 'true' or 'false')\n at {source}",
        )
    ]


def test_substitutions_apply_to_yaml_too() -> None:
    text = "StartAt: ${Start}\nStates:\n  ${Start}: {Type: Wait, Seconds: ${Wait}, End: true}\n"
    document, found = load_definition(text, {"Start": "Hold", "Wait": "3"})
    assert found == []
    assert document == {
        "StartAt": "Hold",
        "States": {"Hold": {"Type": "Wait", "Seconds": 3, "End": True}},
    }


# Text that is not a JSON object


def test_json_is_read_as_json() -> None:
    assert load_definition(VALID) == (json.loads(VALID), [])


def test_a_json_array_loads_and_is_left_to_validation() -> None:
    assert load_definition("[1]") == ([1], [])
    assert parse_state_machine("[1]") == (None, [NOT_AN_OBJECT])


@pytest.mark.parametrize("text", ["", "  \n\t"])
def test_blank_text_is_not_an_object(text: str) -> None:
    assert load_definition(text) == (None, [NOT_AN_OBJECT])


def test_an_unknown_token_is_reported_as_aws_parser_words_it() -> None:
    source = '[Source: (String)"hello"; line: 1, column: 6]'
    assert load_definition("hello") == (
        None,
        [
            Diagnostic(
                "INVALID_JSON_DESCRIPTION",
                source,
                f"Unrecognized token 'hello': was expecting {EXPECTED}\n at {source}",
            )
        ],
    )


def test_an_unexpected_character_names_its_code_and_position() -> None:
    text = '{"a" 1}'
    source = f'[Source: (String)"{text}"; line: 1, column: 6]'
    assert load_definition(text) == (
        None,
        [
            Diagnostic(
                "INVALID_JSON_DESCRIPTION",
                source,
                "Unexpected character ('1' (code 49)): was expecting a colon to separate field "
                f"name and value\n at {source}",
            )
        ],
    )


def test_a_truncated_document_is_an_unexpected_end_of_input() -> None:
    text = '{"a": 1'
    source = f'[Source: (String)"{text}"; line: 1, column: 8]'
    assert load_definition(text) == (
        None,
        [
            Diagnostic(
                "INVALID_JSON_DESCRIPTION",
                source,
                f"Unexpected end-of-input: expected close marker for Object\n at {source}",
            )
        ],
    )


def test_positions_count_lines_and_columns() -> None:
    # Neither JSON nor YAML: the error is the JSON one, on the line where it occurs.
    text = ":\n - ["
    document, found = load_definition(text)
    assert document is None
    assert [diagnostic.location for diagnostic in found] == [
        f'[Source: (String)"{text}"; line: 1, column: 1]'
    ]
    text = '{\n  "a": 1,\n  "b" 2\n}'
    _, found = load_definition(text)
    assert found[0].location == f'[Source: (String)"{text}"; line: 3, column: 7]'


def test_yaml_that_reads_as_a_scalar_stays_a_json_error() -> None:
    document, found = load_definition("just words")
    assert document is None
    assert [diagnostic.code for diagnostic in found] == ["INVALID_JSON_DESCRIPTION"]
    assert found[0].message.startswith("Unrecognized token 'just'")


# Parsing to a model


def test_parse_state_machine_returns_a_model_for_a_valid_text() -> None:
    machine, found = parse_state_machine(VALID)
    assert found == []
    assert isinstance(machine, StateMachine)
    assert machine.start_at == "A"
    assert list(machine.states) == ["A"]


def test_parse_state_machine_accepts_a_parsed_document_and_substitutions() -> None:
    machine, found = parse_state_machine(json.loads(VALID))
    assert found == []
    assert machine is not None
    text = '{"StartAt": "${S}", "States": {"${S}": {"Type": "Succeed"}}}'
    machine, found = parse_state_machine(text, substitutions={"S": "Done"})
    assert found == []
    assert machine is not None
    assert list(machine.states) == ["Done"]


def test_parse_state_machine_returns_no_model_for_malformed_text() -> None:
    machine, found = parse_state_machine("{")
    assert machine is None
    assert [diagnostic.code for diagnostic in found] == ["INVALID_JSON_DESCRIPTION"]


def test_parse_state_machine_returns_no_model_and_every_problem_for_an_invalid_definition() -> None:
    document = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "C": {}}}
    machine, found = parse_state_machine(document)
    assert machine is None
    assert [(diagnostic.code, diagnostic.location) for diagnostic in found] == [
        ("SCHEMA_VALIDATION_FAILED", "/States/C"),
        ("MISSING_TRANSITION_TARGET", "/States/A/Next"),
        ("MISSING_END_STATE", ""),
    ]


def test_parse_state_machine_applies_the_machine_type() -> None:
    text = (
        '{"StartAt": "A", "States": {"A": {"Type": "Task", "End": true,'
        ' "Resource": "arn:aws:states:::states:startExecution.sync:2"}}}'
    )
    assert parse_state_machine(text)[0] is not None
    machine, found = parse_state_machine(text, state_machine_type="EXPRESS")
    assert machine is None
    assert [diagnostic.location for diagnostic in found] == ["/States/A/Resource"]


# Messages


def test_invalid_definition_message_joins_errors_as_aws_does() -> None:
    found = [
        Diagnostic("MISSING_TRANSITION_TARGET", "/States/A/Next", "Missing 'Next' target: B"),
        Diagnostic("MISSING_END_STATE", "", "Workflow has no terminal state"),
        Diagnostic("SOME_WARNING", "/States/A", "only a warning", severity="WARNING"),
    ]
    assert format_invalid_definition(found) == (
        "Invalid State Machine Definition: "
        "'MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A/Next, "
        "MISSING_END_STATE: Workflow has no terminal state at null'"
    )


def test_a_diagnostic_reads_as_code_message_and_location() -> None:
    at_field = Diagnostic("MISSING_TRANSITION_TARGET", "/StartAt", "Missing 'Next' target: X")
    assert str(at_field) == "MISSING_TRANSITION_TARGET: Missing 'Next' target: X at /StartAt"
    assert str(NOT_AN_OBJECT) == (
        "SCHEMA_VALIDATION_FAILED: Definition must be a valid JSON object at null"
    )


def test_text_that_sets_out_as_json_is_not_reread_as_yaml() -> None:
    text = '{"StartAt":"A","States":{"A":{"Type":"Pass","Result":nul,"End":true}}}'
    document, diagnostics = load_definition(text)
    assert document is None
    assert [d.code for d in diagnostics] == ["INVALID_JSON_DESCRIPTION"]
