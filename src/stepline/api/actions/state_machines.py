"""State machines, their versions and aliases."""

from __future__ import annotations

from typing import Any

from stepline.api.actions.tags import tag_map
from stepline.engine import Engine


def create_state_machine(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    return engine.create_state_machine(
        p["name"],
        p["definition"],
        p["roleArn"],
        type=p.get("type", "STANDARD"),
        logging=p.get("loggingConfiguration"),
        tracing=p.get("tracingConfiguration"),
        encryption=p.get("encryptionConfiguration"),
        tags=tag_map(p.get("tags")),
        publish=bool(p.get("publish", False)),
        version_description=p.get("versionDescription"),
    )


def describe_state_machine(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    return engine.describe_state_machine(p["stateMachineArn"])


def update_state_machine(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    return engine.update_state_machine(
        p["stateMachineArn"],
        definition=p.get("definition"),
        role_arn=p.get("roleArn"),
        logging=p.get("loggingConfiguration"),
        tracing=p.get("tracingConfiguration"),
        encryption=p.get("encryptionConfiguration"),
        publish=bool(p.get("publish", False)),
        version_description=p.get("versionDescription"),
    )


def delete_state_machine(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    engine.delete_state_machine(p["stateMachineArn"])
    return {}


def list_state_machines(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    return engine.list_state_machines(
        max_results=p.get("maxResults") or 100, next_token=p.get("nextToken")
    )


def publish_state_machine_version(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    return engine.publish_state_machine_version(
        p["stateMachineArn"], revision_id=p.get("revisionId"), description=p.get("description")
    )


def list_state_machine_versions(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    return engine.list_state_machine_versions(
        p["stateMachineArn"], max_results=p.get("maxResults") or 100, next_token=p.get("nextToken")
    )


def delete_state_machine_version(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    engine.delete_state_machine_version(p["stateMachineVersionArn"])
    return {}


def create_state_machine_alias(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    return engine.create_state_machine_alias(
        p["name"], p["routingConfiguration"], description=p.get("description")
    )


def describe_state_machine_alias(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    return engine.describe_state_machine_alias(p["stateMachineAliasArn"])


def update_state_machine_alias(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    return engine.update_state_machine_alias(
        p["stateMachineAliasArn"],
        description=p.get("description"),
        routing=p.get("routingConfiguration"),
    )


def delete_state_machine_alias(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    engine.delete_state_machine_alias(p["stateMachineAliasArn"])
    return {}


def list_state_machine_aliases(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    return engine.list_state_machine_aliases(
        p["stateMachineArn"], max_results=p.get("maxResults") or 100, next_token=p.get("nextToken")
    )
