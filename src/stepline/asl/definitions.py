"""Definitions in: text (JSON, or YAML as a fallback) with ``${Name}`` substitutions, to a model.

Substitutions work as CloudFormation's ``DefinitionSubstitutions`` do: a textual replacement in
the definition *text*, before parsing. So a placeholder written bare (``"Seconds": ${Wait}``)
becomes whatever JSON the value spells (a number here), while a quoted one
(``"Seconds": "${Wait}"``) stays a string. Placeholders without a value are left as they are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from stepline.asl.diagnostics import INVALID_JSON_DESCRIPTION, SCHEMA_VALIDATION_FAILED, Diagnostic
from stepline.asl.json_errors import json_syntax_error
from stepline.asl.model import StateMachine, build_state_machine
from stepline.asl.scope import JSON
from stepline.asl.validation import validate_definition

__all__ = [
    "format_invalid_definition",
    "load_definition",
    "parse_state_machine",
    "substitute",
    "validate_definition",
]

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_NOT_AN_OBJECT = "Definition must be a valid JSON object"


def substitute(text: str, substitutions: Mapping[str, str] | None) -> str:
    """Replace each ``${Name}`` that has a value; leave the others untouched."""
    if not substitutions:
        return text
    return _PLACEHOLDER.sub(lambda match: substitutions.get(match.group(1), match.group(0)), text)


def load_definition(
    text: str, substitutions: Mapping[str, str] | None = None
) -> tuple[JSON | None, list[Diagnostic]]:
    """Parse definition text; malformed text is a diagnostic, never an exception."""
    text = substitute(text, substitutions)
    if not text.strip():
        return None, [Diagnostic(SCHEMA_VALIDATION_FAILED, "", _NOT_AN_OBJECT)]
    try:
        return json.loads(text), []
    except json.JSONDecodeError as error:
        json_error = error
    if text.lstrip().startswith(("{", "[")):
        # Text that sets out as JSON is judged as JSON: YAML would read typos such as ``nul``
        # or ``tru`` as strings and accept a definition AWS rejects.
        return None, [_json_diagnostic(text, json_error)]
    document = _load_yaml(text)
    if isinstance(document, dict):
        return document, []
    return None, [_json_diagnostic(text, json_error)]


def _load_yaml(text: str) -> object:
    """YAML is a fallback only: text YAML reads as a scalar stays a JSON syntax error."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def _json_diagnostic(text: str, error: json.JSONDecodeError) -> Diagnostic:
    """A JSON syntax error worded as AWS's parser (Jackson) words it."""
    found = json_syntax_error(text, error)
    location = f'[Source: (String)"{text}"; line: {found.line}, column: {found.column}]'
    return Diagnostic(INVALID_JSON_DESCRIPTION, location, f"{found.reason}\n at {location}")


def parse_state_machine(
    source: str | Mapping[str, Any],
    *,
    substitutions: Mapping[str, str] | None = None,
    state_machine_type: str = "STANDARD",
) -> tuple[StateMachine | None, list[Diagnostic]]:
    """Load, validate and build: the model only when no diagnostic is an error."""
    document: JSON = source
    if isinstance(source, str):
        document, diagnostics = load_definition(source, substitutions)
        if diagnostics:
            return None, diagnostics
    diagnostics = validate_definition(document, state_machine_type=state_machine_type)
    if any(diagnostic.severity == "ERROR" for diagnostic in diagnostics):
        return None, diagnostics
    return build_state_machine(document), diagnostics


def format_invalid_definition(diagnostics: Iterable[Diagnostic]) -> str:
    """The message of CreateStateMachine's ``InvalidDefinition`` error.

    AWS joins the errors with ", ", each as ``CODE: message at location``; a diagnostic without
    a location reads ``at null``.
    """
    parts = [
        f"{diagnostic.code}: {diagnostic.message} at {diagnostic.location or 'null'}"
        for diagnostic in diagnostics
        if diagnostic.severity == "ERROR"
    ]
    return f"Invalid State Machine Definition: '{', '.join(parts)}'"
