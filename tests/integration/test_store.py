"""The store on SQLite and on a real PostgreSQL, through its public methods only.

Every test taking ``store``/``store_url`` runs on both backends (``tests/conftest.py``); those
taking ``postgres_url`` are about what only PostgreSQL does (several nodes at once, NOTIFY).
Records come from ``tests.support.records``; nodes are named ``node-a``, ``node-b``...
"""

from __future__ import annotations

import collections
import json
import sqlite3
import threading
import time
from dataclasses import replace
from typing import Any

import psycopg
import pytest

from stepline.store import (
    Definition,
    DuplicateExecution,
    EventRecord,
    ExecutionRecord,
    NewWakeup,
    SqlStore,
    StepWrite,
    open_store,
)
from stepline.store.postgres import PostgresStore
from stepline.store.records import MapRunRecord
from tests.support.records import (
    DEFINITION,
    ORDERS,
    REFUNDS,
    T0,
    add_machine,
    claim_one,
    due_kinds,
    events,
    new_execution,
    start,
    step,
    task,
)

INTEGRITY_ERRORS = (sqlite3.IntegrityError, psycopg.IntegrityError)
MAP_RUN = "arn:aws:states:us-east-1:123456789012:mapRun:Orders/parent:items"


# Definitions and executions ------------------------------------------------------------------


def test_definitions_are_kept_and_the_latest_runs_new_executions(store: SqlStore) -> None:
    first = store.add_definition(ORDERS, "Orders", "STANDARD", DEFINITION, now=T0)
    second = store.add_definition(ORDERS, "Orders", "STANDARD", "{}", now=T0 + 1,
                                  logging_level="ERROR")  # fmt: skip
    other = add_machine(store, REFUNDS, "EXPRESS")
    assert len({first, second, other}) == 3
    assert store.definition(first) == Definition(first, ORDERS, "Orders", "STANDARD", DEFINITION)
    assert store.latest_definition(ORDERS) == Definition(
        second, ORDERS, "Orders", "STANDARD", "{}", "ERROR"
    )
    latest_refunds = store.latest_definition(REFUNDS)
    assert latest_refunds is not None
    assert latest_refunds.type == "EXPRESS"
    assert store.latest_definition(ORDERS + "-missing") is None
    assert store.definition(max(first, second, other) + 1) is None


def test_a_created_execution_reads_back_with_its_events_and_start(store: SqlStore) -> None:
    definition_id = add_machine(store)
    new = new_execution(definition_id, "one", parent_id=41, map_run_arn="arn:map-run")
    execution_id = store.create_execution(new, NewWakeup("start", T0 + 2), events(1, 2))
    expected = ExecutionRecord(
        id=execution_id, arn=new.arn, name="one", state_machine_arn=ORDERS,
        definition_id=definition_id, type="STANDARD", status="RUNNING", input=new.input,
        start_date=T0, checkpoint=new.checkpoint, parent_id=41, map_run_arn="arn:map-run",
    )  # fmt: skip
    assert store.execution(new.arn) == expected
    assert store.execution_by_id(execution_id) == expected
    assert store.checkpoints([execution_id]) == {execution_id: (0, definition_id, new.checkpoint)}
    assert store.events(execution_id) == events(1, 2)
    assert store.last_event_id(execution_id) == 2
    assert store.next_due() == T0 + 2
    assert store.execution(new.arn + "-missing") is None
    assert store.execution_by_id(execution_id + 1) is None
    assert store.last_event_id(execution_id + 1) == 0
    assert store.checkpoints([]) == {}


def test_an_execution_without_a_start_waits_for_nothing(store: SqlStore) -> None:
    execution_id = store.create_execution(new_execution(add_machine(store), "idle"), None)
    assert store.next_due() is None
    assert store.events(execution_id) == []
    assert store.claim("node-a", T0 + 1000, 10) == []


def test_a_second_execution_of_the_same_arn_is_refused_and_writes_nothing(
    store: SqlStore,
) -> None:
    definition_id = add_machine(store)
    new = new_execution(definition_id, "twice")
    first = store.create_execution(new, NewWakeup("start", T0 + 10), events(1, 1))
    with pytest.raises(DuplicateExecution, match="twice"):
        store.create_execution(
            replace(new, input='{"other": true}'), NewWakeup("start", T0), events(1, 3)
        )
    assert store.count_executions() == 1
    record = store.execution(new.arn)
    assert record is not None
    assert (record.id, record.input) == (first, new.input)
    assert store.events(first) == events(1, 1)
    assert store.next_due() == T0 + 10


def test_executions_are_listed_newest_first_filtered_and_paged(store: SqlStore) -> None:
    orders, refunds = add_machine(store), add_machine(store, REFUNDS)
    ids = [
        store.create_execution(new_execution(orders, "o1"), None),
        store.create_execution(new_execution(refunds, "r1", state_machine_arn=REFUNDS), None),
        store.create_execution(new_execution(orders, "o2", parent_id=7), None),
        store.create_execution(new_execution(orders, "o3", map_run_arn="arn:map"), None),
        store.record_finished(
            new_execution(orders, "o4", type="EXPRESS"),
            StepWrite(0, 0, "{}", "FAILED", error="Oops", stop_date=T0 + 1),
        ),
    ]
    o1, r1, o2, o3, o4 = ids

    def names(records: list[ExecutionRecord]) -> list[str]:
        return [record.name for record in records]

    listed = store.executions()
    assert names(listed) == ["o4", "o3", "o2", "r1", "o1"]
    assert all(record.checkpoint is None for record in listed)  # summaries leave it out
    assert listed[0].error == "Oops"
    assert names(store.executions(state_machine_arn=ORDERS)) == ["o4", "o3", "o2", "o1"]
    assert names(store.executions(state_machine_arn=REFUNDS)) == ["r1"]
    assert names(store.executions(status="RUNNING")) == ["o3", "o2", "r1", "o1"]
    assert names(store.executions(status="FAILED", state_machine_arn=ORDERS)) == ["o4"]
    assert names(store.executions(parent_id=7)) == ["o2"]
    assert names(store.executions(map_run_arn="arn:map")) == ["o3"]
    assert store.executions(status="SUCCEEDED") == []
    page = store.executions(state_machine_arn=ORDERS, limit=2)
    assert names(page) == ["o4", "o3"]
    rest = store.executions(state_machine_arn=ORDERS, limit=2, before_id=page[-1].id)
    assert names(rest) == ["o2", "o1"]
    assert store.executions(state_machine_arn=ORDERS, limit=2, before_id=rest[-1].id) == []
    assert [record.id for record in listed] == [o4, o3, o2, r1, o1]
    assert store.count_executions() == 5
    assert store.count_executions(status="RUNNING") == 4
    assert store.count_executions(type_="EXPRESS") == 1
    assert store.count_executions(status="RUNNING", type_="EXPRESS") == 0


def test_a_finished_express_execution_is_recorded_in_one_go(store: SqlStore) -> None:
    definition_id = add_machine(store, type_="EXPRESS")
    new = new_execution(definition_id, "quick", type="EXPRESS")
    write = StepWrite(0, 0, '{"c": 1}', "SUCCEEDED", events=events(1, 4), output='{"r": 2}',
                      stop_date=T0 + 0.5, expires_at=T0 + 60)  # fmt: skip
    execution_id = store.record_finished(new, write)
    record = store.execution_by_id(execution_id)
    assert record is not None
    assert (record.status, record.output, record.stop_date, record.expires_at) == (
        "SUCCEEDED", '{"r": 2}', T0 + 0.5, T0 + 60,
    )  # fmt: skip
    assert (record.owner, record.version, record.checkpoint) == (None, 0, '{"c": 1}')
    assert store.events(execution_id) == events(1, 4)
    assert store.next_due() is None


def test_events_page_forwards_and_backwards(store: SqlStore) -> None:
    execution_id = store.create_execution(
        new_execution(add_machine(store), "long"), None, events(1, 10)
    )
    other = store.create_execution(new_execution(add_machine(store), "other"), None, events(1, 2))

    def ids(found: list[EventRecord]) -> list[int]:
        return [event.id for event in found]

    assert store.events(execution_id) == events(1, 10)
    assert ids(store.events(execution_id, after_id=3)) == [4, 5, 6, 7, 8, 9, 10]
    assert ids(store.events(execution_id, after_id=3, limit=2)) == [4, 5]
    assert ids(store.events(execution_id, before_id=4)) == [1, 2, 3]
    assert ids(store.events(execution_id, after_id=2, before_id=6)) == [3, 4, 5]
    assert ids(store.events(execution_id, reverse=True)) == list(range(10, 0, -1))
    assert ids(store.events(execution_id, reverse=True, limit=3)) == [10, 9, 8]
    assert ids(store.events(execution_id, reverse=True, before_id=8, limit=3)) == [7, 6, 5]
    assert store.events(execution_id, after_id=10) == []
    assert store.events(execution_id, limit=0) == []
    assert ids(store.events(other)) == [1, 2]


# Claims and commits --------------------------------------------------------------------------


def test_a_claim_takes_only_wakeups_that_are_due(store: SqlStore) -> None:
    definition_id = add_machine(store)
    now_id = start(store, definition_id, "now", due=T0)
    later_id = start(store, definition_id, "later", due=T0 + 100)
    store.add_wakeup(now_id, NewWakeup("timer", T0 + 50, key=3))
    assert store.claim("node-a", T0 - 1, 10) == []
    (claim,) = store.claim("node-a", T0, 10)
    assert (claim.execution_id, claim.version, claim.status, claim.definition_id, claim.type) == (
        now_id, 0, "RUNNING", definition_id, "STANDARD",
    )  # fmt: skip
    assert [(w.kind, w.due, w.key) for w in claim.wakeups] == [("start", T0, None)]
    # Its owner claims it again (nothing was consumed), with what has come due since.
    assert due_kinds(store, "node-a", T0 + 50) == {now_id: ["start", "timer"]}
    assert due_kinds(store, "node-a", T0 + 100) == {
        now_id: ["start", "timer"],
        later_id: ["start"],
    }
    execution = store.execution_by_id(now_id)
    assert execution is not None
    assert execution.owner == "node-a"


def test_a_claim_takes_at_most_its_limit(store: SqlStore) -> None:
    definition_id = add_machine(store)
    ids = {start(store, definition_id, f"e{i}") for i in range(5)}
    first = {claim.execution_id for claim in store.claim("node-a", T0, 2)}
    second = {claim.execution_id for claim in store.claim("node-b", T0, 10)}
    assert len(first) == 2
    assert second == ids - first


def test_an_execution_another_node_owns_is_not_claimed(store: SqlStore) -> None:
    definition_id = add_machine(store)
    execution_id = start(store, definition_id, "owned")
    store.heartbeat("node-a", T0, 30)
    store.heartbeat("node-b", T0, 30)
    claim = claim_one(store, "node-a", T0, execution_id)
    store.add_wakeup(execution_id, NewWakeup("signal", T0 + 1, body="{}"))
    assert store.claim("node-b", T0 + 5, 10) == []
    # Once node-a commits and lets it go, node-b takes the answer.
    assert store.commit("node-a", [step(claim, release=True)]) == set()
    assert due_kinds(store, "node-b", T0 + 5) == {execution_id: ["signal"]}


def test_a_commit_writes_a_whole_step(store: SqlStore) -> None:
    definition_id = add_machine(store)
    execution_id = start(store, definition_id, "step")
    claim = claim_one(store, "node-a", T0, execution_id)
    write = step(
        claim,
        checkpoint='{"at": "Charge"}',
        events=events(2, 4),
        new_wakeups=[NewWakeup("timer", T0 + 30, key=5)],
        new_tasks=[task(execution_id, 6)],
        journal=[(T0, '{"kind": "start"}'), (T0 + 0.5, '{"kind": "signal"}')],
        expires_at=T0 + 999,
    )
    assert store.commit("node-a", [write]) == set()
    record = store.execution_by_id(execution_id)
    assert record is not None
    assert (record.version, record.owner, record.status, record.checkpoint) == (
        1, "node-a", "RUNNING", '{"at": "Charge"}',
    )  # fmt: skip
    assert record.expires_at == T0 + 999
    assert store.checkpoints([execution_id]) == {execution_id: (1, definition_id, write.checkpoint)}
    assert store.events(execution_id) == events(1, 4)
    assert store.tasks([execution_id]) == [task(execution_id, 6)]
    assert store.task_by_token(f"token-{execution_id}-6") == task(execution_id, 6)
    assert store.task_by_token("token-unknown") is None
    assert store.journal(execution_id) == write.journal
    assert store.next_due() == T0 + 30  # the start was consumed, the timer is next
    (timer,) = claim_one(store, "node-a", T0 + 30, execution_id).wakeups
    assert (timer.kind, timer.key) == ("timer", 5)

    finish = StepWrite(execution_id, 1, '{"end": 1}', "SUCCEEDED", events=events(5, 5),
                       output='{"paid": true}', stop_date=T0 + 31, done_wakeups=[timer.id],
                       cancelled_keys=[6], release=True,
                       journal=[(T0 + 30, '{"kind": "timer"}')])  # fmt: skip
    assert store.commit("node-a", [finish]) == set()
    record = store.execution_by_id(execution_id)
    assert record is not None
    assert (record.version, record.owner, record.status, record.output, record.stop_date) == (
        2, None, "SUCCEEDED", '{"paid": true}', T0 + 31,
    )  # fmt: skip
    assert store.tasks([execution_id]) == []
    assert store.next_due() is None
    assert store.last_event_id(execution_id) == 5
    assert store.journal(execution_id) == [*write.journal, *finish.journal]


def test_a_redriving_step_counts_the_redrive_and_later_steps_keep_it(store: SqlStore) -> None:
    execution_id = start(store, add_machine(store), "again")
    claim = claim_one(store, "node-a", T0, execution_id)
    redrive = step(claim, redrive_count=1, redrive_date=T0 + 5)
    assert store.commit("node-a", [redrive]) == set()
    later = StepWrite(execution_id, 1, "{}", "SUCCEEDED", stop_date=T0 + 6, release=True)
    assert store.commit("node-a", [later]) == set()
    record = store.execution_by_id(execution_id)
    assert record is not None
    assert (record.redrive_count, record.redrive_date, record.status) == (1, T0 + 5, "SUCCEEDED")


def test_a_stale_write_is_lost_and_the_rest_of_the_batch_is_written(store: SqlStore) -> None:
    definition_id = add_machine(store)
    fresh_id, stale_id = start(store, definition_id, "fresh"), start(store, definition_id, "stale")
    claims = {claim.execution_id: claim for claim in store.claim("node-a", T0, 10)}
    stale = step(
        claims[stale_id],
        expected_version=claims[stale_id].version + 1,
        events=events(2, 2),
        new_wakeups=[NewWakeup("timer", T0 + 5, key=1)],
        new_tasks=[task(stale_id, 2)],
        journal=[(T0, "{}")],
    )
    fresh = step(claims[fresh_id], events=events(2, 2), journal=[(T0, "{}")])
    assert store.commit("node-a", [stale, fresh]) == {stale_id}
    assert store.last_event_id(fresh_id) == 2
    assert store.journal(fresh_id) == [(T0, "{}")]
    # Nothing of the lost write: not its version, events, journal, work, nor consumed start.
    record = store.execution_by_id(stale_id)
    assert record is not None
    assert (record.version, record.checkpoint) == (0, new_execution(0, "stale").checkpoint)
    assert store.events(stale_id) == events(1, 1)
    assert store.journal(stale_id) == []
    assert store.tasks([stale_id]) == []
    assert due_kinds(store, "node-a", T0 + 10) == {stale_id: ["start"]}


def test_a_node_that_lost_an_execution_cannot_write_it(store: SqlStore) -> None:
    definition_id = add_machine(store)
    execution_id = start(store, definition_id, "taken")
    store.heartbeat("node-a", T0, 10)
    store.heartbeat("node-b", T0 + 15, 10)
    late = claim_one(store, "node-a", T0, execution_id)
    # node-a's lease runs out; node-b recovers the execution and moves it on.
    assert store.release_dead(T0 + 15, except_node="node-b") == [execution_id]
    taken = claim_one(store, "node-b", T0 + 15, execution_id)
    assert store.commit("node-b", [step(taken, events=events(2, 2))]) == set()
    assert store.commit("node-a", [step(late, events=events(2, 3))]) == {execution_id}
    assert store.events(execution_id) == events(1, 2)
    record = store.execution_by_id(execution_id)
    assert record is not None
    assert (record.owner, record.version) == ("node-b", 1)


def test_a_commit_is_all_or_nothing(store: SqlStore) -> None:
    definition_id = add_machine(store)
    good_id, bad_id = start(store, definition_id, "good"), start(store, definition_id, "bad")
    claims = {claim.execution_id: claim for claim in store.claim("node-a", T0, 10)}
    good = step(claims[good_id], events=events(2, 2), new_tasks=[task(good_id, 1)])
    bad = step(claims[bad_id], events=events(1, 1))  # event 1 exists already
    with pytest.raises(INTEGRITY_ERRORS):
        store.commit("node-a", [good, bad])
    record = store.execution_by_id(good_id)
    assert record is not None
    assert record.version == 0
    assert store.events(good_id) == events(1, 1)
    assert store.tasks([good_id]) == []
    assert due_kinds(store, "node-a", T0) == {good_id: ["start"], bad_id: ["start"]}


def test_cancelled_keys_delete_their_timer_and_task(store: SqlStore) -> None:
    definition_id = add_machine(store)
    execution_id = start(store, definition_id, "cancel")
    kept_id = start(store, definition_id, "kept")
    claims = {claim.execution_id: claim for claim in store.claim("node-a", T0, 10)}
    work = {
        "new_wakeups": [NewWakeup("timer", T0 + 10, key=1), NewWakeup("timer", T0 + 20, key=2)],
    }
    assert store.commit(
        "node-a",
        [
            step(claims[execution_id], new_tasks=[task(execution_id, 3), task(execution_id, 4)],
                 **work),
            step(claims[kept_id], new_tasks=[task(kept_id, 1)], **work),
        ],
    ) == set()  # fmt: skip
    cancel = StepWrite(execution_id, 1, "{}", "RUNNING", cancelled_keys=[1, 3])
    assert store.commit("node-a", [cancel]) == set()
    assert [t.key for t in store.tasks([execution_id])] == [4]
    assert [t.key for t in store.tasks([kept_id])] == [1]
    assert store.task_by_token(f"token-{execution_id}-3") is None
    claimed = {
        c.execution_id: [w.key for w in c.wakeups] for c in store.claim("node-a", T0 + 20, 10)
    }
    assert claimed == {execution_id: [2], kept_id: [1, 2]}


def test_discarding_work_deletes_every_wakeup_and_task_of_that_execution(store: SqlStore) -> None:
    definition_id = add_machine(store)
    failed_id, other_id = start(store, definition_id, "failed"), start(store, definition_id, "ok")
    claims = {claim.execution_id: claim for claim in store.claim("node-a", T0, 10)}
    store.commit(
        "node-a",
        [
            step(claims[failed_id], new_wakeups=[NewWakeup("timer", T0 + 5, key=1)],
                 new_tasks=[task(failed_id, 2)]),
            step(claims[other_id], new_wakeups=[NewWakeup("timer", T0 + 5, key=1)],
                 new_tasks=[task(other_id, 2)]),
        ],
    )  # fmt: skip
    store.add_wakeup(failed_id, NewWakeup("stop", T0 + 1, body="[null, null]"))
    discard = StepWrite(failed_id, 1, "{}", "FAILED", error="States.Runtime", stop_date=T0 + 2,
                        release=True, discard_work=True)  # fmt: skip
    assert store.commit("node-a", [discard]) == set()
    assert store.tasks([failed_id, other_id]) == [task(other_id, 2)]
    assert due_kinds(store, "node-b", T0 + 100) == {}  # node-a still owns the other
    assert due_kinds(store, "node-a", T0 + 100) == {other_id: ["timer"]}


def test_a_released_execution_has_no_owner(store: SqlStore) -> None:
    definition_id = add_machine(store)
    kept_id, released_id = start(store, definition_id, "k"), start(store, definition_id, "r")
    claims = {claim.execution_id: claim for claim in store.claim("node-a", T0, 10)}
    writes = [step(claims[kept_id]), step(claims[released_id], release=True)]
    assert store.commit("node-a", writes) == set()
    owners = {record.id: record.owner for record in store.executions()}
    assert owners == {kept_id: "node-a", released_id: None}
    store.add_wakeup(released_id, NewWakeup("signal", T0 + 1))
    store.add_wakeup(kept_id, NewWakeup("signal", T0 + 1))
    assert due_kinds(store, "node-b", T0 + 1) == {released_id: ["signal"]}


def test_an_empty_commit_writes_nothing(store: SqlStore) -> None:
    assert store.commit("node-a", []) == set()


def test_nodes_claiming_at_once_never_take_the_same_execution(store_url: str) -> None:
    """Four nodes claim, advance and let go in a loop until no wake-up is left: every start
    is taken exactly once, and no commit is lost (one would be if two nodes had held an
    execution at once). On PostgreSQL this is ``FOR UPDATE SKIP LOCKED`` at work."""
    setup = open_store(store_url)
    definition_id = add_machine(setup)
    executions = [start(setup, definition_id, f"e{i}") for i in range(120)]
    setup.close()
    nodes = [f"node-{i}" for i in range(4)]
    stores = [open_store(store_url, migrate=False) for _ in nodes]
    ready = threading.Barrier(len(nodes))
    taken: collections.Counter[int] = collections.Counter()
    counting = threading.Lock()
    lost: list[set[int]] = []
    failures: list[BaseException] = []
    deadline = time.monotonic() + 30

    def work(node: str, store: SqlStore) -> None:
        try:
            ready.wait()
            while time.monotonic() < deadline:
                claims = store.claim(node, T0, 7)
                if not claims and store.next_due() is None:
                    return
                with counting:
                    for claim in claims:
                        taken.update(w.execution_id for w in claim.wakeups if w.kind == "start")
                writes = [
                    step(c, events=events(c.version + 2, c.version + 2), release=True)
                    for c in claims
                ]
                lost.append(store.commit(node, writes))
            raise TimeoutError(f"{node} still found work after 30 s")
        except Exception as error:
            failures.append(error)

    threads = [threading.Thread(target=work, args=pair) for pair in zip(nodes, stores, strict=True)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert failures == []
        assert not any(lost)
        assert taken == collections.Counter(executions)
    finally:
        for opened in stores:
            opened.close()


# Nodes -------------------------------------------------------------------------------------


def test_a_heartbeat_extends_a_nodes_lease(store: SqlStore) -> None:
    execution_id = start(store, add_machine(store), "leased")
    store.heartbeat("node-a", T0, 10)
    claim_one(store, "node-a", T0, execution_id)
    assert store.release_dead(T0 + 5) == []
    store.heartbeat("node-a", T0 + 8, 10)
    assert store.release_dead(T0 + 15) == []
    assert store.release_dead(T0 + 19) == [execution_id]
    assert store.release_dead(T0 + 20) == []  # the dead node was forgotten


def test_the_executions_of_a_dead_node_are_recovered(store: SqlStore) -> None:
    standard_id = start(store, add_machine(store), "standard")
    express_id = start(store, add_machine(store, REFUNDS, "EXPRESS"), "express", type_="EXPRESS")
    idle_id = start(store, add_machine(store), "idle", due=T0 + 1000)
    store.heartbeat("node-a", T0, 30)
    claims = {claim.execution_id: claim for claim in store.claim("node-a", T0, 10)}
    assert set(claims) == {standard_id, express_id}
    store.commit("node-a", [step(claims[standard_id], new_tasks=[task(standard_id, 1)],
                                 new_wakeups=[NewWakeup("timer", T0 + 500, key=2)])])  # fmt: skip
    # An Express run holds its start back while it runs (as the engine does).
    store.postpone([w.id for w in claims[express_id].wakeups], T0 + 360)
    store.heartbeat("node-b", T0 + 40, 30)

    assert store.release_dead(T0 + 40, except_node="node-b") == sorted([standard_id, express_id])
    assert {r.id: r.owner for r in store.executions()} == dict.fromkeys(
        [standard_id, express_id, idle_id]
    )
    recovered = {c.execution_id: c for c in store.claim("node-b", T0 + 40, 10)}
    assert {i: [(w.kind, w.due) for w in c.wakeups] for i, c in recovered.items()} == {
        standard_id: [("recover", T0 + 40)],
        express_id: [("start", T0 + 40), ("recover", T0 + 40)],
    }
    assert store.tasks([standard_id]) == [task(standard_id, 1)]  # for node-b to carry out again
    assert store.release_dead(T0 + 60, except_node="node-b") == []


def test_recovery_can_be_due_on_the_engines_own_clock(store: SqlStore) -> None:
    standard_id = start(store, add_machine(store), "standard")
    express_id = start(store, add_machine(store, REFUNDS, "EXPRESS"), "express", type_="EXPRESS")
    store.heartbeat("node-a", T0, 30)
    claims = store.claim("node-a", T0, 10)
    store.postpone(
        [w.id for c in claims for w in c.wakeups if c.execution_id == express_id], T0 + 360
    )
    later = T0 + 5000  # a fake clock far from the wall clock that leases are kept on
    assert store.release_dead(T0 + 40, due=later) == sorted([standard_id, express_id])
    assert store.next_due() == later  # every start not yet consumed begins again then
    recovered = {c.execution_id: [(w.kind, w.due) for w in c.wakeups]
                 for c in store.claim("node-b", later, 10)}  # fmt: skip
    assert recovered == {
        standard_id: [("start", later), ("recover", later)],
        express_id: [("start", later), ("recover", later)],
    }


def test_a_node_spared_by_release_dead_keeps_its_executions(store: SqlStore) -> None:
    execution_id = start(store, add_machine(store), "mine")
    store.heartbeat("node-a", T0, 10)
    claim_one(store, "node-a", T0, execution_id)
    assert store.release_dead(T0 + 100, except_node="node-a") == []
    record = store.execution_by_id(execution_id)
    assert record is not None
    assert record.owner == "node-a"
    assert store.release_dead(T0 + 100) == [execution_id]


def test_a_node_that_leaves_gives_up_its_executions_at_once(store: SqlStore) -> None:
    definition_id = add_machine(store)
    store.heartbeat("node-a", T0, 30)
    store.heartbeat("node-b", T0, 30)
    mine = start(store, definition_id, "mine")
    claim_one(store, "node-a", T0, mine)
    theirs = start(store, definition_id, "theirs")
    claim_one(store, "node-b", T0, theirs)
    store.leave("node-a", T0 + 1)
    assert {record.id: record.owner for record in store.executions()} == {
        mine: None,
        theirs: "node-b",
    }
    store.heartbeat("node-c", T0, 3600)
    assert due_kinds(store, "node-c", T0 + 1) == {mine: ["start", "recover"]}
    # node-a is forgotten: there is nothing left to release for it when its lease runs out.
    assert store.release_dead(T0 + 100, except_node="node-b") == []


def test_single_node_recovery_releases_every_nodes_executions(store: SqlStore) -> None:
    definition_id = add_machine(store)
    ids = {}
    for node in ("node-a", "node-b", "node-c"):
        store.heartbeat(node, T0, 30)
        ids[node] = start(store, definition_id, node)
        claim_one(store, node, T0, ids[node])
    # node-b starting again (a new process under the same name) on a file it serves alone
    assert store.release_node("node-b", T0 + 1, everyone=True) == sorted(ids.values())
    assert {record.owner for record in store.executions()} == {None}
    assert due_kinds(store, "node-d", T0 + 1) == {
        execution_id: ["start", "recover"] for execution_id in ids.values()
    }


def test_a_node_starting_again_under_its_name_recovers_what_it_owned(store: SqlStore) -> None:
    definition_id = add_machine(store)
    store.heartbeat("node-a", T0, 30)
    store.heartbeat("node-b", T0, 30)
    mine = start(store, definition_id, "mine")
    claim_one(store, "node-a", T0, mine)
    theirs = start(store, definition_id, "theirs")
    claim_one(store, "node-b", T0, theirs)
    assert store.release_node("node-a", T0 + 1) == [mine]
    owners = {record.id: record.owner for record in store.executions()}
    assert owners == {mine: None, theirs: "node-b"}


def test_executions_of_a_forgotten_node_are_released_later(store: SqlStore) -> None:
    definition_id = add_machine(store)
    orphan = start(store, definition_id, "orphan")
    store.heartbeat("node-a", T0, 30)
    claim_one(store, "node-a", T0, orphan)
    store.leave("node-a", T0)  # gone, but suppose its execution had been held meanwhile
    with store.transaction() as cursor:
        cursor.execute(
            store.sql("UPDATE executions SET owner = ? WHERE id = ?"), ("node-a", orphan)
        )
    assert store.release_dead(T0 + 1) == [orphan]


# Housekeeping --------------------------------------------------------------------------------


def test_expired_executions_are_purged(store: SqlStore) -> None:
    definition_id = add_machine(store, type_="EXPRESS")

    def finished(name: str, expires_at: float) -> int:
        write = StepWrite(0, 0, "{}", "SUCCEEDED", events=events(1, 2), stop_date=T0,
                          expires_at=expires_at)  # fmt: skip
        return store.record_finished(new_execution(definition_id, name, type="EXPRESS"), write)

    expired, kept = finished("expired", T0 + 10), finished("kept", T0 + 100)
    running = start(store, definition_id, "running", type_="EXPRESS")
    claim = claim_one(store, "node-a", T0, running)
    store.commit("node-a", [step(claim, expires_at=T0 + 10, journal=[(T0, "{}")])])
    assert store.purge_expired(T0 + 10) == 0  # expiry is strictly after
    assert store.purge_expired(T0 + 50) == 1
    assert store.execution_by_id(expired) is None
    assert store.events(expired) == []
    assert {record.id for record in store.executions()} == {kept, running}
    assert store.journal(running) == [(T0, "{}")]
    assert store.purge_expired(T0 + 50) == 0


def test_postponed_wakeups_come_due_later(store: SqlStore) -> None:
    assert store.next_due() is None
    definition_id = add_machine(store, type_="EXPRESS")
    execution_id = start(store, definition_id, "held", type_="EXPRESS")
    other_id = start(store, definition_id, "other", due=T0 + 50, type_="EXPRESS")
    assert store.next_due() == T0
    (held,) = claim_one(store, "node-a", T0, execution_id).wakeups
    store.postpone([held.id], T0 + 300)
    assert store.next_due() == T0 + 50
    assert due_kinds(store, "node-a", T0 + 100) == {other_id: ["start"]}
    assert due_kinds(store, "node-a", T0 + 300) == {execution_id: ["start"], other_id: ["start"]}
    store.postpone([held.id], float("inf"))  # held for good (the engine does this)
    assert due_kinds(store, "node-a", 1e300) == {other_id: ["start"]}
    store.postpone([], T0)


# Child executions and Map Runs ----------------------------------------------------------------


def start_children(
    store: SqlStore, node: str, keys: list[int], *, release: bool = True
) -> tuple[int, dict[str, int]]:
    """A parent whose first step starts a child per key (``parent-K``, ``parent-K-2`` for a
    repeated key) in one Map Run; its id and its children's ids by name."""
    definition_id = add_machine(store)
    parent = start(store, definition_id, "parent")
    claim = claim_one(store, node, T0, parent)
    names = [f"parent-{key}" + ("-2" if keys[:i].count(key) else "") for i, key in enumerate(keys)]
    children = [
        new_execution(definition_id, name, parent_id=parent, parent_key=key, map_run_arn=MAP_RUN,
                      events=tuple(events(1, 1)))
        for name, key in zip(names, keys, strict=True)
    ]  # fmt: skip
    write = step(claim, new_executions=children, release=release)
    assert store.commit(node, [write]) == set()
    return parent, {record.name: record.id for record in store.executions(parent_id=parent)}


def finish(store: SqlStore, node: str, endings: dict[int, dict[str, Any]]) -> None:
    """``node`` claims what is due and ends each execution of ``endings`` (with its fields:
    ``status``, ``output``...) in one commit; it keeps the others it claimed."""
    claims = {claim.execution_id: claim for claim in store.claim(node, T0, 100)}
    writes = [
        step(claims[execution_id], stop_date=T0 + 1, release=True, **fields)
        for execution_id, fields in endings.items()
    ]
    assert store.commit(node, writes) == set()


def test_a_step_starts_child_executions_due_at_once(store: SqlStore) -> None:
    parent, children = start_children(store, "node-a", [1, 2], release=False)
    assert list(children) == ["parent-2", "parent-1"]  # newest first
    for name, key in (("parent-1", 1), ("parent-2", 2)):
        record = store.execution_by_id(children[name])
        assert record is not None
        assert (record.status, record.parent_id, record.parent_key, record.map_run_arn) == (
            "RUNNING", parent, key, MAP_RUN,
        )  # fmt: skip
        assert store.events(record.id) == events(1, 1)
    assert store.child_counts(MAP_RUN) == {"RUNNING": 2}
    # The parent is node-a's; its children are anyone's, due now.
    assert due_kinds(store, "node-b", T0) == {child: ["start"] for child in children.values()}


def test_an_ended_child_wakes_its_parent_with_its_result(store: SqlStore) -> None:
    parent, children = start_children(store, "node-a", [1, 2])
    finish(store, "node-b", {
        children["parent-1"]: {"status": "SUCCEEDED", "output": '{"x": 1}'},
        children["parent-2"]: {"status": "FAILED", "error": "Boom", "cause": "bad"},
    })  # fmt: skip
    (claim,) = store.claim("node-c", T0, 10)
    assert claim.execution_id == parent
    assert sorted((w.kind, w.key, json.loads(w.body or "null")) for w in claim.wakeups) == [
        ("child", 1, ["SUCCEEDED", '{"x": 1}', None, None]),
        ("child", 2, ["FAILED", None, "Boom", "bad"]),
    ]
    assert store.child_counts(MAP_RUN) == {"SUCCEEDED": 1, "FAILED": 1}
    # A parent that ends has no parent of its own to wake.
    finish(store, "node-c", {parent: {"status": "SUCCEEDED"}})
    assert store.next_due() is None


def test_cancelling_a_key_stops_the_running_children_under_it(store: SqlStore) -> None:
    parent, children = start_children(store, "node-a", [1, 1, 2])
    # node-b takes the three children and ends one under key 1.
    finish(store, "node-b", {children["parent-1-2"]: {"status": "SUCCEEDED"}})
    claim = claim_one(store, "node-a", T0, parent)
    assert store.commit("node-a", [step(claim, cancelled_keys=[1], release=True)]) == set()
    stops = {
        c.execution_id: [w.body for w in c.wakeups if w.kind == "stop"]
        for c in store.claim("node-b", T0, 10)
    }
    assert stops == {children["parent-1"]: ["[null, null]"], children["parent-2"]: []}


def test_a_lost_step_starts_no_child_and_no_map_run(store: SqlStore) -> None:
    definition_id = add_machine(store)
    parent = start(store, definition_id, "parent")
    claim = claim_one(store, "node-a", T0, parent)
    child = new_execution(definition_id, "child", parent_id=parent, parent_key=1)
    run = MapRunRecord(MAP_RUN, parent, "RUNNING", T0, None, 1, 1, 0, 0.0)
    stale = step(claim, expected_version=5, new_executions=[child], map_runs=[run])
    assert store.commit("node-a", [stale]) == {parent}
    assert store.execution(child.arn) is None
    assert store.map_run(MAP_RUN) is None


def test_map_runs_begin_once_and_end(store: SqlStore) -> None:
    parent = start(store, add_machine(store), "parent")
    claim = claim_one(store, "node-a", T0, parent)
    first = MapRunRecord(MAP_RUN, parent, "RUNNING", T0, None, 3, 2, 1, 50.0)
    second = replace(first, arn=MAP_RUN + "-2", start_date=T0 + 10)
    assert store.commit("node-a", [step(claim, map_runs=[first, second])]) == set()
    assert store.map_runs(parent) == [second, first]  # newest first
    # Beginning it again (a step replayed) changes nothing; ending it does.
    again = replace(first, total=99)
    ended = replace(first, status="FAILED", stop_date=T0 + 20)
    writes = [StepWrite(parent, 1, "{}", "RUNNING", map_runs=[again, ended])]
    assert store.commit("node-a", writes) == set()
    assert store.map_run(MAP_RUN) == ended
    assert store.map_run(MAP_RUN + "-2") == second
    assert store.map_run(MAP_RUN + "-missing") is None
    assert store.map_runs(parent + 1) == []
    assert store.child_counts(MAP_RUN) == {}


def test_a_definition_is_ensured_once_per_text(store: SqlStore) -> None:
    first = store.ensure_definition(ORDERS, "Orders", "STANDARD", DEFINITION, T0)
    assert store.ensure_definition(ORDERS, "Orders", "STANDARD", DEFINITION, T0 + 1) == first
    changed = store.ensure_definition(ORDERS, "Orders", "STANDARD", "{}", T0 + 2)
    elsewhere = store.ensure_definition(REFUNDS, "Refunds", "STANDARD", DEFINITION, T0 + 3)
    assert len({first, changed, elsewhere}) == 3
    latest = store.latest_definition(ORDERS)
    assert latest is not None
    assert (latest.id, latest.text) == (changed, "{}")


def test_dropped_wakeups_are_gone_and_the_others_kept(store: SqlStore) -> None:
    execution_id = start(store, add_machine(store), "dropping")
    store.add_wakeup(execution_id, NewWakeup("timer", T0 + 1, key=1))
    store.add_wakeup(execution_id, NewWakeup("timer", T0 + 2, key=2))
    wakeups = claim_one(store, "node-a", T0 + 2, execution_id).wakeups
    store.drop_wakeups([w.id for w in wakeups if w.key != 2])
    store.drop_wakeups([])
    (kept,) = claim_one(store, "node-a", T0 + 2, execution_id).wakeups
    assert (kept.kind, kept.key) == ("timer", 2)


# PostgreSQL only -------------------------------------------------------------------------------


def test_listening_nodes_wake_when_work_is_added(postgres_url: str) -> None:
    listener, writer = open_store(postgres_url), open_store(postgres_url)
    assert isinstance(listener, PostgresStore)
    wake, stopping = threading.Event(), threading.Event()
    thread = threading.Thread(target=listener.listen, args=(wake, stopping))
    thread.start()
    try:
        assert wake.wait(10), "listen never connected"
        wake.clear()
        definition_id = add_machine(writer)
        execution_id = start(writer, definition_id, "announced")
        assert wake.wait(5), "create_execution did not wake the listener"
        assert due_kinds(listener, "node-a", T0) == {execution_id: ["start"]}
        wake.clear()
        writer.add_wakeup(execution_id, NewWakeup("signal", T0, body="{}"))
        assert wake.wait(5), "add_wakeup did not wake the listener"
        wake.clear()
        writer.heartbeat("node-a", T0, 1)
        writer.release_dead(T0 + 10)
        assert wake.wait(5), "releasing a dead node's executions did not wake the listener"
    finally:
        stopping.set()
        thread.join(timeout=10)
        listener.close()
        writer.close()
    assert not thread.is_alive()
