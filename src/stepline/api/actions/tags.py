"""Tags as requests carry them (``[{"key": ..., "value": ...}]``), as the engine keeps them."""

from __future__ import annotations

from typing import Any

from stepline.api.errors import ApiError


def tag_map(tags: list[dict[str, Any]] | None) -> dict[str, str]:
    """``{key: value}`` of a request's tags. The model leaves both members optional; a tag
    without a key is refused as a missing member is, and one without a value has ``""``."""
    mapped: dict[str, str] = {}
    for position, tag in enumerate(tags or [], start=1):
        if tag.get("key") is None:
            raise ApiError(
                "ValidationException",
                f"1 validation error detected: Value null at 'tags.{position}.member.key' "
                "failed to satisfy constraint: Member must not be null",
            )
        mapped[tag["key"]] = tag.get("value") or ""
    return mapped
