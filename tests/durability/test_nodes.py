"""Three nodes on one PostgreSQL database: one killed with SIGKILL, another's connections cut;
one frozen (SIGSTOP) past its lease; and PostgreSQL itself restarted three times (cleanly, as
a crash, and down for longer than a lease). Every execution ends exactly once; the executions
of a node that stopped are taken over within the lease bound (ADR 0008)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from stepline.engine import Engine
from stepline.runtime import SystemClock
from stepline.store import SqlStore, open_store
from tests.durability import workflow
from tests.durability.checks import verify
from tests.durability.processes import NodeProcess, Nodes, retrying, wait_until
from tests.durability.server import OwnServer

pytestmark = pytest.mark.slow

LEASE_SECONDS = 2.0
POLL_SECONDS = 0.5
TAKEOVER_BOUND = LEASE_SECONDS + LEASE_SECONDS / 3 + POLL_SECONDS + 1.5
"""ADR 0008: a lease, one housekeeping period (a third of a lease) and a poll, plus 1.5 s for
two busy cores."""
RUN_TIMEOUT = 180.0
OUTAGES = (("fast", 0.0), ("immediate", 0.0), ("fast", 2 * LEASE_SECONDS))
"""How PostgreSQL goes down mid-run: a clean restart, a crash (WAL recovery), and a stop long
enough for every node's lease to run out meanwhile."""


def start_nodes(nodes: Nodes, *, application_names: bool = False) -> list[NodeProcess]:
    members = [
        nodes.add(
            f"node{number}",
            lease_seconds=LEASE_SECONDS,
            poll_seconds=POLL_SECONDS,
            application_name=f"stepline-node{number}" if application_names else None,
            node_name=f"node{number}",
        )
        for number in (1, 2, 3)
    ]
    for member in members:
        member.start()
    for member in members:
        member.wait_ready()
    return members


def start_runs(url: str, executions: int) -> dict[str, int]:
    with Engine(
        url, functions=workflow.functions(), clock=SystemClock(), node="starter"
    ) as starter:
        return workflow.start_runs(starter, range(executions))


def running(store: SqlStore) -> int:
    return store.count_executions(status="RUNNING")


def finish(store: SqlStore, nodes: Nodes, survivors: list[NodeProcess]) -> float:
    """Wait until every execution has ended, then stop the nodes that must still run."""
    took = wait_until(
        lambda: running(store) == 0,
        timeout=RUN_TIMEOUT,
        what="every execution has ended",
        nodes=nodes,
    )
    for member in survivors:
        assert member.stop() == 0, f"{member.label} did not leave cleanly\n{member.logs()}"
    return took


def check(url: str, runs: dict[str, int], seed: int, directory: Path) -> int:
    with Engine(url, functions=workflow.functions(), clock=SystemClock(), node="checker") as engine:
        found = verify(engine, runs)
    assert not found.problems, found.report(f"seed {seed}, node logs under {directory}")
    return found.checked


def cut_connections(url: str, application_name: str) -> int:
    """Terminate the backends of one node (by its application_name); how many."""
    database = urlsplit(url).path.lstrip("/")
    with psycopg.connect(url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND application_name = %s AND pid <> pg_backend_pid()",
            (database, application_name),
        ).fetchall()
    return sum(1 for (terminated,) in rows if terminated)


class Takeover:
    """When each execution a killed node owned was taken over by another node (claimed by
    it, or advanced), and when all of them had been released and advanced."""

    def __init__(self, store: SqlStore, node: str) -> None:
        self.store = store
        self.node = node
        self.killed_at = time.monotonic()
        self.owned = {
            record.id: record.version
            for record in store.executions(limit=10**6)
            if record.owner == node and record.status == "RUNNING"
        }
        self.taken: dict[int, float] = {}
        self.released: float | None = None
        self.advanced: float | None = None

    def done(self) -> bool:
        records = [
            record for record in self.store.executions(limit=10**6) if record.id in self.owned
        ]
        now = time.monotonic() - self.killed_at
        for record in records:
            moved = record.version > self.owned[record.id]
            if moved or record.owner not in (None, self.node):
                self.taken.setdefault(record.id, now)
        if self.released is None and all(record.owner != self.node for record in records):
            self.released = now
        if all(record.version > self.owned[record.id] for record in records):
            self.advanced = now
        return self.advanced is not None

    @property
    def slowest(self) -> float:
        """When the last of them was taken over (infinite while some were not)."""
        if len(self.taken) < len(self.owned):
            return float("inf")
        return max(self.taken.values(), default=0.0)

    def summary(self) -> str:
        times = sorted(self.taken.values())
        return (
            f"{self.node} stopped owning {len(self.owned)} running executions: released after "
            f"{_seconds(self.released)}; each taken over by another node after "
            f"{_seconds(times[len(times) // 2] if times else None)} (median) to "
            f"{_seconds(times[-1] if times else None)} (slowest; {len(times)} of them; bound "
            f"{TAKEOVER_BOUND:.2f} s); all advanced after {_seconds(self.advanced)}"
        )


def _seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.2f} s"


def test_three_nodes_carry_on_through_a_kill_and_cut_connections(
    postgres_url: str, tmp_path: Path, seed: int, executions: int
) -> None:
    rng = random.Random(seed)
    store = open_store(postgres_url, migrate=False)
    nodes = Nodes(tmp_path, postgres_url)
    began = time.monotonic()
    with nodes.reporting():
        victim, cut, bystander = start_nodes(nodes, application_names=True)
        runs = start_runs(postgres_url, executions)
        nodes.pause(rng.uniform(0.5, 2.0))
        wait_until(
            lambda: any(record.owner == victim.name for record in store.executions(limit=10**6)),
            timeout=30,
            what=f"{victim.name} owns an execution",
            nodes=nodes,
        )
        victim.kill()
        takeover = Takeover(store, victim.name)
        print(f"killed {victim.name} owning {len(takeover.owned)} running executions")
        nodes.pause(rng.uniform(0.2, 1.0))
        terminated = cut_connections(cut.store_url, f"stepline-{cut.label}")
        print(f"terminated {terminated} connections of {cut.name}")
        assert terminated >= 1, f"{cut.label} had no connection to terminate"
        wait_until(
            takeover.done,
            timeout=RUN_TIMEOUT,
            what=f"the executions of {victim.name} are taken over",
            nodes=nodes,
        )
        finishing = finish(store, nodes, [cut, bystander])
    ran = time.monotonic() - began
    store.close()
    checked = check(postgres_url, runs, seed, tmp_path)
    print(
        f"{executions} executions ({checked} with their children) on 3 nodes in {ran:.1f} s "
        f"(the last {finishing:.1f} s after the takeover); {takeover.summary()}"
    )
    assert takeover.slowest <= TAKEOVER_BOUND, f"too slow (seed {seed}): {takeover.summary()}"
    assert not nodes.tracebacks(), f"unhandled exceptions in the logs of {nodes.tracebacks()}"


def in_transaction(url: str, application_name: str) -> bool:
    """Whether a backend of the node (by its application_name) is inside a transaction."""
    with psycopg.connect(url, autocommit=True) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
            "AND application_name = %s AND xact_start IS NOT NULL",
            (urlsplit(url).path.lstrip("/"), application_name),
        ).fetchone()
    return bool(row and row[0])


def holds_its_rows(url: str, node: str) -> bool:
    """Whether an open transaction of the node holds a lock on an execution it owns."""
    with psycopg.connect(url) as connection:
        try:
            connection.execute(
                "SELECT id FROM executions WHERE owner = %s FOR UPDATE NOWAIT", (node,)
            )
        except psycopg.errors.LockNotAvailable:
            return True
        finally:
            connection.rollback()
    return False


def waiting_on_locks(url: str) -> list[tuple[str, str, list[int]]]:
    """The backends of the database waiting on a lock: who, what, and whom they wait on."""
    with psycopg.connect(url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT application_name || ' (' || pid || ')', query, pg_blocking_pids(pid) "
            "FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
            (urlsplit(url).path.lstrip("/"),),
        ).fetchall()
    return [(str(who), str(what), list(whom)) for who, what, whom in rows]


def owns_running(store: SqlStore, node: str) -> bool:
    return any(
        record.owner == node and record.status == "RUNNING"
        for record in store.executions(limit=10**6)
    )


def freeze_when(
    node: NodeProcess, wanted: Callable[[], bool], nodes: Nodes, rng: random.Random
) -> int:
    """Freeze the node at a moment ``wanted`` holds (checked while it is frozen: thawed and
    tried again a little later when it does not); how many tries it took."""
    deadline = time.monotonic() + 120
    tries = 0
    while True:
        tries += 1
        node.freeze()
        if wanted():
            return tries
        node.thaw()
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{node.name} was never caught at the wanted moment ({tries} tries)"
            )
        nodes.pause(rng.uniform(0.02, 0.2))


def test_a_node_frozen_past_its_lease_is_fenced_off(
    postgres_url: str, tmp_path: Path, seed: int, executions: int
) -> None:
    """SIGSTOP (a long GC pause, a frozen VM) between two transactions, for longer than its
    lease: the others take its executions over; thawed, everything it does is fenced off."""
    rng = random.Random(seed)
    store = open_store(postgres_url, migrate=False)
    nodes = Nodes(tmp_path, postgres_url)
    with nodes.reporting():
        frozen = start_nodes(nodes, application_names=True)[0]
        runs = start_runs(postgres_url, max(executions // 2, 1))
        nodes.pause(rng.uniform(0.5, 2.0))
        tries = freeze_when(
            frozen,
            lambda: (
                owns_running(store, frozen.name)
                and not in_transaction(postgres_url, f"stepline-{frozen.label}")
            ),
            nodes,
            rng,
        )
        takeover = Takeover(store, frozen.name)
        print(
            f"froze {frozen.name} owning {len(takeover.owned)} running executions ({tries} tries)"
        )
        try:
            wait_until(
                takeover.done,
                timeout=RUN_TIMEOUT,
                what=f"the executions of the frozen {frozen.name} are taken over",
                nodes=nodes,
            )
        finally:
            frozen.thaw()  # its workers answer, its loop commits: all of it must be fenced off
        print(f"thawed {frozen.name}: {takeover.summary()}")
        finish(store, nodes, nodes.members)
    store.close()
    checked = check(postgres_url, runs, seed, tmp_path)
    print(f"{len(runs)} executions ({checked} with their children) ended exactly once")
    assert takeover.slowest <= TAKEOVER_BOUND, f"too slow (seed {seed}): {takeover.summary()}"
    assert not nodes.tracebacks(), f"unhandled exceptions in the logs of {nodes.tracebacks()}"


def test_a_node_frozen_inside_a_commit_does_not_hold_up_the_others(
    postgres_url: str, tmp_path: Path, seed: int, executions: int
) -> None:
    rng = random.Random(seed)
    store = open_store(postgres_url, migrate=False)
    nodes = Nodes(tmp_path, postgres_url)
    with nodes.reporting():
        frozen = start_nodes(nodes, application_names=True)[0]
        start_runs(postgres_url, max(executions // 2, 1))
        tries = freeze_when(frozen, lambda: holds_its_rows(postgres_url, frozen.name), nodes, rng)
        takeover = Takeover(store, frozen.name)
        print(
            f"froze {frozen.name} inside a transaction that locks its executions, owning "
            f"{len(takeover.owned)} running executions ({tries} tries)"
        )
        try:
            wait_until(
                takeover.done,
                timeout=TAKEOVER_BOUND + 5,
                what=f"the executions of the frozen {frozen.name} are taken over",
                nodes=nodes,
            )
        finally:
            print(f"{takeover.summary()}; waiting on locks: {waiting_on_locks(postgres_url)}")
            frozen.thaw()


@pytest.fixture
def own_postgres() -> Iterator[OwnServer]:
    server = OwnServer()
    try:
        yield server.start()
    finally:
        server.remove()


def test_three_nodes_carry_on_through_postgresql_restarts(
    own_postgres: OwnServer, tmp_path: Path, seed: int, executions: int
) -> None:
    rng = random.Random(seed)
    url = own_postgres.create_database("stepline_durability")
    store = open_store(url)
    nodes = Nodes(tmp_path, url)
    began = time.monotonic()
    try:
        with nodes.reporting():
            members = start_nodes(nodes)
            runs = start_runs(url, executions)
            for mode, down_for in OUTAGES:
                nodes.pause(rng.uniform(0.5, 2.5))
                left = retrying(lambda: running(store))
                assert left, "every execution ended before PostgreSQL restarted: start more"
                down = own_postgres.restart(mode, down_for=down_for)
                print(f"PostgreSQL restarted ({mode}), {left} running: down {down:.2f} s")
            finishing = finish(store, nodes, members)
    finally:
        own_postgres.ensure_running()
    ran = time.monotonic() - began
    store.close()
    checked = check(url, runs, seed, tmp_path)
    print(
        f"{executions} executions ({checked} with their children) on 3 nodes in {ran:.1f} s "
        f"through {len(OUTAGES)} restarts of PostgreSQL (the last {finishing:.1f} s after them)"
    )
    assert not nodes.tracebacks(), f"unhandled exceptions in the logs of {nodes.tracebacks()}"
