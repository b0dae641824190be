"""JSON text in and out, as AWS writes it: compact, keys in insertion order, UTF-8 unescaped."""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(value: Any) -> str:
    """Serialise compactly (``{"a":1}``), as AWS renders JSON in outputs, events and messages."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        # orjson refuses integers beyond 64 bits; the standard library takes them.
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def loads(text: str | bytes) -> Any:
    """Parse JSON text; raises ``ValueError`` (``json.JSONDecodeError``) on malformed input."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        # orjson refuses integers beyond 64 bits; fall back before calling the text malformed.
        return json.loads(text)


def type_name(value: Any) -> str:
    """The JSON type name AWS uses in its messages: null, boolean, number, string, array, object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
