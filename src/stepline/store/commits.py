"""Commits: one transaction for a batch of steps, writing only the executions this node
still owns at the version it advanced (``docs/adr/0006-transactions-and-outbox.md``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from stepline.store.base import (
    STOPPED_BY_PARENT,
    DuplicateExecution,
    SqlBase,
)
from stepline.store.records import (
    TERMINAL_STATUSES,
    EventRecord,
    MapRunRecord,
    NewExecution,
    NewWakeup,
    StepWrite,
)

Finished = tuple[NewExecution, StepWrite]
"""An execution that ran and ended in memory (a synchronous Express one), and its ending."""


class Commits(SqlBase):
    def commit(
        self, node: str, writes: Sequence[StepWrite], finished: Sequence[Finished] = ()
    ) -> set[int]:
        """Write a batch of steps, and the executions that ran and ended in memory, in one
        transaction; the executions it could not write because this node no longer owns them
        (or another write got there first)."""
        if not writes and not finished:
            return set()
        lost: set[int] = set()
        with self.transaction() as cursor:
            if writes:
                owned = self._owned(cursor, node, [write.execution_id for write in writes])
                lost = {
                    write.execution_id
                    for write in writes
                    if owned.get(write.execution_id) != write.expected_version
                }
                kept = [write for write in writes if write.execution_id not in lost]
                self._write_steps(cursor, node, kept)
            for new, write in finished:
                self._insert_finished(cursor, new, write)
        return lost

    def create_stepped_execution(
        self,
        new: NewExecution,
        events: Sequence[EventRecord],
        node: str,
        write_of: Callable[[int], StepWrite],
    ) -> tuple[int, StepWrite]:
        """Insert a RUNNING execution with its first events and, in the same transaction, the
        write of its first step (``write_of`` the execution's id: the step ran before, only
        its records are made here), owned by ``node`` unless that step gave it up; the
        execution's id and the write. No start wake-up is written: the start is applied."""
        try:
            with self.transaction() as cursor:
                execution_id = self._insert_execution(cursor, new, events)
                write = write_of(execution_id)
                # Map Run records included; no parent to tell of an ending (none has one).
                self._write_steps(cursor, node, [write], has_parents=new.parent_id is not None)
        except Exception as error:
            if self.is_unique_violation(error):
                raise DuplicateExecution(new.arn) from None
            raise
        return execution_id, write

    def record_finished(self, new: NewExecution, write: StepWrite) -> int:
        """Insert an execution that ran and ended in memory, in a transaction of its own."""
        with self.transaction() as cursor:
            execution_id = self._insert_finished(cursor, new, write)
        if execution_id is None:
            raise DuplicateExecution(new.arn)
        return execution_id

    def _insert_finished(self, cursor: Any, new: NewExecution, write: StepWrite) -> int | None:
        """The new execution's id, or None when one with its ARN exists (then nothing is
        written: a batch is not failed by it)."""
        row = self._run(
            cursor,
            "INSERT INTO executions (arn, name, state_machine_arn, definition_id, type, "
            "status, input, start_date, checkpoint, output, error, cause, stop_date, "
            "expires_at, version_arn, alias_arn) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (arn) DO NOTHING RETURNING id",
            (
                new.arn,
                new.name,
                new.state_machine_arn,
                new.definition_id,
                new.type,
                write.status,
                new.input,
                new.start_date,
                write.checkpoint,
                write.output,
                write.error,
                write.cause,
                write.stop_date,
                write.expires_at,
                new.version_arn,
                new.alias_arn,
            ),
        ).fetchone()
        if row is None:
            return None
        execution_id = int(row[0])
        self._insert_events(cursor, [(execution_id, event) for event in write.events])
        return execution_id

    def _owned(self, cursor: Any, node: str, execution_ids: list[int]) -> dict[int, int]:
        rows = self._run(
            cursor,
            f"SELECT id, version FROM executions WHERE id IN ({self._marks(len(execution_ids))}) "
            f"AND owner = ? {self.lock_rows}",
            (*execution_ids, node),
        ).fetchall()
        return {int(row[0]): int(row[1]) for row in rows}

    def _write_steps(
        self, cursor: Any, node: str, writes: Sequence[StepWrite], *, has_parents: bool = True
    ) -> None:
        self._write_runs(cursor, node, writes)
        self._write_children(cursor, writes, has_parents=has_parents)

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
            "heartbeat_seconds, scheduled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    task.execution_id,
                    task.key,
                    task.resource,
                    task.parameters,
                    task.token,
                    task.timeout_seconds,
                    task.heartbeat_seconds,
                    task.scheduled_at,
                )
                for write in writes
                for task in write.new_tasks
            ],
        )

    def _write_children(
        self, cursor: Any, writes: Sequence[StepWrite], *, has_parents: bool = True
    ) -> None:
        """Child executions started, stopped or ended, and their parents' Map Runs; with
        ``has_parents`` false, the writes are of executions known to have no parent."""
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
                (STOPPED_BY_PARENT, write.execution_id, key)
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
                if has_parents and write.status in TERMINAL_STATUSES
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
