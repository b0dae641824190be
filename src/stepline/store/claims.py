"""Nodes and claims: leases, what a node that died or restarted leaves behind, and claiming
executions with wake-ups due (``docs/adr/0008-leases.md``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stepline.store.base import (
    SqlBase,
)
from stepline.store.records import (
    Claim,
    NewWakeup,
    Wakeup,
)


class Claims(SqlBase):
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
            orphaned = [
                row[0]
                for row in self._run(
                    cursor,
                    "SELECT DISTINCT owner FROM executions "
                    "WHERE owner IS NOT NULL AND owner NOT IN (SELECT id FROM nodes)",
                ).fetchall()
            ]
            # A dead node that owned executions may be only frozen, its sessions still holding
            # the rows it locked: end them, so that what it owned can be released (now, or at
            # the next call). One that owned nothing (an engine used only to start executions,
            # whose loop does not run) is left alone.
            self.end_sessions(cursor, sorted(orphaned))
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
