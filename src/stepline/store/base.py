"""The store's SQL layer, shared by SQLite and PostgreSQL: the dialect hooks (how to connect,
open a transaction, lock rows), the statement helpers and the schema. ``sqlite`` and
``postgres`` fill in the hooks; ``rows``, ``claims`` and ``commits`` build on this;
``sql.SqlStore`` is all of it.

Statements are written with ``?`` placeholders; a dialect rewrites them if its driver wants
another style.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from stepline.store.migrations import Migration, migrate
from stepline.store.records import (
    EventRecord,
    NewExecution,
    NewWakeup,
)


class StoreError(Exception):
    """The database could not be reached or refused a statement; usually transient."""


class DuplicateExecution(Exception):
    """An execution with this ARN exists already."""


EXECUTION_COLUMNS = (
    "id, arn, name, state_machine_arn, definition_id, type, status, input, start_date, "
    "output, error, cause, stop_date, checkpoint, version, owner, redrive_count, redrive_date, "
    "parent_id, map_run_arn, expires_at, parent_key, version_arn, alias_arn, trace_header"
)
EXECUTION_SUMMARY_COLUMNS = EXECUTION_COLUMNS.replace("checkpoint", "NULL")
TASK_COLUMNS = (
    "execution_id, key, resource, parameters, token, timeout_seconds, heartbeat_seconds, "
    "scheduled_at, taken_at, worker_name"
)
MAP_RUN_COLUMNS = (
    "arn, execution_id, status, start_date, stop_date, total, max_concurrency, "
    "tolerated_failure_count, tolerated_failure_percentage"
)
STOPPED_BY_PARENT = "[null, null]"
"""A child stopped because its parent gave it up (its Map Run ended, or the parent did)."""


class SqlBase:
    """Everything but connecting, transactions and locking (see the dialect modules)."""

    dialect = ""
    lock_rows = ""
    """What a SELECT appends to lock the rows it reads until the transaction ends."""
    skip_locked = ""
    """What a SELECT appends to lock its rows, skipping those another transaction holds."""
    claim_lock = ""
    """What the claim's SELECT appends to lock the executions it picks, skipping those another
    transaction holds (PostgreSQL's ``FOR UPDATE OF e SKIP LOCKED``)."""
    local_reads = False
    """Whether a read is a local file's, never a wait on another machine (SQLite's, in WAL
    mode, never waits for writers either): a server may then make it on its event loop."""

    # Dialect hooks ------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        """A cursor inside one write transaction, committed on leaving, rolled back on error."""
        raise NotImplementedError
        yield

    @contextlib.contextmanager
    def reading(self) -> Iterator[Any]:
        """A cursor for reads (no transaction is held open afterwards)."""
        raise NotImplementedError
        yield

    def sql(self, statement: str) -> str:
        """``statement`` in the driver's placeholder style."""
        return statement

    def notify(self, cursor: Any) -> None:
        """Wake other nodes: new work is due now (PostgreSQL's NOTIFY)."""

    def end_sessions(self, cursor: Any, nodes: Sequence[str]) -> None:
        """End the database sessions of ``nodes`` (PostgreSQL; SQLite has none to end)."""

    def is_unique_violation(self, error: BaseException) -> bool:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def _run(self, cursor: Any, statement: str, parameters: Sequence[Any] = ()) -> Any:
        cursor.execute(self.sql(statement), tuple(parameters))
        return cursor

    def _run_many(self, cursor: Any, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            cursor.executemany(self.sql(statement), [tuple(row) for row in rows])

    @staticmethod
    def _marks(count: int) -> str:
        return ", ".join("?" * count)

    def migrate(self, up_to: int | None = None) -> list[int]:
        """Bring the schema up to date (or to ``up_to``); the versions applied."""
        if up_to is None:
            return migrate(self)
        return migrate(self, up_to)

    def applied_versions(self) -> set[int]:
        with self.transaction() as cursor:
            self._lock_schema(cursor)  # before the CREATE: two nodes may start at once
            self._create_version_table(cursor)
            rows = self._run(cursor, "SELECT version FROM stepline_schema").fetchall()
        return {int(row[0]) for row in rows}

    def apply(self, migration: Migration) -> bool:
        """Apply ``migration`` unless another node did meanwhile; whether this one did."""
        with self.transaction() as cursor:
            self._lock_schema(cursor)
            self._create_version_table(cursor)
            found = self._run(
                cursor, "SELECT 1 FROM stepline_schema WHERE version = ?", (migration.version,)
            ).fetchone()
            if found is not None:
                return False
            for statement in migration.statements(self.dialect):
                cursor.execute(statement)
            self._run(
                cursor,
                "INSERT INTO stepline_schema (version, description) VALUES (?, ?)",
                (migration.version, migration.description),
            )
        return True

    def _create_version_table(self, cursor: Any) -> None:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS stepline_schema "
            "(version INTEGER PRIMARY KEY, description TEXT NOT NULL)"
        )

    def _lock_schema(self, cursor: Any) -> None:
        """Keep two nodes from migrating at once (PostgreSQL: an advisory lock)."""

    def _insert_execution(
        self, cursor: Any, new: NewExecution, events: Sequence[EventRecord]
    ) -> int:
        row = self._run(
            cursor,
            "INSERT INTO executions (arn, name, state_machine_arn, definition_id, type, "
            "status, input, start_date, checkpoint, parent_id, map_run_arn, parent_key, "
            "version_arn, alias_arn, trace_header) "
            "VALUES (?, ?, ?, ?, ?, 'RUNNING', ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                new.arn,
                new.name,
                new.state_machine_arn,
                new.definition_id,
                new.type,
                new.input,
                new.start_date,
                new.checkpoint,
                new.parent_id,
                new.map_run_arn,
                new.parent_key,
                new.version_arn,
                new.alias_arn,
                new.trace_header,
            ),
        ).fetchone()
        execution_id = int(row[0])
        self._insert_events(cursor, [(execution_id, event) for event in events])
        return execution_id

    def _insert_events(self, cursor: Any, events: list[tuple[int, EventRecord]]) -> None:
        self._run_many(
            cursor,
            "INSERT INTO events (execution_id, id, previous_id, timestamp, type, details) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (execution_id, event.id, event.previous_id, event.timestamp, event.type,
                 event.details)
                for execution_id, event in events
            ],
        )  # fmt: skip

    def _insert_wakeups(self, cursor: Any, wakeups: list[tuple[int, NewWakeup]]) -> None:
        self._run_many(
            cursor,
            "INSERT INTO wakeups (execution_id, key, kind, due, body) VALUES (?, ?, ?, ?, ?)",
            [
                (execution_id, wakeup.key, wakeup.kind, wakeup.due, wakeup.body)
                for execution_id, wakeup in wakeups
            ],
        )
