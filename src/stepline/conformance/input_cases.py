"""StartExecution refused for its input (``InvalidExecutionInput``): the recorded input is sent
to a state machine of its own, on the engine in this process or on the server at
``--endpoint``, and the refusal's code and message compared with AWS's."""

from __future__ import annotations

from typing import Any

from stepline.conformance.cases import Case
from stepline.conformance.comparison import first_difference
from stepline.conformance.substitutions import Names

_DEFINITION = '{"StartAt": "Pass", "States": {"Pass": {"Type": "Pass", "End": true}}}'


def run_invalid_input_case(case: Case, endpoint: Any = None) -> str | None:
    """The first difference between AWS's refusal and Stepline's, or None."""
    input_text = str((case.record.get("request") or {}).get("input"))
    refusal = _remote(input_text, endpoint) if endpoint else _in_process(input_text)
    if refusal is None:
        return "error: expected InvalidExecutionInput, Stepline started the execution"
    expected = case.record.get("expected_error") or {}
    found = first_difference(
        {"code": expected.get("code"), "message": expected.get("message")},
        {"code": refusal[0], "message": refusal[1]},
    )
    return f"error: {found}" if found else None


def _in_process(input_text: str) -> tuple[str, str] | None:
    from stepline.conformance import engine_cases  # noqa: PLC0415
    from stepline.engine import EngineError  # noqa: PLC0415

    engine = engine_cases.engine_for(Names("input", "input"))
    name = engine_cases.machine_name("invalid_input")
    machine = engine.register_state_machine(name, _DEFINITION)
    try:
        engine.start_execution(machine, input_text)
    except EngineError as error:
        return type(error).__name__, str(error)
    return None


def _remote(input_text: str, endpoint: Any) -> tuple[str, str] | None:
    from botocore.exceptions import ClientError  # noqa: PLC0415

    from stepline.conformance.remote_cases import unique_name  # noqa: PLC0415

    client = endpoint.connect()
    machine = client.create_state_machine(
        name=unique_name("invalid_input"),
        definition=_DEFINITION,
        roleArn="arn:aws:iam::111111111111:role/stepline-conformance",
    )["stateMachineArn"]
    try:
        client.start_execution(stateMachineArn=machine, input=input_text)
    except ClientError as error:
        refusal = error.response.get("Error", {})
        return str(refusal.get("Code")), str(refusal.get("Message"))
    return None
