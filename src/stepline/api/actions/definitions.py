"""Definitions tried without running them: ValidateStateMachineDefinition and TestState; and
resource tags."""

from __future__ import annotations

from typing import Any

from stepline.api.actions.tags import tag_map
from stepline.asl.definitions import load_definition, validate_definition
from stepline.engine import Engine
from stepline.runtime import RequestError, test_state


def validate_state_machine_definition(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    document, diagnostics = load_definition(p["definition"])
    if not diagnostics:
        diagnostics = validate_definition(document, state_machine_type=p.get("type", "STANDARD"))
    severity = p.get("severity", "ERROR")
    if severity == "ERROR":
        diagnostics = [item for item in diagnostics if item.severity == "ERROR"]
    limit = p.get("maxResults") or 100
    rendered = []
    for item in diagnostics[:limit]:
        entry = {"severity": item.severity, "code": item.code, "message": item.message}
        if item.location:
            entry["location"] = item.location
        rendered.append(entry)
    failed = any(item.severity == "ERROR" for item in diagnostics)
    return {
        "result": "FAIL" if failed else "OK",
        "diagnostics": rendered,
        "truncated": len(diagnostics) > limit,
    }


def run_test_state(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    """TestState: one state run once, as AWS's TestState API runs it."""
    try:
        return test_state(
            p["definition"],
            input=p.get("input"),
            inspection_level=p.get("inspectionLevel", "INFO"),
            variables=p.get("variables"),
            context=p.get("context"),
            mock=p.get("mock"),
            state_name=p.get("stateName"),
            state_configuration=p.get("stateConfiguration"),
            reveal_secrets=bool(p.get("revealSecrets", False)),
            role_arn=p.get("roleArn"),
            functions=engine.functions,
        )
    except RequestError as error:
        from stepline.api.errors import ApiError  # noqa: PLC0415

        raise ApiError(error.code, error.message) from None


def tag_resource(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    engine.tag_resource(p["resourceArn"], tag_map(p["tags"]))
    return {}


def untag_resource(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    engine.untag_resource(p["resourceArn"], list(p["tagKeys"]))
    return {}


def list_tags_for_resource(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    tags = engine.list_tags_for_resource(p["resourceArn"])
    return {"tags": [{"key": key, "value": value} for key, value in tags.items()]}
