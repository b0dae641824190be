"""Executions and their histories as the store keeps them and as AWS's API returns them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from stepline.asl.jsontext import loads
from stepline.runtime.events import HistoryEvent, details_key
from stepline.store import EventRecord, ExecutionRecord
from stepline.store.records import MapRunRecord


def to_record(event: HistoryEvent) -> EventRecord:
    stamp = event.stamp
    timestamp = stamp if isinstance(stamp, float) else stamp.timestamp()
    return EventRecord(
        event.id, event.previous_event_id, timestamp, event.type, event.details_text()
    )


def event_to_api(event: EventRecord, *, include_data: bool = True) -> dict[str, Any]:
    """The event as GetExecutionHistory returns it (boto3's shapes: a datetime timestamp)."""
    api: dict[str, Any] = {
        "timestamp": moment(event.timestamp),
        "type": event.type,
        "id": event.id,
        "previousEventId": event.previous_id,
    }
    if event.details is not None:
        details = loads(event.details)
        if not include_data:
            details = _without_data(details)
        api[details_key(event.type)] = details
    return api


# GetExecutionHistory with includeExecutionData false leaves out inputs, outputs and their
# truncation details, and the parameters a task was scheduled with.
_DATA_FIELDS = frozenset({"input", "inputDetails", "output", "outputDetails", "parameters"})


def _without_data(details: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in details.items() if key not in _DATA_FIELDS}


def moment(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def describe(record: ExecutionRecord) -> dict[str, Any]:
    """DescribeExecution's fields for an execution (boto3's shapes: datetimes)."""
    described: dict[str, Any] = {
        "executionArn": record.arn,
        "stateMachineArn": record.state_machine_arn,
        "name": record.name,
        "status": record.status,
        "startDate": moment(record.start_date),
        "input": record.input,
        "inputDetails": {"included": True},
        "redriveCount": record.redrive_count,
    }
    if record.stop_date is not None:
        described["stopDate"] = moment(record.stop_date)
    if record.output is not None:
        described["output"] = record.output
        described["outputDetails"] = {"included": True}
    if record.error is not None:
        described["error"] = record.error
    if record.cause is not None:
        described["cause"] = record.cause
    if record.redrive_date is not None:
        described["redriveDate"] = moment(record.redrive_date)
    if record.type == "STANDARD":
        reason = redrive_reason(record)
        described["redriveStatus"] = "NOT_REDRIVABLE" if reason else "REDRIVABLE"
        if reason:
            described["redriveStatusReason"] = reason
    if record.map_run_arn is not None:
        described["mapRunArn"] = record.map_run_arn
    if record.version_arn is not None:
        described["stateMachineVersionArn"] = record.version_arn
    if record.alias_arn is not None:
        described["stateMachineAliasArn"] = record.alias_arn
    if record.trace_header is not None:
        described["traceHeader"] = record.trace_header
    return described


def redrive_reason(record: ExecutionRecord) -> str | None:
    """Why AWS would refuse to redrive the execution (``redriveStatusReason``), or None."""
    if record.type != "STANDARD":
        return "This operation is not supported by this type of state machine"
    if record.status in ("RUNNING", "SUCCEEDED"):
        return f"Execution is {record.status} and cannot be redriven"
    return None


def summary(record: ExecutionRecord) -> dict[str, Any]:
    """One item of ListExecutions."""
    item: dict[str, Any] = {
        "executionArn": record.arn,
        "stateMachineArn": record.state_machine_arn,
        "name": record.name,
        "status": record.status,
        "startDate": moment(record.start_date),
        "redriveCount": record.redrive_count,
    }
    if record.stop_date is not None:
        item["stopDate"] = moment(record.stop_date)
    if record.map_run_arn is not None:
        item["mapRunArn"] = record.map_run_arn
    if record.redrive_date is not None:
        item["redriveDate"] = moment(record.redrive_date)
    if record.version_arn is not None:
        item["stateMachineVersionArn"] = record.version_arn
    if record.alias_arn is not None:
        item["stateMachineAliasArn"] = record.alias_arn
    return item


def map_run_summary(run: MapRunRecord, parent: ExecutionRecord) -> dict[str, Any]:
    """One item of ListMapRuns."""
    label = run.arn.split(":mapRun:", 1)[-1].rsplit(":", 1)[0].split("/", 1)[-1]
    item: dict[str, Any] = {
        "executionArn": parent.arn,
        "mapRunArn": run.arn,
        "stateMachineArn": f"{parent.state_machine_arn}/{label}",
        "startDate": moment(run.start_date),
    }
    if run.stop_date is not None:
        item["stopDate"] = moment(run.stop_date)
    return item


_COUNTED = {
    "RUNNING": "running",
    "SUCCEEDED": "succeeded",
    "FAILED": "failed",
    "TIMED_OUT": "timedOut",
    "ABORTED": "aborted",
}


def describe_map_run(
    run: MapRunRecord, parent: ExecutionRecord, children: dict[str, int]
) -> dict[str, Any]:
    """DescribeMapRun's fields; one item per child execution (no ItemBatcher counting)."""
    counts = {name: children.get(status, 0) for status, name in _COUNTED.items()}
    started = sum(children.values())
    counts.update(
        pending=max(0, run.total - started),
        total=run.total,
        resultsWritten=counts["succeeded"],
        failuresNotRedrivable=0,
        pendingRedrive=0,
    )
    described: dict[str, Any] = {
        "mapRunArn": run.arn,
        "executionArn": parent.arn,
        "status": run.status,
        "startDate": moment(run.start_date),
        "maxConcurrency": run.max_concurrency,
        "toleratedFailurePercentage": run.tolerated_failure_percentage,
        "toleratedFailureCount": run.tolerated_failure_count,
        "itemCounts": dict(counts),
        "executionCounts": dict(counts),
        "redriveCount": 0,
    }
    if run.stop_date is not None:
        described["stopDate"] = moment(run.stop_date)
    return described
