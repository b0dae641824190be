"""A commit the server made but whose answer never reached the node (its connection broke
while it waited): the node must not take the step for undone. Through ``LossyProxy``, on
PostgreSQL (a SQLite commit is local: it cannot be made without the node hearing of it)."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from stepline.asl.jsontext import dumps
from stepline.engine import Engine
from stepline.runtime import SystemClock
from stepline.store import open_store
from tests.durability import workflow
from tests.durability.checks import history, history_problems, verify
from tests.durability.processes import Nodes, wait_until
from tests.durability.proxy import LossyProxy

pytestmark = pytest.mark.slow

LEASE_SECONDS = 2.0
HOLD = {
    "StartAt": "Hold",
    "States": {"Hold": {"Type": "Task", "Resource": workflow.FUNCTION_ARN + "hold", "End": True}},
}
EXECUTIONS = 20
STEP_BYTES = 8000
"""A transaction larger than this is a step's commit (the first step of 20 executions sends
tens of kB: checkpoints, events, tasks); claims and heartbeats send far less."""


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[LossyProxy]:
    port = urlsplit(postgres_url).port or 5432
    lossy = LossyProxy(port)
    yield lossy
    lossy.close()


def test_a_step_whose_commit_answer_was_lost_still_gets_its_work_done(
    postgres_url: str, proxy: LossyProxy, tmp_path: Path
) -> None:
    database = urlsplit(postgres_url).path.lstrip("/")
    nodes = Nodes(tmp_path, proxy.url(database))
    node = nodes.add("lossy", lease_seconds=LEASE_SECONDS, poll_seconds=0.5)
    store = open_store(postgres_url, migrate=False)
    with nodes.reporting():
        node.start()
        node.wait_ready()
        proxy.lose_commits(1, larger_than=STEP_BYTES)
        with Engine(postgres_url, clock=SystemClock(), node="starter") as starter:
            machine = starter.register_state_machine("hold", HOLD)
            arns = [
                starter.start_execution(machine, dumps({"seconds": 0, "n": n}))
                for n in range(EXECUTIONS)
            ]
        wait_until(
            lambda: bool(proxy.lost),
            timeout=30,
            what="a step's COMMIT answer is lost",
            failure=AssertionError,
        )
        print(f"lost the answer to a COMMIT of {proxy.lost[0]} bytes")
        wait_until(
            lambda: store.count_executions(status="RUNNING") == 0,
            timeout=3 * LEASE_SECONDS + 5,
            what="every execution has ended",
            nodes=nodes,
        )
        assert node.stop() == 0
    store.close()
    with Engine(postgres_url, functions=workflow.functions(), node="checker") as engine:
        for arn in arns:
            assert engine.describe_execution(arn)["status"] == "SUCCEEDED", arn
            assert not history_problems(history(engine, arn)), arn
            assert engine.check_replay(arn) is None, arn


LOSSES = 5


def test_executions_survive_lost_commit_answers(
    postgres_url: str, proxy: LossyProxy, tmp_path: Path, seed: int, executions: int
) -> None:
    """The workload, one node, five steps' COMMIT answers lost at random moments."""
    rng = random.Random(seed)
    database = urlsplit(postgres_url).path.lstrip("/")
    nodes = Nodes(tmp_path, proxy.url(database))
    node = nodes.add("lossy", lease_seconds=LEASE_SECONDS, poll_seconds=0.5)
    store = open_store(postgres_url, migrate=False)
    with Engine(postgres_url, functions=workflow.functions(), node="starter") as starter:
        runs = workflow.start_runs(starter, range(max(executions // 4, 1)))
    began = time.monotonic()
    with nodes.reporting():
        node.start()
        node.wait_ready()
        for _ in range(LOSSES):
            nodes.pause(rng.uniform(0.2, 1.5))
            assert store.count_executions(status="RUNNING"), "every execution ended: start more"
            proxy.lose_commits(1, larger_than=STEP_BYTES)
            wait_until(
                lambda: not proxy.armed,
                timeout=30,
                what="a step's COMMIT answer is lost",
                nodes=nodes,
                failure=AssertionError,
            )
        print(f"lost the answers to {len(proxy.lost)} COMMITs of {proxy.lost} bytes")
        wait_until(
            lambda: store.count_executions(status="RUNNING") == 0,
            timeout=180,
            what="every execution has ended",
            nodes=nodes,
        )
        assert node.stop() == 0
    ran = time.monotonic() - began
    store.close()
    with Engine(postgres_url, functions=workflow.functions(), node="checker") as engine:
        found = verify(engine, runs)
    print(f"{len(runs)} executions ({found.checked} with their children) ran in {ran:.1f} s")
    assert not found.problems, found.report(f"seed {seed}, node logs under {tmp_path}")
    assert not nodes.tracebacks(), f"unhandled exceptions in the logs of {nodes.tracebacks()}"
