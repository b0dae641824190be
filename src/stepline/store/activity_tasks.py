"""Activity tasks: dispatched work that waits in the outbox (``tasks``) until a worker asks
for it (GetActivityTask), oldest first.

Taking a task is one transaction: the oldest untaken task of the activity is locked (on
PostgreSQL skipping rows another poller holds, so two pollers never get the same task),
marked taken by the worker, and the execution gets the wake-up that tells it the work has
started. The store knows nothing of the runtime: that wake-up's body is made by the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from stepline.store.base import TASK_COLUMNS, SqlBase
from stepline.store.records import NewWakeup, TaskRecord


class ActivityTasks(SqlBase):
    task_lock = ""
    """What the SELECT of a task to take appends to lock it, skipping tasks another poller
    holds (PostgreSQL's ``FOR UPDATE OF t SKIP LOCKED``; SQLite's write lock serialises)."""

    def untaken_activities(self, resources: Sequence[str]) -> set[str]:
        """Which of these activities have a task no worker has taken yet (a read)."""
        if not resources:
            return set()
        with self.reading() as cursor:
            rows = self._run(
                cursor,
                "SELECT DISTINCT resource FROM tasks WHERE taken_at IS NULL "
                f"AND resource IN ({self._marks(len(resources))})",
                resources,
            ).fetchall()
        return {row[0] for row in rows}

    def has_taken_tasks(self) -> bool:
        """Whether a worker holds an activity task of a running execution (a read)."""
        with self.reading() as cursor:
            row = self._run(
                cursor,
                "SELECT 1 FROM tasks t JOIN executions e ON e.id = t.execution_id "
                "WHERE t.taken_at IS NOT NULL AND e.status = 'RUNNING' LIMIT 1",
                (),
            ).fetchone()
        return row is not None

    def take_task(
        self,
        resource: str,
        worker_name: str | None,
        now: float,
        started: Callable[[TaskRecord], str],
    ) -> TaskRecord | None:
        """Take the oldest untaken task of ``resource`` (an activity) for ``worker_name`` at
        ``now``, and queue a ``signal`` wake-up whose body is ``started(task)``, all in one
        transaction; the task taken, or None when there is none."""
        with self.transaction() as cursor:
            row = self._run(
                cursor,
                "SELECT t.execution_id, t.key FROM tasks t "
                "JOIN executions e ON e.id = t.execution_id "
                "WHERE t.resource = ? AND t.taken_at IS NULL AND e.status = 'RUNNING' "
                f"ORDER BY t.scheduled_at, t.execution_id, t.key LIMIT 1 {self.task_lock}",
                (resource,),
            ).fetchone()
            if row is None:
                return None
            taken = self._run(
                cursor,
                "UPDATE tasks SET taken_at = ?, worker_name = ? "
                f"WHERE execution_id = ? AND key = ? RETURNING {TASK_COLUMNS}",
                (now, worker_name, row[0], row[1]),
            ).fetchone()
            task = TaskRecord(*taken)
            body = started(task)
            self._insert_wakeups(cursor, [(task.execution_id, NewWakeup("signal", now, body=body))])
            self.notify(cursor)
        return task
