"""TestState cases: the recorded request sent to ``stepline.runtime.test_state``, and the
response (or API error) compared with AWS's, ResponseMetadata aside.

Stepline's response is rewritten as the recordings were (``substitutions``). Two more steps
make the comparison fair without hiding differences of substance:

- JSON text is compared as the value it encodes: the recordings kept some texts as AWS spaced
  them (``"[1, 1, 1]"``), Stepline writes them compactly;
- the names AWS generated for the execution, state machine and role TestState pretends to run
  in were recorded as ``<resource:N>``, numbered across the whole recording session; both sides'
  placeholders are renumbered in order of first appearance, so equal means "the same names in
  the same places".
"""

from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass
from typing import Any

from stepline.conformance.cases import FROZEN_NOW, Case
from stepline.conformance.comparison import first_difference
from stepline.conformance.outcomes import SkipCase
from stepline.conformance.substitutions import Names, Substitutions

EXECUTION_NAME = "stepline-test-state-execution"
STATE_MACHINE_NAME = "stepline-test-state-machine"
ROLE_NAME = "stepline-test-state-role"
ROLE_ARN = f"arn:aws:iam::111111111111:role/{ROLE_NAME}"
RESOURCE_NAME = "resource_name"
_RESOURCE = re.compile(r"<resource:\d+>")
_TEXT_FIELDS = ("output",)


def run_test_state_case(case: Case, endpoint: Any = None) -> str | None:
    """Send the recorded request; returns the first difference from AWS's answer, or None.

    A TestState that AWS refused (an ``api_error`` case) records its request as ``request``.
    With ``endpoint``, such a refusal is also asked of that server, with boto3.
    """
    runtime = _runtime()
    request = dict(case.record.get("test_state_request") or case.record.get("request") or {})
    _skip_unless_runnable(case, request)
    if endpoint is not None and case.kind == "api_error":
        return _compare_remote(case, request, endpoint)
    try:
        response = runtime.test_state(
            case.record["definition"],
            input=request.get("input"),
            inspection_level=request.get("inspectionLevel", "INFO"),
            variables=request.get("variables"),
            context=request.get("context"),
            mock=request.get("mock"),
            state_name=request.get("stateName"),
            state_configuration=request.get("stateConfiguration"),
            reveal_secrets=bool(request.get("revealSecrets")),
            # The recordings dropped roleArn from the requests AWS answered (their responses
            # name a role); a request AWS refused is sent as recorded.
            role_arn=request.get("roleArn") if case.kind == "api_error" else ROLE_ARN,
            clock=runtime.FakeClock(FROZEN_NOW),
            execution_name=EXECUTION_NAME,
            state_machine_name=STATE_MACHINE_NAME,
        )
    except runtime.RequestError as error:
        return _compare_error(case, error)
    return _compare_response(case, response)


def _runtime() -> Any:
    runtime = importlib.import_module("stepline.runtime")
    if not hasattr(runtime, "test_state"):
        raise SkipCase("TestState not implemented yet")
    return runtime


def _skip_unless_runnable(case: Case, request: dict[str, Any]) -> None:
    """Skip when the tested state itself would call a service Stepline does not provide.

    A case lists the services its whole definition names; a Choice of that machine, or a Task
    whose work is mocked, needs none of them.
    """
    missing = case.missing_services()
    if not missing or request.get("mock") is not None:
        return
    definition = case.record["definition"]
    state = definition.get("States", {}).get(request.get("stateName")) or definition
    if state.get("Type") == "Task":
        raise SkipCase(f"needs services Stepline does not provide: {', '.join(missing)}")


def _compare_remote(case: Case, request: dict[str, Any], endpoint: Any) -> str | None:
    from botocore.exceptions import ClientError  # noqa: PLC0415 - only the remote mode needs it

    definition = case.record["definition"]
    text = definition if isinstance(definition, str) else json.dumps(definition)
    try:
        response = endpoint.connect().test_state(definition=text, **request)
    except ClientError as error:
        refusal = error.response.get("Error", {})
        return _compare_error(case, _Refusal(refusal.get("Code"), refusal.get("Message")))
    return f"error: expected {case.record.get('expected_error')}, the server answered {response}"


@dataclass(frozen=True)
class _Refusal:
    code: str | None
    message: str | None


def _compare_error(case: Case, error: Any) -> str | None:
    expected = case.record.get("expected_error")
    if expected is None:
        return f"error: Stepline rejected the request with {error.code}: {error.message}"
    actual = {"code": error.code, "message": error.message}
    found = first_difference({key: expected.get(key) for key in actual}, actual)
    return f"error: {found}" if found else None


def _compare_response(case: Case, response: dict[str, Any]) -> str | None:
    if "expected_response" not in case.record:
        return f"error: expected {case.record.get('expected_error')}, Stepline answered"
    expected = dict(case.record["expected_response"])
    expected.pop("ResponseMetadata", None)
    actual = normalise_response(case, response)
    found = first_difference(_comparable(case, expected), _comparable(case, actual))
    return f"response: {found}" if found else None


def normalise_response(case: Case, response: dict[str, Any]) -> dict[str, Any]:
    """Stepline's response rewritten as the recorded one was."""
    names = Names(
        execution_name=EXECUTION_NAME,
        state_machine_name=STATE_MACHINE_NAME,
        role_arn=ROLE_ARN,
    )
    rewritten = Substitutions(case, names).apply(response)
    if case.has_substitution(RESOURCE_NAME):
        text = json.dumps(rewritten)
        for number, name in enumerate((EXECUTION_NAME, STATE_MACHINE_NAME, ROLE_NAME), 1):
            text = text.replace(name, f"<resource:{number}>")
        rewritten = json.loads(text)
    return rewritten


def _comparable(case: Case, response: dict[str, Any]) -> dict[str, Any]:
    """JSON texts parsed, and generated names renumbered in order of appearance."""
    parsed = dict(response)
    for key in _TEXT_FIELDS:
        parsed[key] = _parsed(parsed.get(key))
    inspection = parsed.get("inspectionData")
    if isinstance(inspection, dict):
        parsed["inspectionData"] = {key: _parsed(value) for key, value in inspection.items()}
    if not case.has_substitution(RESOURCE_NAME):
        return {key: value for key, value in parsed.items() if value is not None}
    text = json.dumps(parsed, sort_keys=True)
    numbers: dict[str, str] = {}
    text = _RESOURCE.sub(
        lambda match: numbers.setdefault(match.group(0), f"<resource:{len(numbers) + 1}>"), text
    )
    renumbered: dict[str, Any] = json.loads(text)
    return {key: value for key, value in renumbered.items() if value is not None}


def _parsed(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value
