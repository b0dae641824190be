"""A node that stops without a word (its process died): what it had claimed is taken over.

The node here is abandoned in-process (its loop and workers stop, its connections close, it
never says it leaves); ``tests/durability`` kills real processes with SIGKILL.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from stepline.engine import Engine
from stepline.runtime import FakeClock, FunctionRegistry

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:"


TASK = {
    "StartAt": "T",
    "States": {"T": {"Type": "Task", "Resource": FUNCTION + "work", "End": True}},
}


def abandon(engine: Engine) -> None:
    """Stop a node as a crash would: no ``leave``, its lease simply runs out."""
    engine.workers.close()
    engine.store.close()
    if engine._lock_file is not None:
        engine._lock_file.close()


class Calls:
    """A function that blocks its first call until released, and counts its calls."""

    def __init__(self) -> None:
        self.count = 0
        self.release = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, event: Any, context: Any) -> Any:
        with self._lock:
            self.count += 1
            first = self.count == 1
        if first:
            self.release.wait(timeout=30)
        return {"seen": event}


def started_tasks(engine: Engine, arn: str) -> int:
    record = engine.store.execution(arn)
    assert record is not None
    return len(engine.store.tasks([record.id]))


def crash_while_working(
    store_url: str, calls: Calls, machine_type: str = "STANDARD"
) -> tuple[str, Engine]:
    """A first node starts an execution and dies while its worker is in the call; the next
    node, joining once the first one's lease has run out, and the execution's ARN."""
    functions = FunctionRegistry({"work": calls})
    first = Engine(
        store_url, functions=functions, clock=FakeClock(), node="first", lease_seconds=0.5
    )
    machine = first.register_state_machine("work", TASK, type=machine_type)
    arn = first.start_execution(machine, '{"n": 1}')
    first.step()
    deadline = time.monotonic() + 10
    while calls.count == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert calls.count == 1  # the first node's worker is stuck in the call
    abandon(first)
    time.sleep(0.6)  # its lease runs out
    second = Engine(
        store_url, functions=functions, clock=FakeClock(), node="second", lease_seconds=0.5
    )
    return arn, second


def test_work_a_dead_node_dispatched_is_dispatched_again_by_the_next(store_url: str) -> None:
    calls = Calls()
    arn, second = crash_while_working(store_url, calls)
    try:
        second.run_until_idle()
        described = second.describe_execution(arn)
        assert described["status"] == "SUCCEEDED"
        assert json.loads(described["output"]) == {"seen": {"n": 1}}
        assert calls.count == 2  # dispatched again: at least once
        assert started_tasks(second, arn) == 0
        assert second.check_replay(arn) is None
    finally:
        calls.release.set()
        second.close()


def test_an_accepted_express_start_runs_again_when_its_node_dies(store_url: str) -> None:
    calls = Calls()
    arn, second = crash_while_working(store_url, calls, "EXPRESS")
    try:
        second.run_until_idle()
        assert second.describe_execution(arn)["status"] == "SUCCEEDED"
        assert calls.count == 2  # at least once, as AWS runs asynchronous Express executions
    finally:
        calls.release.set()
        second.close()
