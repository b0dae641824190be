"""Activities: the catalog, and GetActivityTask for their workers (whose answers are
SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat, in ``executions``).

GetActivityTask long-polls (up to 60 seconds). ``get_activity_task`` blocks the thread it runs
on for as long; ``begin_get_activity_task`` returns at once with a ``Future`` that the server
can await instead (``asyncio.wrap_future``), holding no thread while the poll waits.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from stepline.api.actions.tags import tag_map
from stepline.engine import Engine


def create_activity(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    return engine.create_activity(
        p["name"],
        tags=tag_map(p.get("tags")),
        encryption=p.get("encryptionConfiguration"),
    )


def describe_activity(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    return engine.describe_activity(p["activityArn"])


def delete_activity(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    engine.delete_activity(p["activityArn"])
    return {}


def list_activities(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    return engine.list_activities(
        max_results=p.get("maxResults") or 100, next_token=p.get("nextToken")
    )


def get_activity_task(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    return engine.get_activity_task(p["activityArn"], p.get("workerName"))


def begin_get_activity_task(engine: Engine, p: dict[str, Any]) -> Future[dict[str, Any]]:
    """GetActivityTask's answer to await (the request's checks are made before it returns)."""
    return engine.begin_get_activity_task(p["activityArn"], p.get("workerName"))
