"""Executions: start (asynchronous, or synchronous for Express), describe, list, history,
stop, redrive; Map Runs; answers to tasks by their token."""

from __future__ import annotations

from typing import Any

from stepline.engine import Engine, SyncResult
from stepline.engine.history import moment


def start_execution(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    started = engine.start_execution_output(
        p["stateMachineArn"], p.get("input"), name=p.get("name"), trace_header=p.get("traceHeader")
    )
    return {"executionArn": started.execution_arn, "startDate": moment(started.start_date)}


def sync_result(result: SyncResult, trace_header: str | None = None) -> dict[str, Any]:
    """StartSyncExecution's answer."""
    answer: dict[str, Any] = {
        "executionArn": result.execution_arn,
        "stateMachineArn": result.state_machine_arn,
        "name": result.name,
        "startDate": result.start_date,
        "stopDate": result.stop_date,
        "status": result.status,
        "input": result.input,
        "inputDetails": {"included": True},
        "billingDetails": {
            "billedMemoryUsedInMB": 64,
            "billedDurationInMilliseconds": max(
                100, int((result.stop_date - result.start_date) * 1000 + 0.999)
            ),
        },
    }
    if result.output is not None:
        answer["output"] = result.output
        answer["outputDetails"] = {"included": True}
    if result.error is not None:
        answer["error"] = result.error
    if result.cause is not None:
        answer["cause"] = result.cause
    if trace_header is not None:
        answer["traceHeader"] = trace_header
    return answer


def describe_execution(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    return engine.describe_execution(p["executionArn"])


def describe_state_machine_for_execution(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    return engine.describe_state_machine_for_execution(p["executionArn"])


def list_executions(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    return engine.list_executions(
        p.get("stateMachineArn"),
        map_run_arn=p.get("mapRunArn"),
        status_filter=p.get("statusFilter"),
        redrive_filter=p.get("redriveFilter"),
        max_results=p.get("maxResults") or 100,
        next_token=p.get("nextToken"),
    )


def get_execution_history(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    return engine.get_execution_history(
        p["executionArn"],
        reverse_order=bool(p.get("reverseOrder", False)),
        max_results=p.get("maxResults") or 100,
        next_token=p.get("nextToken"),
        include_execution_data=p.get("includeExecutionData", True) is not False,
    )


def stop_execution(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    return engine.stop_execution(p["executionArn"], error=p.get("error"), cause=p.get("cause"))


def redrive_execution(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    return engine.redrive_execution(p["executionArn"])


def describe_map_run(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    return engine.describe_map_run(p["mapRunArn"])


def list_map_runs(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    return engine.list_map_runs(p["executionArn"])


def update_map_run(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    engine.update_map_run(
        p["mapRunArn"],
        max_concurrency=p.get("maxConcurrency"),
        tolerated_failure_count=p.get("toleratedFailureCount"),
        tolerated_failure_percentage=p.get("toleratedFailurePercentage"),
    )
    return {}


def send_task_success(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    engine.send_task_success(p["taskToken"], p["output"])
    return {}


def send_task_failure(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    engine.send_task_failure(p["taskToken"], p.get("error"), p.get("cause"))
    return {}


def send_task_heartbeat(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    engine.send_task_heartbeat(p["taskToken"])
    return {}
