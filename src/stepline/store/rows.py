"""Reading and adding records: definitions, executions, their events, journal, tasks and
Map Runs; wake-ups added from outside the loop (a stop, an answer)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stepline.store.base import (
    EXECUTION_COLUMNS,
    EXECUTION_SUMMARY_COLUMNS,
    MAP_RUN_COLUMNS,
    TASK_COLUMNS,
    DuplicateExecution,
    SqlBase,
)
from stepline.store.records import (
    Definition,
    EventRecord,
    ExecutionRecord,
    MapRunRecord,
    NewExecution,
    NewWakeup,
    TaskRecord,
)


class Rows(SqlBase):
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

    def definition(self, definition_id: int) -> Definition | None:
        with self.reading() as cursor:
            row = self._run(
                cursor,
                "SELECT id, state_machine_arn, name, type, definition, logging_level "
                "FROM definitions WHERE id = ?",
                (definition_id,),
            ).fetchone()
        return None if row is None else Definition(*row)

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

    def last_event_id(self, execution_id: int) -> int:
        with self.reading() as cursor:
            row = self._run(
                cursor, "SELECT max(id) FROM events WHERE execution_id = ?", (execution_id,)
            ).fetchone()
        return int(row[0] or 0)

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

    def create_owned_execution(
        self, new: NewExecution, wakeup: NewWakeup, events: Sequence[EventRecord], owner: str
    ) -> tuple[int, int]:
        """Insert a RUNNING execution owned by ``owner`` from the start, with its first events
        and the wake-up that starts it: (the execution's id, the wake-up's id), which that
        node's loop takes without claiming them (other nodes leave owned executions alone)."""
        try:
            with self.transaction() as cursor:
                execution_id = self._insert_execution(cursor, new, events)
                self._run(
                    cursor, "UPDATE executions SET owner = ? WHERE id = ?", (owner, execution_id)
                )
                row = self._run(
                    cursor,
                    "INSERT INTO wakeups (execution_id, key, kind, due, body) "
                    "VALUES (?, ?, ?, ?, ?) RETURNING id",
                    (execution_id, wakeup.key, wakeup.kind, wakeup.due, wakeup.body),
                ).fetchone()
        except Exception as error:
            if self.is_unique_violation(error):
                raise DuplicateExecution(new.arn) from None
            raise
        return execution_id, int(row[0])

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

    def execution(self, arn: str) -> ExecutionRecord | None:
        with self.reading() as cursor:
            row = self._run(
                cursor, f"SELECT {EXECUTION_COLUMNS} FROM executions WHERE arn = ?", (arn,)
            ).fetchone()
        return None if row is None else ExecutionRecord(*row)

    def execution_by_id(self, execution_id: int) -> ExecutionRecord | None:
        with self.reading() as cursor:
            row = self._run(
                cursor,
                f"SELECT {EXECUTION_COLUMNS} FROM executions WHERE id = ?",
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
                f"SELECT {EXECUTION_SUMMARY_COLUMNS} FROM executions {where} "
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

    def journal(self, execution_id: int) -> list[tuple[float, str]]:
        """What moved the execution, in order, with when."""
        with self.reading() as cursor:
            rows = self._run(
                cursor,
                "SELECT at, input FROM journal WHERE execution_id = ? ORDER BY id",
                (execution_id,),
            ).fetchall()
        return [(float(row[0]), row[1]) for row in rows]

    def tasks(self, execution_ids: Sequence[int]) -> list[TaskRecord]:
        """The dispatched work not yet answered of these executions."""
        if not execution_ids:
            return []
        with self.reading() as cursor:
            rows = self._run(
                cursor,
                f"SELECT {TASK_COLUMNS} FROM tasks WHERE execution_id IN "
                f"({self._marks(len(execution_ids))}) ORDER BY execution_id, key",
                execution_ids,
            ).fetchall()
        return [TaskRecord(*row) for row in rows]

    def task_by_token(self, token: str) -> TaskRecord | None:
        with self.reading() as cursor:
            row = self._run(
                cursor,
                f"SELECT {TASK_COLUMNS} FROM tasks WHERE token = ?",
                (token,),
            ).fetchone()
        return None if row is None else TaskRecord(*row)

    def add_wakeup(self, execution_id: int, wakeup: NewWakeup) -> None:
        """Queue something for an execution (a stop, an answer from outside) and wake nodes."""
        with self.transaction() as cursor:
            self._insert_wakeups(cursor, [(execution_id, wakeup)])
            self.notify(cursor)

    def map_run(self, arn: str) -> MapRunRecord | None:
        with self.reading() as cursor:
            row = self._run(
                cursor, f"SELECT {MAP_RUN_COLUMNS} FROM map_runs WHERE arn = ?", (arn,)
            ).fetchone()
        return None if row is None else MapRunRecord(*row)

    def update_map_run(
        self,
        arn: str,
        settings: tuple[int | None, int | None, float | None],
        wakeup: NewWakeup,
    ) -> MapRunRecord | None:
        """Give a RUNNING Map Run new settings (max concurrency, tolerated failure count and
        percentage; None keeps one) and queue ``wakeup`` for its execution, in one
        transaction. The record as it was (None: no such Map Run); nothing is written unless
        it was RUNNING."""
        max_concurrency, count, percentage = settings
        with self.transaction() as cursor:
            row = self._run(
                cursor,
                f"SELECT {MAP_RUN_COLUMNS} FROM map_runs WHERE arn = ? {self.lock_rows}",
                (arn,),
            ).fetchone()
            if row is None or row[2] != "RUNNING":
                return None if row is None else MapRunRecord(*row)
            self._run(
                cursor,
                "UPDATE map_runs SET max_concurrency = COALESCE(?, max_concurrency), "
                "tolerated_failure_count = COALESCE(?, tolerated_failure_count), "
                "tolerated_failure_percentage = COALESCE(?, tolerated_failure_percentage) "
                "WHERE arn = ?",
                (max_concurrency, count, percentage, arn),
            )
            record = MapRunRecord(*row)
            self._insert_wakeups(cursor, [(record.execution_id, wakeup)])
            self.notify(cursor)
        return record

    def map_runs(self, execution_id: int) -> list[MapRunRecord]:
        with self.reading() as cursor:
            rows = self._run(
                cursor,
                f"SELECT {MAP_RUN_COLUMNS} FROM map_runs WHERE execution_id = ? "
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
