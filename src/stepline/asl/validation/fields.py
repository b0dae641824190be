"""The fields of Pass, Fail, Wait and Task states: numbers, timestamps, resources, credentials."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeGuard

from stepline.asl.validation.expressions import (
    check_jsonata_string,
    check_path_field,
    check_path_or_intrinsic_field,
    jsonata_body,
)
from stepline.asl.validation.report import Report, child
from stepline.asl.validation.resources import check_resource

_TIMESTAMP = re.compile(
    r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d"
    r"(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)",
    re.ASCII,
)
MAX_SECONDS = 99_999_999


def is_integer(value: object) -> bool:
    """JSON integers only: ``true`` is not 1 and ``1.0`` is not an integer in ASL's schema."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_integer(
    report: Report,
    location: str,
    name: str,
    value: object,
    *,
    minimum: int,
    maximum: int | None = None,
    language: str = "JSONPath",
) -> None:
    """An integer field within bounds; under JSONata a ``{% %}`` expression may stand in."""
    if language == "JSONata" and jsonata_body(value) is not None:
        check_jsonata_string(report, location, value)
        return
    if not is_integer(value):
        report.wrong_type(location, name, "an integer", value)
    elif value < minimum:  # type: ignore[operator]  # is_integer checked it
        report.add(location, f"The value of the field '{name}' must be at least {minimum}")
    elif maximum is not None and value > maximum:  # type: ignore[operator]
        report.add(location, f"The value of the field '{name}' must be at most {maximum}")


def check_string(
    report: Report, location: str, name: str, value: object, language: str = "JSONPath"
) -> None:
    if not isinstance(value, str):
        report.wrong_type(location, name, "a string", value)
    elif language == "JSONata":
        check_jsonata_string(report, location, value)


def exclusive(report: Report, location: str, body: Mapping[str, Any], *names: str) -> None:
    """At most one of ``names`` may be present (Error/ErrorPath, Seconds/SecondsPath...)."""
    present = [name for name in names if name in body]
    if len(present) > 1:
        report.add(location, f"Only one of these fields is allowed: [{', '.join(present)}]")


def check_pass(report: Report, location: str, body: Mapping[str, Any], language: str) -> None:
    """Pass: Result is any JSON value, so only the shared fields need checking."""


def check_fail(report: Report, location: str, body: Mapping[str, Any], language: str) -> None:
    exclusive(report, location, body, "Error", "ErrorPath")
    exclusive(report, location, body, "Cause", "CausePath")
    for name in ("Error", "Cause"):
        if name in body:
            check_string(report, child(location, name), name, body[name], language)
    if language == "JSONPath":
        for name in ("ErrorPath", "CausePath"):
            if name in body:
                check_path_or_intrinsic_field(report, child(location, name), name, body[name])


def check_wait(report: Report, location: str, body: Mapping[str, Any], language: str) -> None:
    """Exactly one of Seconds, Timestamp, SecondsPath and TimestampPath."""
    forms = [
        name for name in ("Seconds", "Timestamp", "SecondsPath", "TimestampPath") if name in body
    ]
    if not forms:
        report.add(
            location,
            "One of these fields is required: [Seconds, Timestamp, SecondsPath, TimestampPath]",
        )
    elif len(forms) > 1:
        report.add(location, f"Only one of these fields is allowed: [{', '.join(forms)}]")
    if "Seconds" in body:
        check_integer(
            report,
            child(location, "Seconds"),
            "Seconds",
            body["Seconds"],
            minimum=0,
            maximum=MAX_SECONDS,
            language=language,
        )
    if "Timestamp" in body:
        check_timestamp(report, child(location, "Timestamp"), body["Timestamp"], language)
    for name in ("SecondsPath", "TimestampPath"):
        if name in body and language == "JSONPath":
            check_path_field(report, child(location, name), name, body[name])


def check_timestamp(report: Report, location: str, value: object, language: str) -> None:
    if language == "JSONata" and jsonata_body(value) is not None:
        check_jsonata_string(report, location, value)
    elif not isinstance(value, str):
        report.wrong_type(location, "Timestamp", "a string", value)
    elif _TIMESTAMP.fullmatch(value) is None:
        report.add(location, "String does not match RFC3339 timestamp")


def check_task(report: Report, location: str, body: Mapping[str, Any], language: str) -> None:
    if "Resource" not in body:
        report.required(location, ["Resource"])
    else:
        check_resource(report, child(location, "Resource"), body["Resource"])
    exclusive(report, location, body, "TimeoutSeconds", "TimeoutSecondsPath")
    exclusive(report, location, body, "HeartbeatSeconds", "HeartbeatSecondsPath")
    for name in ("TimeoutSeconds", "HeartbeatSeconds"):
        if name in body:
            check_integer(
                report, child(location, name), name, body[name], minimum=1, language=language
            )
    for name in ("TimeoutSecondsPath", "HeartbeatSecondsPath"):
        if name in body and language == "JSONPath":
            check_path_field(report, child(location, name), name, body[name])
    timeout, heartbeat = body.get("TimeoutSeconds"), body.get("HeartbeatSeconds")
    if _is_count(timeout) and _is_count(heartbeat) and heartbeat >= timeout:
        report.add(
            child(location, "HeartbeatSeconds"),
            "The value of the field 'HeartbeatSeconds' must be smaller than 'TimeoutSeconds'",
        )
    if "Credentials" in body:
        check_credentials(report, child(location, "Credentials"), body["Credentials"], language)


def check_credentials(report: Report, location: str, value: object, language: str) -> None:
    """Credentials: an object naming the role to assume (``RoleArn`` or ``RoleArn.$``)."""
    if language == "JSONata" and jsonata_body(value) is not None:
        check_jsonata_string(report, location, value)
        return
    if not isinstance(value, dict):
        report.wrong_type(location, "Credentials", "an object", value)
        return
    # AWS reports only the missing role: other keys are not named (recorded behaviour).
    if "RoleArn" not in value and "RoleArn.$" not in value:
        report.add(location, "The field 'RoleArn' is required but was missing")


def _is_count(value: object) -> TypeGuard[int]:
    """An integer that is not a boolean (``True`` is an ``int`` to Python, not to JSON)."""
    return isinstance(value, int) and not isinstance(value, bool)
