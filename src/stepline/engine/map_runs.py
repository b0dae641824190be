"""Map Runs, as AWS's API has them: ListMapRuns, DescribeMapRun and UpdateMapRun.

A distributed Map's run is its parent execution's fork (``runtime.fanout``); its row in
``map_runs`` is written from the run's notices, in the parent's steps. UpdateMapRun changes
the row and queues an ``update`` wake-up for the parent in one transaction, so the new
settings are what DescribeMapRun shows at once and what the parent's run applies at its next
step, whichever node takes it, even if this one stops in between (``docs/aws-lifecycle.md``).
"""

from __future__ import annotations

from typing import Any

from stepline.asl.jsontext import dumps
from stepline.engine import arns, errors, history
from stepline.runtime.effects import MapRunUpdated, encode
from stepline.store import ExecutionRecord, NewWakeup, SqlStore

MISSING_SETTINGS = (
    "Must provide at least one of maxConcurrency, toleratedFailureCount or "
    "toleratedFailurePercentage"
)


class MapRuns:
    """The Map Run part of the engine's API (mixed into ``Engine``)."""

    store: SqlStore

    def _now(self) -> float:
        raise NotImplementedError

    def nudge(self) -> None:
        raise NotImplementedError

    def _record(self, execution_arn: str, *, check_arn: bool = True) -> ExecutionRecord:
        raise NotImplementedError

    def list_map_runs(self, execution_arn: str) -> dict[str, Any]:
        """ListMapRuns: the Map Runs an execution's distributed Maps started, newest first."""
        record = self._record(execution_arn)
        return {
            "mapRuns": [
                history.map_run_summary(run, record) for run in self.store.map_runs(record.id)
            ]
        }

    def describe_map_run(self, map_run_arn: str) -> dict[str, Any]:
        """DescribeMapRun: a Map Run's settings, status and counts of its children."""
        run = self.store.map_run(map_run_arn)
        if run is None:
            raise errors.ResourceNotFound(f"Resource not found: '{map_run_arn}'")
        parent = self.store.execution_by_id(run.execution_id)
        assert parent is not None
        return history.describe_map_run(run, parent, self.store.child_counts(map_run_arn))

    def update_map_run(
        self,
        map_run_arn: str,
        *,
        max_concurrency: int | None = None,
        tolerated_failure_count: int | None = None,
        tolerated_failure_percentage: float | None = None,
    ) -> None:
        """UpdateMapRun: new settings for a running Map Run. DescribeMapRun shows them on
        return; its execution applies them at its next step (more or fewer children at once
        from then on, the failures so far held against the new threshold). A Map Run that
        has ended is refused, as AWS refuses it (``CANNOT_UPDATE_COMPLETED_MAP_RUN``)."""
        if arns.parse(map_run_arn).kind != "mapRun":
            raise errors.InvalidArn(
                f"Invalid Arn: 'Resource type not valid in this context: {map_run_arn}'"
            )
        update = MapRunUpdated(
            map_run_arn, max_concurrency, tolerated_failure_count, tolerated_failure_percentage
        )
        _check(update)
        settings = (max_concurrency, tolerated_failure_count, tolerated_failure_percentage)
        wakeup = NewWakeup("update", self._now(), body=dumps(encode(update)))
        found = self.store.update_map_run(map_run_arn, settings, wakeup)
        if found is None:
            raise errors.ResourceNotFound(f"Resource not found: '{map_run_arn}'")
        if found.status != "RUNNING":
            raise errors.ValidationException(
                f"Map Run is {found.status} and cannot be updated: '{map_run_arn}'",
                "CANNOT_UPDATE_COMPLETED_MAP_RUN",
            )
        self.nudge()


def _check(update: MapRunUpdated) -> None:
    """The model's constraints on UpdateMapRun's settings (the server checks them first)."""
    given = {
        "maxConcurrency": (update.max_concurrency, 0, None),
        "toleratedFailureCount": (update.tolerated_failure_count, 0, None),
        "toleratedFailurePercentage": (update.tolerated_failure_percentage, 0, 100),
    }
    if all(value is None for value, _, _ in given.values()):
        raise errors.ValidationException(MISSING_SETTINGS, "MISSING_REQUIRED_PARAMETER")
    for name, (value, lowest, highest) in given.items():
        if value is None:
            continue
        if value < lowest:
            bound = f"greater than or equal to {lowest}"
        elif highest is not None and value > highest:
            bound = f"less than or equal to {highest}"
        else:
            continue
        raise errors.ValidationException(
            f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy "
            f"constraint: Member must have value {bound}"
        )
