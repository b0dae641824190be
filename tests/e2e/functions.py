"""Lambda-style functions the end-to-end tests' state machines call (``--functions``)."""

from __future__ import annotations

from typing import Any


def double(event: Any, context: Any) -> Any:
    return {"doubled": event["n"] * 2}


def fail(event: Any, context: Any) -> Any:
    raise ValueError(event.get("message", "asked to fail"))
