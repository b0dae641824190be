"""Recorded cases turned back into what an engine would return, for round-trip tests."""

from __future__ import annotations

import copy
import json
from typing import Any

from stepline.conformance.cases import Case, load_cases
from stepline.conformance.substitutions import Names

NAMES = Names(
    execution_name="exec-name-0001",
    state_machine_name="machine-name-0001",
    lambda_function_names=("lambda-0001",),
)
CONCRETE = {
    "<ExecArnPart_0idx>": NAMES.execution_name,
    "<ArnPart_0idx>": NAMES.state_machine_name,
    "arn:<partition>:": "arn:aws:",
    "<region>": NAMES.region,
    "snf_role_arn": NAMES.role_arn,
    "<uuid:1>": "3f2a1b4c-5d6e-4f70-8192-a3b4c5d6e7f8",
    "<uuid:2>": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
}
_CASES = {case.id: case for case in load_cases()}


def recorded_case(suffix: str) -> Case:
    """The one case whose id ends with ``suffix``."""
    (case,) = [case for case_id, case in _CASES.items() if case_id.endswith(suffix)]
    return case


def _concrete_text(text: str) -> str:
    for placeholder, value in CONCRETE.items():
        text = text.replace(placeholder, value)
    return text


def _as_json_text(value: Any) -> Any:
    """Parsed values back to the JSON text GetExecutionHistory returns."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def engine_history(case: Case) -> list[dict[str, Any]]:
    """The recorded history as the engine would have returned it: text fields, real names."""
    events = json.loads(_concrete_text(json.dumps(case.expected_history)))
    for event in events:
        event["timestamp"] = "2024-01-01T00:00:00.000Z"
        for key, details in event.items():
            if not key.endswith("EventDetails"):
                continue
            for name in ("input", "output", "cause"):
                if name in details:
                    details[name] = _as_json_text(details[name])
            for variable, value in (details.get("assignedVariables") or {}).items():
                details["assignedVariables"][variable] = _as_json_text(value)
    return copy.deepcopy(events)
