"""AWS's JSON 1.0 protocol as Step Functions speaks it: ``POST /`` with ``X-Amz-Target:
AWSStepFunctions.<Action>`` and a JSON object as the body; the answer is a JSON object, dates
as POSIX seconds, errors as ``{"__type", "message"}``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from stepline.api.errors import ApiError

TARGET_PREFIX = "AWSStepFunctions."
CONTENT_TYPE = "application/x-amz-json-1.0"
MAX_BODY_BYTES = 4 * 1024 * 1024
"""Large enough for a 1 MiB definition and a 256 KiB payload, quoted; larger is refused."""


def action_of(target: str | None) -> str:
    """The action an ``X-Amz-Target`` header names."""
    if not target:
        raise ApiError("UnknownOperationException", "Missing X-Amz-Target header")
    if not target.startswith(TARGET_PREFIX):
        raise ApiError("UnknownOperationException", f"Unknown operation {target}")
    return target[len(TARGET_PREFIX) :]


def parameters_of(body: bytes) -> dict[str, Any]:
    """The request's parameters: a JSON object (an empty body is an empty object)."""
    if len(body) > MAX_BODY_BYTES:
        raise ApiError("RequestEntityTooLargeException", "Request body is too large", 413)
    if not body.strip():
        return {}
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ApiError("SerializationException", _NOT_AN_OBJECT) from None
    if not isinstance(parsed, dict):
        raise ApiError("SerializationException", _NOT_AN_OBJECT)
    return parsed


_NOT_AN_OBJECT = "Start of structure or map found where not expected"


def encode(document: Any) -> bytes:
    """A response as JSON: dates as POSIX seconds, as the JSON protocol carries timestamps."""
    return orjson.dumps(document, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"cannot encode {type(value).__name__}")
