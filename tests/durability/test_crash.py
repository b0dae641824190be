"""One node, killed with SIGKILL at five random moments and restarted each time, on SQLite
and on PostgreSQL: every execution ends exactly once, as it would have without the kills."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from stepline.engine import Engine
from stepline.runtime import SystemClock
from stepline.store import open_store
from tests.durability import workflow
from tests.durability.checks import history, history_problems, verify
from tests.durability.processes import Nodes, wait_until

pytestmark = pytest.mark.slow

KILLS = 5
LEASE_SECONDS = 2.0
POLL_SECONDS = 0.5
KILL_AFTER = (0.3, 1.8)
"""A kill comes this many seconds (uniformly drawn) after the node's loop runs."""
RUN_TIMEOUT = 180.0


def test_executions_survive_their_node_killed_five_times(
    store_url: str, tmp_path: Path, seed: int, executions: int
) -> None:
    rng = random.Random(seed)
    with Engine(store_url, functions=workflow.functions(), clock=SystemClock()) as starter:
        runs = workflow.start_runs(starter, range(executions))
    store = open_store(store_url, migrate=False)
    nodes = Nodes(tmp_path, store_url)
    node = nodes.add("crash", lease_seconds=LEASE_SECONDS, poll_seconds=POLL_SECONDS)
    began = time.monotonic()
    with nodes.reporting():
        for kill in range(1, KILLS + 1):
            node.start()
            startup = node.wait_ready()
            delay = rng.uniform(*KILL_AFTER)
            nodes.pause(delay)
            running = [record.id for record in store.executions(status="RUNNING", limit=10**6)]
            assert running, (
                f"every execution ended before kill {kill}: start more "
                "(STEPLINE_DURABILITY_EXECUTIONS) so that the kills land mid-run"
            )
            in_flight = len(store.tasks(running))
            node.kill()
            print(
                f"kill {kill} of {node.name}: {delay:.2f} s after its loop ran "
                f"(it took {startup:.2f} s to start), {len(running)} executions running, "
                f"{in_flight} tasks dispatched and unanswered"
            )
        node.start()
        node.wait_ready()
        finishing = wait_until(
            lambda: store.count_executions(status="RUNNING") == 0,
            timeout=RUN_TIMEOUT,
            what="every execution has ended",
            nodes=nodes,
        )
        assert node.stop() == 0, f"the last node did not leave cleanly\n{node.logs()}"
    ran = time.monotonic() - began
    store.close()
    with Engine(store_url, functions=workflow.functions(), clock=SystemClock()) as engine:
        checking = time.monotonic()
        found = verify(engine, runs)
        checked = time.monotonic() - checking
    print(
        f"{executions} executions ({found.checked} with their children) ran in {ran:.1f} s "
        f"through {KILLS} kills (the last node finished in {finishing:.1f} s); "
        f"checked in {checked:.1f} s"
    )
    assert not found.problems, found.report(f"seed {seed}, node logs under {tmp_path}")
    assert not nodes.tracebacks(), f"unhandled exceptions in the logs of {nodes.tracebacks()}"


HOLD = {
    "StartAt": "Hold",
    "States": {"Hold": {"Type": "Task", "Resource": workflow.FUNCTION_ARN + "hold", "End": True}},
}
HELD = 5
HOLD_SECONDS = 2


def test_a_node_restarted_under_its_own_name_carries_on_its_work(
    store_url: str, tmp_path: Path
) -> None:
    with Engine(store_url, functions=workflow.functions(), clock=SystemClock()) as starter:
        machine = starter.register_state_machine("hold", HOLD)
        arns = [
            starter.start_execution(machine, f'{{"seconds": {HOLD_SECONDS}, "n": {n}}}')
            for n in range(HELD)
        ]
    store = open_store(store_url, migrate=False)
    nodes = Nodes(tmp_path, store_url)
    node = nodes.add(
        "steady",
        lease_seconds=LEASE_SECONDS,
        poll_seconds=POLL_SECONDS,
        node_name="steady",  # as a service restarted under its host name
    )
    with nodes.reporting():
        node.start()
        node.wait_ready()
        ids = [record.id for record in store.executions(limit=HELD)]
        wait_until(
            lambda: len(store.tasks(ids)) == HELD,
            timeout=30,
            what="every execution's task is dispatched",
            nodes=nodes,
            failure=AssertionError,
        )
        node.kill()
        node.start()
        node.wait_ready()
        wait_until(
            lambda: store.count_executions(status="RUNNING") == 0,
            timeout=HOLD_SECONDS + 3 * LEASE_SECONDS + 5,
            what="the restarted node has finished every execution its first process began",
            nodes=nodes,
        )
    store.close()
    with Engine(store_url, functions=workflow.functions(), clock=SystemClock()) as engine:
        for arn in arns:
            assert engine.describe_execution(arn)["status"] == "SUCCEEDED"
            assert not history_problems(history(engine, arn)), arn
            assert engine.check_replay(arn) is None, arn
