"""Validation of what definitions compute with: paths, intrinsics, templates, JSONata, Assign."""

from __future__ import annotations

from typing import Any

import pytest

from stepline.asl.definitions import validate_definition
from stepline.asl.validation.expressions import (
    is_valid_intrinsic,
    is_valid_path,
    is_valid_reference_path,
    jsonata_body,
    jsonata_error,
)

SCHEMA = "SCHEMA_VALIDATION_FAILED"
JSONATA_CODE = "INVALID_JSONATA_EXPRESSION"
PARSE_ERROR = "Invalid JSONata expression: S0203: Expected \")\" before end of expression (in '(')"


def _template_error(key: str) -> str:
    return (
        f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic "
        "function call"
    )


def _found(state: dict[str, Any], language: str | None = None) -> list[tuple[str, str, str]]:
    document: dict[str, Any] = {"StartAt": "S", "States": {"S": {"End": True, **state}}}
    if language is not None:
        document["QueryLanguage"] = language
    return [(found.code, found.location, found.message) for found in validate_definition(document)]


def _task(language: str | None = None, **fields: Any) -> list[tuple[str, str, str]]:
    return _found({"Type": "Task", "Resource": "arn:aws:states:::http:invoke", **fields}, language)


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("$", True),
        ("$.a.b[0]", True),
        ("$$.Execution.Id", True),
        ("$variable.field", True),
        ("$.x ", True),  # AWS ignores trailing blanks after a path
        ("x", False),
        ("", False),
    ],
)
def test_paths(text: str, valid: bool) -> None:
    assert is_valid_path(text) is valid


@pytest.mark.parametrize(("text", "valid"), [("$.a", True), ("$.a[*]", False), ("a", False)])
def test_reference_paths(text: str, valid: bool) -> None:
    assert is_valid_reference_path(text) is valid


@pytest.mark.parametrize(
    "text",
    [
        "States.Format('{}', $.x)",
        r"States.Format('it\'s {}', $.x)",
        r"States.Format('\{\}\\')",
        "States.Format('(')",
        "States.Array(1, 2) ",
        "States.Array(States.StringToJson('[]'))",
    ],
)
def test_well_formed_intrinsics(text: str) -> None:
    assert is_valid_intrinsic(text)


@pytest.mark.parametrize(
    "text",
    [
        " States.Array(1)",  # AWS refuses padding in front
        "States.Array(1,",  # no closing parenthesis
        "States.Array((1)",  # unbalanced
        "States.Format('x)",  # an unterminated string
        r"States.Format('a\nb')",  # an escape AWS does not know
        "States.Nope(1)",  # no such function
        r"States.Format('\{}', $.x)",  # the escaped brace leaves no placeholder for the argument
        "Format('{}', $.x)",
    ],
)
def test_malformed_intrinsics(text: str) -> None:
    assert not is_valid_intrinsic(text)


def test_jsonata_bodies_and_errors() -> None:
    assert jsonata_body("{% $x %}") == " $x "
    assert jsonata_body("{%\n$x\n%}") == "\n$x\n"
    assert jsonata_body("$x") is None
    assert jsonata_body(3) is None
    assert jsonata_error("{% $x + 1 %}") is None
    assert jsonata_error("{% ( %}") == PARSE_ERROR.removeprefix("Invalid JSONata expression: ")


def test_payload_templates_name_every_bad_key() -> None:
    parameters = {
        "a.$": 3,
        "list": [{"b.$": "bad"}, "plain"],
        "ok.$": "States.Array(1)",
        "path.$": "$.p",
        "context.$": "$$.State.Name",
    }
    assert _task(Parameters=parameters, ResultSelector=[{"c.$": "$.c"}, {"d.$": "d"}]) == [
        (SCHEMA, "/States/S/Parameters", _template_error("a.$")),
        (SCHEMA, "/States/S/Parameters", _template_error("b.$")),
        (SCHEMA, "/States/S/ResultSelector", _template_error("d.$")),
    ]


def test_payload_templates_must_be_objects() -> None:
    assert _task(Parameters="x") == [
        (
            SCHEMA,
            "/States/S/Parameters",
            "The value of the field 'Parameters' must be an object, not string",
        )
    ]


def test_result_path_is_a_reference_path_or_null() -> None:
    assert _task(ResultPath="$.a[*]") == [
        (
            SCHEMA,
            "/States/S/ResultPath",
            "The value for the field 'ResultPath' must be a valid JSONPath",
        )
    ]
    assert _task(ResultPath=3) == [
        (
            SCHEMA,
            "/States/S/ResultPath",
            "The value of the field 'ResultPath' must be a string, not number",
        )
    ]
    assert _task(ResultPath=None) == []
    assert _task(ResultPath="$.result") == []


def test_jsonpath_assign_values_are_templates() -> None:
    assert _task(Assign={"v.$": "nope", "w": {"x.$": "$.x"}, "y": 1}) == [
        (SCHEMA, "/States/S/Assign", _template_error("v.$"))
    ]
    assert _task(Assign=[]) == [
        (SCHEMA, "/States/S/Assign", "The value of the field 'Assign' must be an object, not array")
    ]


def test_jsonata_templates_are_checked_wherever_an_expression_sits() -> None:
    found = _task(
        "JSONata",
        Arguments=[{"a": "{% ( %}"}, "{% $ok %}"],
        Output="{% ( %}",
        Assign={"nested": {"list": [1, "{% ( %}"]}},
    )
    assert found == [
        (JSONATA_CODE, "/States/S/Arguments[0]/a", PARSE_ERROR),
        (JSONATA_CODE, "/States/S/Output", PARSE_ERROR),
        (JSONATA_CODE, "/States/S/Assign/nested/list[1]", PARSE_ERROR),
    ]


def test_jsonata_assign_must_be_an_object() -> None:
    assert _task("JSONata", Assign=3) == [
        (
            SCHEMA,
            "/States/S/Assign",
            "The value of the field 'Assign' must be an object, not number",
        )
    ]


def test_strings_that_only_resemble_jsonata_are_plain_strings() -> None:
    assert _task("JSONata", Arguments={"a": "{% unclosed", "b": "50% off %}"}) == []


def test_jsonata_payload_fields_are_objects_or_expressions() -> None:
    processor = {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}
    state = {"Type": "Map", "ItemProcessor": processor}
    assert _found({**state, "ItemSelector": "{% $states.input %}"}, "JSONata") == []
    assert _found({**state, "ItemSelector": "{% ( %}"}, "JSONata") == [
        (JSONATA_CODE, "/States/S/ItemSelector", PARSE_ERROR)
    ]
    assert _found({**state, "ItemSelector": 3}, "JSONata") == [
        (
            SCHEMA,
            "/States/S/ItemSelector",
            "The value of the field 'ItemSelector' must be an object or a JSONata expression, "
            "not number",
        )
    ]
