"""The schema's migrations on SQLite and PostgreSQL: from nothing, from every earlier version
(with rows that version could hold, which must survive), twice, and by several nodes at once.

Adding a migration covers it here without a new test: every version in ``MIGRATIONS`` is
migrated from. What a database at a version holds is written by that version's seed, in the
SQL of its schema (today's store methods write today's schema, so they cannot seed an older
one); a seed is frozen like the migration it goes with. A migration that changes what can be
stored adds a seed (``SEEDS``) whose expectations say how today's store reads those rows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from stepline.store import Definition, ExecutionRecord, SqlStore, open_store
from stepline.store.migrations import LATEST, MIGRATIONS
from stepline.store.records import ActivityRecord, MapRunRecord
from tests.support.records import DEFINITION, ORDERS, T0, add_machine, events, execution_arn, task

ALL_VERSIONS = [migration.version for migration in MIGRATIONS]
MAP_RUN = "arn:aws:states:us-east-1:123456789012:mapRun:Orders/running:items"


@dataclass(frozen=True)
class Expect:
    """What today's store must read back from seeded rows."""

    what: str
    read: Callable[[SqlStore], object]
    value: object


class Rows:
    """Plain SQL inside one of the store's transactions (``?`` placeholders)."""

    def __init__(self, store: SqlStore, cursor: Any) -> None:
        self.store, self.cursor = store, cursor

    def insert(self, table: str, **values: object) -> None:
        columns = ", ".join(values)
        marks = ", ".join("?" * len(values))
        statement = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
        self.cursor.execute(self.store.sql(statement), tuple(values.values()))

    def insert_id(self, table: str, **values: object) -> int:
        columns = ", ".join(values)
        marks = ", ".join("?" * len(values))
        statement = f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING id"
        return int(
            self.cursor.execute(self.store.sql(statement), tuple(values.values())).fetchone()[0]
        )


def seed_version_1(store: SqlStore) -> list[Expect]:
    """A definition; an execution mid-way (events, a timer, an answer, a task, its journal)
    owned by a node that has since died; a finished Express child of it."""
    with store.transaction() as cursor:
        rows = Rows(store, cursor)
        rows.insert("nodes", id="node-old", lease_until=T0 + 30, started_at=T0)
        machine = rows.insert_id(
            "definitions", state_machine_arn=ORDERS, name="Orders", type="STANDARD",
            definition=DEFINITION, logging_level="ALL", created_at=T0,
        )  # fmt: skip
        running = rows.insert_id(
            "executions", arn=execution_arn("running"), name="running", state_machine_arn=ORDERS,
            definition_id=machine, type="STANDARD", status="RUNNING", input='{"n": 1}',
            start_date=T0, checkpoint='{"version": 1}', version=1, owner="node-old",
        )  # fmt: skip
        child = rows.insert_id(
            "executions", arn=execution_arn("child"), name="child", state_machine_arn=ORDERS,
            definition_id=machine, type="EXPRESS", status="SUCCEEDED", input="{}",
            output='{"ok": 1}', start_date=T0, stop_date=T0 + 1, checkpoint="{}",
            parent_id=running, map_run_arn=MAP_RUN, expires_at=T0 + 3600,
        )  # fmt: skip
        for execution_id, last in ((running, 3), (child, 2)):
            for event in events(1, last):
                rows.insert(
                    "events", execution_id=execution_id, id=event.id,
                    previous_id=event.previous_id, timestamp=event.timestamp, type=event.type,
                    details=event.details,
                )  # fmt: skip
        rows.insert("wakeups", execution_id=running, key=7, kind="timer", due=T0 + 60)
        rows.insert("wakeups", execution_id=running, kind="signal", due=T0 + 5, body="{}")
        seeded_task = task(running, 8, "token-seeded")
        rows.insert(
            "tasks", execution_id=running, key=8, resource=seeded_task.resource,
            parameters=seeded_task.parameters, token="token-seeded", timeout_seconds=60,
        )  # fmt: skip
        rows.insert("journal", execution_id=running, at=T0, input='{"kind": "start"}')

    def recovered(store: SqlStore) -> object:
        released = store.release_dead(T0 + 100)
        claims = {c.execution_id: c for c in store.claim("node-new", T0 + 100, 10)}
        return released, [(w.kind, w.due, w.key, w.body) for w in claims[running].wakeups]

    return [
        Expect("definition", lambda s: s.definition(machine),
               Definition(machine, ORDERS, "Orders", "STANDARD", DEFINITION, "ALL")),
        Expect("running execution", lambda s: s.execution(execution_arn("running")),
               ExecutionRecord(
                   id=running, arn=execution_arn("running"), name="running",
                   state_machine_arn=ORDERS, definition_id=machine, type="STANDARD",
                   status="RUNNING", input='{"n": 1}', start_date=T0,
                   checkpoint='{"version": 1}', version=1, owner="node-old",
               )),
        Expect("finished child", lambda s: s.execution_by_id(child),
               ExecutionRecord(
                   id=child, arn=execution_arn("child"), name="child", state_machine_arn=ORDERS,
                   definition_id=machine, type="EXPRESS", status="SUCCEEDED", input="{}",
                   output='{"ok": 1}', start_date=T0, stop_date=T0 + 1, checkpoint="{}",
                   parent_id=running, map_run_arn=MAP_RUN, expires_at=T0 + 3600,
               )),
        Expect("ended children",
               lambda s: [r.id for r in s.executions(parent_id=running, status="SUCCEEDED")],
               [child]),
        Expect("events", lambda s: (s.events(running), s.events(child)),
               (events(1, 3), events(1, 2))),
        Expect("tasks", lambda s: s.tasks([running]), [seeded_task]),
        Expect("task by token", lambda s: s.task_by_token("token-seeded"), seeded_task),
        Expect("journal", lambda s: s.journal(running), [(T0, '{"kind": "start"}')]),
        Expect("next due", lambda s: s.next_due(), T0 + 5),
        # Last, as it changes what it reads: the dead node's execution is taken over.
        Expect("recovery", recovered, ([running], [
            ("signal", T0 + 5, None, "{}"), ("timer", T0 + 60, 7, None),
            ("recover", T0 + 100, None, None),
        ])),
    ]  # fmt: skip


def seed_version_2(store: SqlStore) -> list[Expect]:
    """Version 1's rows, the running execution's Map Run and a running child in it (with its
    key in the parent)."""
    earlier = seed_version_1(store)
    running, machine = _ids_of(store, "running")
    with store.transaction() as cursor:
        rows = Rows(store, cursor)
        rows.insert(
            "map_runs", arn=MAP_RUN, execution_id=running, status="RUNNING", start_date=T0,
            total=2, max_concurrency=5, tolerated_failure_count=1,
            tolerated_failure_percentage=12.5,
        )  # fmt: skip
        child = rows.insert_id(
            "executions", arn=execution_arn("child-2"), name="child-2", state_machine_arn=ORDERS,
            definition_id=machine, type="STANDARD", status="RUNNING", input="{}", start_date=T0,
            checkpoint="{}", parent_id=running, map_run_arn=MAP_RUN, parent_key=4,
        )  # fmt: skip
    map_run = MapRunRecord(MAP_RUN, running, "RUNNING", T0, None, 2, 5, 1, 12.5)
    return [
        Expect("map run", lambda s: s.map_run(MAP_RUN), map_run),
        Expect("map runs", lambda s: s.map_runs(running), [map_run]),
        Expect("child counts", lambda s: s.child_counts(MAP_RUN), {"SUCCEEDED": 1, "RUNNING": 1}),
        Expect("child's key", lambda s: getattr(s.execution_by_id(child), "parent_key", None), 4),
        *earlier,
    ]


ACTIVITY = "arn:aws:states:us-east-1:123456789012:activity:review"


def seed_version_3(store: SqlStore) -> list[Expect]:
    """Version 2's rows, an activity with a tag, and a task of the running child for it
    (version 3 knew neither when a task was scheduled nor who took it)."""
    earlier = seed_version_2(store)
    child, _ = _ids_of(store, "child-2")
    with store.transaction() as cursor:
        rows = Rows(store, cursor)
        rows.insert("activities", arn=ACTIVITY, name="review", creation_date=T0, settings="{}")
        rows.insert("tags", resource_arn=ACTIVITY, key="team", value="docs")
        rows.insert(
            "tasks", execution_id=child, key=9, resource=ACTIVITY, parameters='{"doc": 1}',
            token="token-activity",
        )  # fmt: skip

    def taken(store: SqlStore) -> object:
        task = store.take_task(ACTIVITY, "worker", T0 + 50, lambda task: f"started {task.key}")
        with store.reading() as cursor:
            statement = store.sql("SELECT body FROM wakeups WHERE kind = 'signal' AND due = ?")
            bodies = [row[0] for row in cursor.execute(statement, (T0 + 50,)).fetchall()]
        assert task is not None
        return task.key, task.taken_at, task.worker_name, "started 9" in bodies

    return [
        Expect("activity", lambda s: (s.activity(ACTIVITY), s.tags(ACTIVITY)),
               (ActivityRecord(ACTIVITY, "review", T0, "{}"), {"team": "docs"})),
        Expect("untaken", lambda s: s.untaken_activities([ACTIVITY]), {ACTIVITY}),
        Expect("taken by a worker", taken, (9, T0 + 50, "worker", True)),
        *earlier,
    ]  # fmt: skip


def _ids_of(store: SqlStore, name: str) -> tuple[int, int]:
    """The execution's id and its definition's."""
    with store.transaction() as cursor:
        statement = store.sql("SELECT id, definition_id FROM executions WHERE name = ?")
        row = cursor.execute(statement, (name,)).fetchone()
    return int(row[0]), int(row[1])


SEEDS: dict[int, Callable[[SqlStore], list[Expect]]] = {
    1: seed_version_1,
    2: seed_version_2,
    3: seed_version_3,
}


def test_seeds_are_for_known_versions_from_the_first() -> None:
    """A version without a seed is migrated from with the newest earlier one's."""
    assert set(SEEDS) <= set(ALL_VERSIONS)
    assert min(SEEDS) == ALL_VERSIONS[0]


def test_versions_are_numbered_in_order_and_have_both_dialects() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert ALL_VERSIONS[-1] == LATEST
    for migration in MIGRATIONS:
        assert migration.statements("sqlite"), migration.version
        assert migration.statements("postgresql"), migration.version


def test_an_empty_database_migrates_to_the_latest_once(empty_store_url: str) -> None:
    store = open_store(empty_store_url, migrate=False)
    try:
        assert store.applied_versions() == set()
        assert store.migrate() == ALL_VERSIONS
        assert store.applied_versions() == set(ALL_VERSIONS)
        definition_id = add_machine(store)
        assert store.migrate() == []
    finally:
        store.close()
    again = open_store(empty_store_url)  # opening migrates: there is nothing left to do
    try:
        assert again.migrate() == []
        assert again.applied_versions() == set(ALL_VERSIONS)
        latest = again.latest_definition(ORDERS)
        assert latest is not None
        assert latest.id == definition_id
    finally:
        again.close()


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_a_database_at_any_version_migrates_to_the_latest_keeping_its_rows(
    empty_store_url: str, version: int
) -> None:
    store = open_store(empty_store_url, migrate=False)
    try:
        assert store.migrate(up_to=version) == ALL_VERSIONS[:version]
        assert store.applied_versions() == set(ALL_VERSIONS[:version])
        expectations = SEEDS[max(v for v in SEEDS if v <= version)](store)
        assert store.migrate() == ALL_VERSIONS[version:]
        for expect in expectations:
            assert expect.read(store) == expect.value, expect.what
    finally:
        store.close()


def test_nodes_migrating_one_postgresql_database_at_once_all_succeed(
    empty_postgres_url: str,
) -> None:
    nodes = 3
    stores = [open_store(empty_postgres_url, migrate=False) for _ in range(nodes)]
    ready = threading.Barrier(nodes)
    applied: list[list[int]] = []
    failures: list[BaseException] = []

    def migrate(store: SqlStore) -> None:
        try:
            ready.wait()
            applied.append(store.migrate())
        except Exception as error:
            failures.append(error)

    threads = [threading.Thread(target=migrate, args=(store,)) for store in stores]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert failures == []
        assert len(applied) == nodes
        assert set().union(*applied) == set(ALL_VERSIONS)
        assert stores[0].applied_versions() == set(ALL_VERSIONS)
        add_machine(stores[1])
        assert stores[2].latest_definition(ORDERS) is not None
    finally:
        for store in stores:
            store.close()
