"""The store's SQL, shared by SQLite and PostgreSQL; ``sqlite`` and ``postgres`` say only how
to connect, open a transaction and lock rows.

Statements are written with ``?`` placeholders; a dialect rewrites them if its driver wants
another style. Every write of the engine goes through ``commit``: one transaction for a batch
of steps, which first checks (and, on PostgreSQL, locks) that this node still owns each
execution at the version it advanced, so a node that lost an execution can never write it.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

from stepline.store.migrations import Migration, migrate
from stepline.store.records import (
    TERMINAL_STATUSES,
    Claim,
    Definition,
    EventRecord,
    ExecutionRecord,
    MapRunRecord,
    NewExecution,
    NewWakeup,
    StepWrite,
    TaskRecord,
    Wakeup,
)


class StoreError(Exception):
    """The database could not be reached or refused a statement; usually transient."""


class DuplicateExecution(Exception):
    """An execution with this ARN exists already."""


_EXECUTION_COLUMNS = (
    "id, arn, name, state_machine_arn, definition_id, type, status, input, start_date, "
    "output, error, cause, stop_date, checkpoint, version, owner, redrive_count, redrive_date, "
    "parent_id, map_run_arn, expires_at, parent_key"
)
_EXECUTION_SUMMARY_COLUMNS = _EXECUTION_COLUMNS.replace("checkpoint", "NULL")
_MAP_RUN_COLUMNS = (
    "arn, execution_id, status, start_date, stop_date, total, max_concurrency, "
    "tolerated_failure_count, tolerated_failure_percentage"
)
_STOPPED_BY_PARENT = "[null, null]"
"""A child stopped because its parent gave it up (its Map Run ended, or the parent did)."""


class SqlStore:
    """Everything but connecting, transactions and locking (see the dialect modules)."""

    dialect = ""
    lock_rows = ""
    """What a SELECT appends to lock the rows it reads until the transaction ends."""
    skip_locked = ""
    """What a SELECT appends to lock its rows, skipping those another transaction holds."""
    claim_lock = ""
    """What the claim's SELECT appends to lock the executions it picks, skipping those another
    transaction holds (PostgreSQL's ``FOR UPDATE OF e SKIP LOCKED``)."""

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

    def is_unique_violation(self, error: BaseException) -> bool:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # Helpers ------------------------------------------------------------------------------

    def _run(self, cursor: Any, statement: str, parameters: Sequence[Any] = ()) -> Any:
        cursor.execute(self.sql(statement), tuple(parameters))
        return cursor

    def _run_many(self, cursor: Any, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            cursor.executemany(self.sql(statement), [tuple(row) for row in rows])

    @staticmethod
    def _marks(count: int) -> str:
        return ", ".join("?" * count)

    # Schema -------------------------------------------------------------------------------

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

    # Definitions --------------------------------------------------------------------------

    def add_definition(
        self,
        state_machine_arn: str,
        name: str,
        type_: str,
        text: str,
        *,
        now: float,
        logging_level: str | None = None,
    ) -> int:
        with self.transaction() as cursor:
            row = self._run(
                cursor,
                "INSERT INTO definitions (state_machine_arn, name, type, definition, "
                "logging_level, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (state_machine_arn, name, type_, text, logging_level, now),
            ).fetchone()
        return int(row[0])

    def latest_definition(self, state_machine_arn: str) -> Definition | None:
        """The definition a new execution of the state machine runs."""
        with self.reading() as cursor:
            row = self._run(
                cursor,
                "SELECT id, state_machine_arn, name, type, definition, logging_level "
                "FROM definitions WHERE state_machine_arn = ? ORDER BY id DESC LIMIT 1",
                (state_machine_arn,),
            ).fetchone()
        return None if row is None else Definition(*row)

    def last_event_id(self, execution_id: int) -> int:
        with self.reading() as cursor:
            row = self._run(
                cursor, "SELECT max(id) FROM events WHERE execution_id = ?", (execution_id,)
            ).fetchone()
        return int(row[0] or 0)

    def definition(self, definition_id: int) -> Definition | None:
        with self.reading() as cursor:
            row = self._run(
                cursor,
                "SELECT id, state_machine_arn, name, type, definition, logging_level "
                "FROM definitions WHERE id = ?",
                (definition_id,),
            ).fetchone()
        return None if row is None else Definition(*row)

    # Executions ---------------------------------------------------------------------------

    def create_execution(
        self, new: NewExecution, wakeup: NewWakeup | None, events: Sequence[EventRecord] = ()
    ) -> int:
        """Insert a RUNNING execution, its first events and the wake-up that starts it."""
        try:
            with self.transaction() as cursor:
                execution_id = self._insert_execution(cursor, new, events)
                if wakeup is not None:
                    self._insert_wakeups(cursor, [(execution_id, wakeup)])
                    self.notify(cursor)
        except Exception as error:
            if self.is_unique_violation(error):
                raise DuplicateExecution(new.arn) from None
            raise
        return execution_id

    def create_executions(
        self, batch: Sequence[tuple[NewExecution, Sequence[EventRecord]]], wakeup: NewWakeup
    ) -> list[int]:
        """Insert many RUNNING executions in one transaction, each with ``wakeup``; all or
        none (``DuplicateExecution`` names the first ARN that exists already)."""
        try:
            with self.transaction() as cursor:
                ids = [self._insert_execution(cursor, new, events) for new, events in batch]
                self._insert_wakeups(cursor, [(execution_id, wakeup) for execution_id in ids])
                self.notify(cursor)
        except Exception as error:
            if self.is_unique_violation(error):
                raise DuplicateExecution(str(error)) from None
            raise
        return ids

    def _insert_execution(
        self, cursor: Any, new: NewExecution, events: Sequence[EventRecord]
    ) -> int:
        row = self._run(
            cursor,
            "INSERT INTO executions (arn, name, state_machine_arn, definition_id, type, "
            "status, input, start_date, checkpoint, parent_id, map_run_arn, parent_key) "
            "VALUES (?, ?, ?, ?, ?, 'RUNNING', ?, ?, ?, ?, ?, ?) RETURNING id",
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
            ),
        ).fetchone()
        execution_id = int(row[0])
        self._insert_events(cursor, [(execution_id, event) for event in events])
        return execution_id

    def record_finished(self, new: NewExecution, write: StepWrite, *, status: str) -> int:
        """Insert an execution that ran and ended in memory (a synchronous Express one)."""
        with self.transaction() as cursor:
            row = self._run(
                cursor,
                "INSERT INTO executions (arn, name, state_machine_arn, definition_id, type, "
                "status, input, start_date, checkpoint, output, error, cause, stop_date, "
                "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    new.arn,
                    new.name,
                    new.state_machine_arn,
                    new.definition_id,
                    new.type,
                    status,
                    new.input,
                    new.start_date,
                    write.checkpoint,
                    write.output,
                    write.error,
                    write.cause,
                    write.stop_date,
                    write.expires_at,
                ),
            ).fetchone()
            execution_id = int(row[0])
            self._insert_events(cursor, [(execution_id, event) for event in write.events])
        return execution_id

    def execution(self, arn: str) -> ExecutionRecord | None:
        with self.reading() as cursor:
            row = self._run(
                cursor, f"SELECT {_EXECUTION_COLUMNS} FROM executions WHERE arn = ?", (arn,)
            ).fetchone()
        return None if row is None else ExecutionRecord(*row)

    def execution_by_id(self, execution_id: int) -> ExecutionRecord | None:
        with self.reading() as cursor:
            row = self._run(
                cursor,
                f"SELECT {_EXECUTION_COLUMNS} FROM executions WHERE id = ?",
                (execution_id,),
            ).fetchone()
        return None if row is None else ExecutionRecord(*row)

    def executions(
        self,
        *,
        state_machine_arn: str | None = None,
        status: str | None = None,
        parent_id: int | None = None,
        map_run_arn: str | None = None,
        limit: int = 100,
        before_id: int | None = None,
    ) -> list[ExecutionRecord]:
        """Executions newest first (without their checkpoints), filtered as asked."""
        clauses, parameters = [], []
        for column, value in (
            ("state_machine_arn", state_machine_arn),
            ("status", status),
            ("parent_id", parent_id),
            ("map_run_arn", map_run_arn),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                parameters.append(value)
        if before_id is not None:
            clauses.append("id < ?")
            parameters.append(before_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self.reading() as cursor:
            rows = self._run(
                cursor,
                f"SELECT {_EXECUTION_SUMMARY_COLUMNS} FROM executions {where} "
                "ORDER BY id DESC LIMIT ?",
                (*parameters, limit),
            ).fetchall()
        return [ExecutionRecord(*row) for row in rows]

    def count_executions(self, *, status: str | None = None, type_: str | None = None) -> int:
        clauses, parameters = [], []
        if status is not None:
            clauses.append("status = ?")
            parameters.append(status)
        if type_ is not None:
            clauses.append("type = ?")
            parameters.append(type_)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self.reading() as cursor:
            row = self._run(cursor, f"SELECT count(*) FROM executions {where}", parameters)
            return int(row.fetchone()[0])

    def checkpoints(self, execution_ids: Sequence[int]) -> dict[int, tuple[int, int, str | None]]:
        """(version, definition id, checkpoint) of each execution."""
        if not execution_ids:
            return {}
        with self.reading() as cursor:
            rows = self._run(
                cursor,
                "SELECT id, version, definition_id, checkpoint FROM executions "
                f"WHERE id IN ({self._marks(len(execution_ids))})",
                execution_ids,
            ).fetchall()
        return {int(row[0]): (int(row[1]), int(row[2]), row[3]) for row in rows}

    def task_by_token(self, token: str) -> TaskRecord | None:
        with self.reading() as cursor:
            row = self._run(
                cursor,
                "SELECT execution_id, key, resource, parameters, token, timeout_seconds, "
                "heartbeat_seconds FROM tasks WHERE token = ?",
                (token,),
            ).fetchone()
        return None if row is None else TaskRecord(*row)

    def events(
        self,
        execution_id: int,
        *,
        after_id: int = 0,
        before_id: int | None = None,
        limit: int | None = None,
        reverse: bool = False,
    ) -> list[EventRecord]:
        """Events in id order (or reversed), after ``after_id`` (or before ``before_id``)."""
        clauses = ["execution_id = ?"]
        parameters: list[Any] = [execution_id]
        if after_id:
            clauses.append("id > ?")
            parameters.append(after_id)
        if before_id is not None:
            clauses.append("id < ?")
            parameters.append(before_id)
        order = "DESC" if reverse else "ASC"
        statement = (
            "SELECT id, previous_id, timestamp, type, details FROM events "
            f"WHERE {' AND '.join(clauses)} ORDER BY id {order}"
        )
        if limit is not None:
            statement += " LIMIT ?"
            parameters.append(limit)
        with self.reading() as cursor:
            rows = self._run(cursor, statement, parameters).fetchall()
        return [EventRecord(*row) for row in rows]

    def tasks(self, execution_ids: Sequence[int]) -> list[TaskRecord]:
        """The dispatched work not yet answered of these executions."""
        if not execution_ids:
            return []
        with self.reading() as cursor:
            rows = self._run(
                cursor,
                "SELECT execution_id, key, resource, parameters, token, timeout_seconds, "
                f"heartbeat_seconds FROM tasks WHERE execution_id IN "
                f"({self._marks(len(execution_ids))}) ORDER BY execution_id, key",
                execution_ids,
            ).fetchall()
        return [TaskRecord(*row) for row in rows]

    def add_wakeup(self, execution_id: int, wakeup: NewWakeup) -> None:
        """Queue something for an execution (a stop, an answer from outside) and wake nodes."""
        with self.transaction() as cursor:
            self._insert_wakeups(cursor, [(execution_id, wakeup)])
            self.notify(cursor)

    # Nodes and claims ----------------------------------------------------------------------

    def heartbeat(self, node: str, now: float, lease_seconds: float) -> None:
        """Register ``node`` or extend its lease."""
        with self.transaction() as cursor:
            self._run(
                cursor,
                "INSERT INTO nodes (id, lease_until, started_at) VALUES (?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET lease_until = excluded.lease_until",
                (node, now + lease_seconds, now),
            )

    def leave(self, node: str, now: float) -> None:
        """``node`` stops: give up its executions at once (others take them over)."""
        with self.transaction() as cursor:
            self._release(cursor, "owner = ?", (node,), now)
            self._run(cursor, "DELETE FROM nodes WHERE id = ?", (node,))

    def release_dead(
        self, now: float, *, except_node: str | None = None, due: float | None = None
    ) -> list[int]:
        """Nodes whose lease has run out (at wall-clock ``now``) are forgotten, and every
        execution owned by a node that is not registered loses its owner and gets a
        ``recover`` wake-up due at ``due`` (the engine's own time; by default ``now``). Rows
        another transaction holds are skipped this time (a node frozen inside a commit must
        not stop the others); they are released at a later call. The execution ids released."""
        with self.transaction() as cursor:
            dead = [
                row[0]
                for row in self._run(
                    cursor,
                    f"SELECT id FROM nodes WHERE lease_until < ? {self.skip_locked}",
                    (now,),
                ).fetchall()
                if row[0] != except_node
            ]
            if dead:
                marks = self._marks(len(dead))
                self._run(cursor, f"DELETE FROM nodes WHERE id IN ({marks})", dead)
            return self._release(
                cursor,
                "owner IS NOT NULL AND owner NOT IN (SELECT id FROM nodes)",
                (),
                now if due is None else due,
            )

    def release_node(self, node: str, now: float, *, everyone: bool = False) -> list[int]:
        """A node starting: what an earlier process under its name owned is released (that
        process is gone); with ``everyone`` (SQLite, one node per file), what any node owned,
        and every other node is forgotten."""
        with self.transaction() as cursor:
            if everyone:
                self._run(cursor, "DELETE FROM nodes WHERE id <> ?", (node,))
                return self._release(cursor, "owner IS NOT NULL", (), now)
            return self._release(cursor, "owner = ?", (node,), now)

    def _release(
        self, cursor: Any, condition: str, parameters: Sequence[Any], now: float
    ) -> list[int]:
        rows = self._run(
            cursor,
            "UPDATE executions SET owner = NULL WHERE id IN "
            f"(SELECT id FROM executions WHERE {condition} {self.skip_locked}) RETURNING id",
            parameters,
        ).fetchall()
        released = sorted(int(row[0]) for row in rows)
        if released:
            # Start wake-ups are due again at once (an Express run that was running there held
            # its own back while it ran).
            self._run(
                cursor,
                f"UPDATE wakeups SET due = ? WHERE kind = 'start' "
                f"AND execution_id IN ({self._marks(len(released))})",
                (now, *released),
            )
        self._insert_wakeups(
            cursor, [(execution_id, NewWakeup("recover", now)) for execution_id in released]
        )
        if released:
            self.notify(cursor)
        return released

    def claim(self, node: str, now: float, limit: int) -> list[Claim]:
        """Take up to ``limit`` executions with wake-ups due (the longest due first) that no
        other live node owns; rows another node is claiming at this moment are skipped."""
        if not self.anything_due(now):
            return []  # a read, not a write transaction, when nothing is due
        with self.transaction() as cursor:
            # COALESCE keeps the owner out of the index choice: the query is driven by the
            # wake-ups due (wakeups_by_due), not by every unowned (waiting) execution.
            found = self._run(
                cursor,
                "SELECT e.id FROM wakeups w JOIN executions e ON e.id = w.execution_id "
                "WHERE w.due <= ? AND COALESCE(e.owner, '') IN ('', ?) "
                f"ORDER BY w.due LIMIT ? {self.claim_lock}",
                (now, node, limit * 4),
            ).fetchall()
            locked = list(dict.fromkeys(int(row[0]) for row in found))[:limit]
            if not locked:
                return []
            marks = self._marks(len(locked))
            rows = self._run(
                cursor,
                f"UPDATE executions SET owner = ? WHERE id IN ({marks}) "
                "RETURNING id, version, status, definition_id, type",
                (node, *locked),
            ).fetchall()
            wakeups: dict[int, list[Wakeup]] = {int(row[0]): [] for row in rows}
            for row in self._run(
                cursor,
                "SELECT id, execution_id, kind, due, key, body FROM wakeups "
                f"WHERE execution_id IN ({marks}) AND due <= ? ORDER BY due, id",
                (*locked, now),
            ).fetchall():
                wakeups[int(row[1])].append(Wakeup(*row))
        return [
            Claim(int(row[0]), int(row[1]), row[2], int(row[3]), row[4], wakeups[int(row[0])])
            for row in rows
        ]

    def postpone(self, wakeup_ids: Sequence[int], due: float) -> None:
        """Move wake-ups to ``due`` (an Express run holds its start while it runs)."""
        with self.transaction() as cursor:
            self._run_many(
                cursor, "UPDATE wakeups SET due = ? WHERE id = ?", [(due, i) for i in wakeup_ids]
            )

    def anything_due(self, now: float) -> bool:
        with self.reading() as cursor:
            row = self._run(cursor, "SELECT 1 FROM wakeups WHERE due <= ? LIMIT 1", (now,))
            return row.fetchone() is not None

    def drop_wakeups(self, wakeup_ids: Sequence[int]) -> None:
        with self.transaction() as cursor:
            self._run_many(cursor, "DELETE FROM wakeups WHERE id = ?", [(i,) for i in wakeup_ids])

    def next_due(self) -> float | None:
        """When the earliest wake-up is due, if there is one."""
        with self.reading() as cursor:
            row = self._run(cursor, "SELECT min(due) FROM wakeups").fetchone()
        return None if row is None or row[0] is None else float(row[0])

    # Commits ------------------------------------------------------------------------------

    def commit(self, node: str, writes: Sequence[StepWrite]) -> set[int]:
        """Write a batch of steps in one transaction; the executions it could not write
        because this node no longer owns them (or another write got there first)."""
        if not writes:
            return set()
        with self.transaction() as cursor:
            owned = self._owned(cursor, node, [write.execution_id for write in writes])
            lost = {
                write.execution_id
                for write in writes
                if owned.get(write.execution_id) != write.expected_version
            }
            kept = [write for write in writes if write.execution_id not in lost]
            self._write_steps(cursor, node, kept)
        return lost

    def _owned(self, cursor: Any, node: str, execution_ids: list[int]) -> dict[int, int]:
        rows = self._run(
            cursor,
            f"SELECT id, version FROM executions WHERE id IN ({self._marks(len(execution_ids))}) "
            f"AND owner = ? {self.lock_rows}",
            (*execution_ids, node),
        ).fetchall()
        return {int(row[0]): int(row[1]) for row in rows}

    def _write_steps(self, cursor: Any, node: str, writes: Sequence[StepWrite]) -> None:
        self._write_runs(cursor, node, writes)
        self._write_children(cursor, writes)

    def _write_runs(self, cursor: Any, node: str, writes: Sequence[StepWrite]) -> None:
        self._run_many(
            cursor,
            "UPDATE executions SET checkpoint = ?, version = version + 1, status = ?, "
            "output = ?, error = ?, cause = ?, stop_date = ?, expires_at = ?, owner = ?, "
            "redrive_count = COALESCE(?, redrive_count), "
            "redrive_date = COALESCE(?, redrive_date) WHERE id = ?",
            [
                (
                    write.checkpoint,
                    write.status,
                    write.output,
                    write.error,
                    write.cause,
                    write.stop_date,
                    write.expires_at,
                    None if write.release else node,
                    write.redrive_count,
                    write.redrive_date,
                    write.execution_id,
                )
                for write in writes
            ],
        )
        self._insert_events(
            cursor, [(write.execution_id, event) for write in writes for event in write.events]
        )
        self._run_many(
            cursor,
            "INSERT INTO journal (execution_id, at, input) VALUES (?, ?, ?)",
            [(write.execution_id, at, item) for write in writes for at, item in write.journal],
        )
        self._run_many(
            cursor,
            "DELETE FROM wakeups WHERE id = ?",
            [(wakeup_id,) for write in writes for wakeup_id in write.done_wakeups],
        )
        discarded = [(write.execution_id,) for write in writes if write.discard_work]
        self._run_many(cursor, "DELETE FROM wakeups WHERE execution_id = ?", discarded)
        self._run_many(cursor, "DELETE FROM tasks WHERE execution_id = ?", discarded)
        cancelled = [(write.execution_id, key) for write in writes for key in write.cancelled_keys]
        self._run_many(cursor, "DELETE FROM wakeups WHERE execution_id = ? AND key = ?", cancelled)
        self._run_many(cursor, "DELETE FROM tasks WHERE execution_id = ? AND key = ?", cancelled)
        self._insert_wakeups(
            cursor,
            [(write.execution_id, wakeup) for write in writes for wakeup in write.new_wakeups],
        )
        self._run_many(
            cursor,
            "INSERT INTO tasks (execution_id, key, resource, parameters, token, timeout_seconds, "
            "heartbeat_seconds) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    task.execution_id,
                    task.key,
                    task.resource,
                    task.parameters,
                    task.token,
                    task.timeout_seconds,
                    task.heartbeat_seconds,
                )
                for write in writes
                for task in write.new_tasks
            ],
        )

    def journal(self, execution_id: int) -> list[tuple[float, str]]:
        """What moved the execution, in order, with when."""
        with self.reading() as cursor:
            rows = self._run(
                cursor,
                "SELECT at, input FROM journal WHERE execution_id = ? ORDER BY id",
                (execution_id,),
            ).fetchall()
        return [(float(row[0]), row[1]) for row in rows]

    def _write_children(self, cursor: Any, writes: Sequence[StepWrite]) -> None:
        """Child executions started, stopped or ended, and their parents' Map Runs."""
        started = []
        for write in writes:
            for new in write.new_executions:
                started.append(self._insert_execution(cursor, new, new.events))
        self._insert_wakeups(
            cursor, [(execution_id, NewWakeup("start", 0.0)) for execution_id in started]
        )
        if started:
            self.notify(cursor)
        self._run_many(
            cursor,
            "INSERT INTO wakeups (execution_id, kind, due, body) SELECT id, 'stop', 0, ? "
            "FROM executions WHERE parent_id = ? AND parent_key = ? AND status = 'RUNNING'",
            [
                (_STOPPED_BY_PARENT, write.execution_id, key)
                for write in writes
                for key in write.cancelled_keys
            ],
        )
        # An ended child tells its parent, in the same transaction as its last step.
        self._run_many(
            cursor,
            "INSERT INTO wakeups (execution_id, key, kind, due, body) "
            "SELECT parent_id, parent_key, 'child', 0, ? FROM executions "
            "WHERE id = ? AND parent_id IS NOT NULL",
            [
                (
                    json.dumps([write.status, write.output, write.error, write.cause]),
                    write.execution_id,
                )
                for write in writes
                if write.status in TERMINAL_STATUSES
            ],
        )
        for write in writes:
            for run in write.map_runs:
                self._write_map_run(cursor, run)

    def _write_map_run(self, cursor: Any, run: MapRunRecord) -> None:
        if run.status == "RUNNING":
            self._run(
                cursor,
                "INSERT INTO map_runs (arn, execution_id, status, start_date, total, "
                "max_concurrency, tolerated_failure_count, tolerated_failure_percentage) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (arn) DO NOTHING",
                (
                    run.arn,
                    run.execution_id,
                    run.status,
                    run.start_date,
                    run.total,
                    run.max_concurrency,
                    run.tolerated_failure_count,
                    run.tolerated_failure_percentage,
                ),
            )
        else:
            self._run(
                cursor,
                "UPDATE map_runs SET status = ?, stop_date = ? WHERE arn = ?",
                (run.status, run.stop_date, run.arn),
            )

    def map_run(self, arn: str) -> MapRunRecord | None:
        with self.reading() as cursor:
            row = self._run(
                cursor, f"SELECT {_MAP_RUN_COLUMNS} FROM map_runs WHERE arn = ?", (arn,)
            ).fetchone()
        return None if row is None else MapRunRecord(*row)

    def map_runs(self, execution_id: int) -> list[MapRunRecord]:
        with self.reading() as cursor:
            rows = self._run(
                cursor,
                f"SELECT {_MAP_RUN_COLUMNS} FROM map_runs WHERE execution_id = ? "
                "ORDER BY start_date DESC",
                (execution_id,),
            ).fetchall()
        return [MapRunRecord(*row) for row in rows]

    def child_counts(self, map_run_arn: str) -> dict[str, int]:
        """How many of a Map Run's child executions are in each status."""
        with self.reading() as cursor:
            rows = self._run(
                cursor,
                "SELECT status, count(*) FROM executions WHERE map_run_arn = ? GROUP BY status",
                (map_run_arn,),
            ).fetchall()
        return {row[0]: int(row[1]) for row in rows}

    def ensure_definition(
        self, state_machine_arn: str, name: str, type_: str, text: str, now: float
    ) -> int:
        """The id of this exact definition of the state machine, added if it is new."""
        with self.transaction() as cursor:
            row = self._run(
                cursor,
                "SELECT id FROM definitions WHERE state_machine_arn = ? AND definition = ? "
                "ORDER BY id LIMIT 1",
                (state_machine_arn, text),
            ).fetchone()
            if row is not None:
                return int(row[0])
            row = self._run(
                cursor,
                "INSERT INTO definitions (state_machine_arn, name, type, definition, "
                "created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                (state_machine_arn, name, type_, text, now),
            ).fetchone()
        return int(row[0])

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

    # Housekeeping -------------------------------------------------------------------------

    def purge_expired(self, now: float) -> int:
        """Forget executions whose kept history has expired (Express ones); how many."""
        with self.transaction() as cursor:
            ids = [
                int(row[0])
                for row in self._run(
                    cursor,
                    "SELECT id FROM executions WHERE expires_at IS NOT NULL AND expires_at < ? "
                    "AND status <> 'RUNNING'",
                    (now,),
                ).fetchall()
            ]
            if ids:
                marks = self._marks(len(ids))
                self._run(cursor, f"DELETE FROM events WHERE execution_id IN ({marks})", ids)
                self._run(cursor, f"DELETE FROM journal WHERE execution_id IN ({marks})", ids)
                self._run(cursor, f"DELETE FROM executions WHERE id IN ({marks})", ids)
        return len(ids)
