"""Cases that are not an execution: definition checks and the requests AWS refused.

``validate_definition`` and CreateStateMachine's ``InvalidDefinition`` are judged with the ASL
validator; a refused TestState or StartExecution input goes to ``test_state_cases`` or
``input_cases``; other API errors belong to the API layer and are skipped with the operation
named. Express runs (synchronous, or asynchronous as seen in the logs) are executions: the
runner runs them.
"""

from __future__ import annotations

from typing import Any

from stepline.asl.definitions import (
    format_invalid_definition,
    load_definition,
    validate_definition,
)
from stepline.conformance import input_cases, test_state_cases
from stepline.conformance.cases import Case
from stepline.conformance.comparison import first_difference
from stepline.conformance.outcomes import SkipCase


def run_api_case(case: Case, endpoint: Any = None) -> str | None:
    """Judge one case whose kind is not an execution; returns a difference or None."""
    if case.kind == "validate_definition":
        return _validate_definition_case(case)
    if case.kind == "api_error":
        return _api_error_case(case, endpoint)
    raise SkipCase(f"kind {case.kind} is not run by Stepline")


def _diagnostics(case: Case) -> list[Any]:
    """Stepline's diagnostics for the case's definition, parsed from text when it was text."""
    raw = case.record.get("definition_raw")
    document = case.record.get("definition")
    if isinstance(raw, str):
        document, diagnostics = load_definition(raw)
        if diagnostics:
            return diagnostics
    machine_type = str((case.record.get("request") or {}).get("type") or "STANDARD")
    return validate_definition(document, state_machine_type=machine_type)


def _validate_definition_case(case: Case) -> str | None:
    """ValidateStateMachineDefinition: result and the diagnostics, in order."""
    diagnostics = _diagnostics(case)
    expected = case.record.get("expected_response") or {}
    errors = [item for item in diagnostics if item.severity == "ERROR"]
    actual = {
        "result": "FAIL" if errors else "OK",
        "diagnostics": [_render(item) for item in diagnostics],
    }
    wanted = {key: expected.get(key) for key in ("result", "diagnostics")}
    found = first_difference(wanted, actual)
    return f"response: {found}" if found else None


def _render(diagnostic: Any) -> dict[str, str]:
    rendered = {
        "code": diagnostic.code,
        "message": diagnostic.message,
        "severity": diagnostic.severity,
    }
    if diagnostic.location:
        rendered["location"] = diagnostic.location
    return rendered


def _api_error_case(case: Case, endpoint: Any) -> str | None:
    """A request AWS refused: CreateStateMachine for its definition (the InvalidDefinition
    message), TestState for its request, StartExecution for its input."""
    expected = case.record.get("expected_error") or {}
    operation = case.record.get("operation")
    if operation == "test_state":
        return test_state_cases.run_test_state_case(case, endpoint)
    if operation == "start_execution" and expected.get("code") == "InvalidExecutionInput":
        return input_cases.run_invalid_input_case(case, endpoint)
    if operation != "create_state_machine" or expected.get("code") != "InvalidDefinition":
        raise SkipCase(f"API error {expected.get('code')} of {operation}: not a definition check")
    diagnostics = _diagnostics(case)
    if not any(item.severity == "ERROR" for item in diagnostics):
        return "error: expected InvalidDefinition, Stepline accepted the definition"
    found = first_difference(expected.get("message"), format_invalid_definition(diagnostics))
    return f"message: {found}" if found else None
