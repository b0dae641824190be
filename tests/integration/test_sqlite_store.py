"""What only the SQLite store does: its checkpoint thread, and the indexes its queries use."""

from __future__ import annotations

import time
from pathlib import Path

from stepline.store import NewWakeup
from stepline.store.sqlite import CHECKPOINT_EVERY, SqliteStore
from tests.support.records import T0, add_machine, events, new_execution


def test_the_store_checkpoints_its_log_in_a_thread_of_its_own(tmp_path: Path) -> None:
    path = tmp_path / "stepline.db"
    store = SqliteStore(path)
    try:
        store.migrate()
        definition_id = add_machine(store)
        before = path.stat().st_size  # what the log holds is not in the file yet
        for number in range(CHECKPOINT_EVERY * 3):
            new = new_execution(definition_id, f"n{number}")
            store.create_execution(new, NewWakeup("start", T0), events(1, 2))
        checkpointer = store._checkpointer
        assert checkpointer is not None
        assert checkpointer.is_alive()
        assert checkpointer.name == "stepline-checkpoint"
        # SQLite's own threshold (BACKSTOP_PAGES) is far off: only the thread copies the log.
        deadline = time.monotonic() + 10
        while path.stat().st_size == before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size > before
    finally:
        store.close()
    assert not checkpointer.is_alive()  # closing the store ends its thread


def test_queries_by_parent_map_run_owner_and_expiry_use_their_partial_indexes(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "stepline.db")
    try:
        store.migrate()
        plans = {
            "executions_by_parent": "SELECT id FROM executions WHERE parent_id = 4",
            "executions_by_map_run": "SELECT status, count(*) FROM executions "
            "WHERE map_run_arn = 'arn' GROUP BY status",
            "executions_by_owner": "SELECT id FROM executions WHERE owner = 'node'",
            "executions_by_expiry": "SELECT id FROM executions WHERE expires_at IS NOT NULL "
            "AND expires_at < 5 AND status <> 'RUNNING'",
        }
        with store.reading() as cursor:
            for index, query in plans.items():
                plan = " ".join(row[-1] for row in cursor.execute(f"EXPLAIN QUERY PLAN {query}"))
                assert index in plan, (query, plan)
            names = {row[0] for row in cursor.execute("SELECT name FROM sqlite_master")}
        assert "executions_by_machine" not in names  # unused since ListExecutions reads by id
    finally:
        store.close()
