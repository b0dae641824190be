"""The catalog: state machines with their versions and aliases, activities, and tags.

Every change of a state machine, version, alias or activity raises the catalog's revision in
its own transaction (``catalog_revision``), so that what a node resolved from these rows can be
kept for as long as the revision it read them at is the current one, whichever node changes
them (ADR 0010). Tags change no revision: nothing resolved from the catalog reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stepline.store.base import DuplicateExecution, SqlBase
from stepline.store.records import ActivityRecord, AliasRecord, StateMachineRecord, VersionRecord

_MACHINE = (
    "arn, name, type, status, definition_id, role_arn, description, settings, revision_id, "
    "creation_date, update_date, last_version"
)
_VERSION = (
    "arn, state_machine_arn, version, definition_id, role_arn, description, settings, "
    "revision_id, creation_date"
)
_ALIAS = "arn, state_machine_arn, name, description, routing, creation_date, update_date"


class DuplicateResource(DuplicateExecution):
    """A state machine, alias or activity with this ARN exists already."""


class Catalog(SqlBase):
    # State machines -----------------------------------------------------------------------

    def add_state_machine(self, machine: StateMachineRecord) -> None:
        self._insert("state_machines", _MACHINE, _row(machine))

    def state_machine(self, arn: str) -> StateMachineRecord | None:
        row = self._one(f"SELECT {_MACHINE} FROM state_machines WHERE arn = ?", (arn,))
        return None if row is None else StateMachineRecord(*row)

    def state_machines(self, *, limit: int, after: str | None = None) -> list[StateMachineRecord]:
        """State machines ordered by ARN, from after ``after``."""
        rows = self._all(
            f"SELECT {_MACHINE} FROM state_machines WHERE arn > ? ORDER BY arn LIMIT ?",
            (after or "", limit),
        )
        return [StateMachineRecord(*row) for row in rows]

    def update_state_machine(self, arn: str, **fields: Any) -> None:
        assignments = ", ".join(f"{column} = ?" for column in fields)
        with self.transaction() as cursor:
            self._run(
                cursor,
                f"UPDATE state_machines SET {assignments} WHERE arn = ?",
                (*fields.values(), arn),
            )
            self._revise(cursor)

    def delete_state_machine(self, arn: str) -> None:
        """Forget a state machine, its versions, aliases and tags (executions stay)."""
        with self.transaction() as cursor:
            arns = [arn]
            for table in ("state_machine_versions", "state_machine_aliases"):
                arns += [
                    row[0]
                    for row in self._run(
                        cursor, f"SELECT arn FROM {table} WHERE state_machine_arn = ?", (arn,)
                    ).fetchall()
                ]
                self._run(cursor, f"DELETE FROM {table} WHERE state_machine_arn = ?", (arn,))
            self._run(cursor, "DELETE FROM state_machines WHERE arn = ?", (arn,))
            self._run_many(cursor, "DELETE FROM tags WHERE resource_arn = ?", [(a,) for a in arns])
            self._revise(cursor)

    # Versions -----------------------------------------------------------------------------

    def publish_version(self, machine_arn: str, make: Any) -> VersionRecord:
        """Number the state machine's next version and store ``make(number)``'s record."""
        with self.transaction() as cursor:
            row = self._run(
                cursor,
                "UPDATE state_machines SET last_version = last_version + 1 WHERE arn = ? "
                "RETURNING last_version",
                (machine_arn,),
            ).fetchone()
            version: VersionRecord = make(int(row[0]))
            self._run(
                cursor,
                f"INSERT INTO state_machine_versions ({_VERSION}) VALUES ({self._marks(9)})",
                _row(version),
            )
            self._revise(cursor)
        return version

    def version(self, arn: str) -> VersionRecord | None:
        row = self._one(f"SELECT {_VERSION} FROM state_machine_versions WHERE arn = ?", (arn,))
        return None if row is None else VersionRecord(*row)

    def versions(self, machine_arn: str) -> list[VersionRecord]:
        rows = self._all(
            f"SELECT {_VERSION} FROM state_machine_versions WHERE state_machine_arn = ? "
            "ORDER BY version DESC",
            (machine_arn,),
        )
        return [VersionRecord(*row) for row in rows]

    def delete_version(self, arn: str) -> None:
        self._delete("state_machine_versions", arn)

    # Aliases ------------------------------------------------------------------------------

    def add_alias(self, alias: AliasRecord) -> None:
        self._insert("state_machine_aliases", _ALIAS, _row(alias))

    def alias(self, arn: str) -> AliasRecord | None:
        row = self._one(f"SELECT {_ALIAS} FROM state_machine_aliases WHERE arn = ?", (arn,))
        return None if row is None else AliasRecord(*row)

    def aliases(self, machine_arn: str) -> list[AliasRecord]:
        rows = self._all(
            f"SELECT {_ALIAS} FROM state_machine_aliases WHERE state_machine_arn = ? ORDER BY arn",
            (machine_arn,),
        )
        return [AliasRecord(*row) for row in rows]

    def update_alias(self, arn: str, *, description: str | None, routing: str, now: float) -> None:
        with self.transaction() as cursor:
            self._run(
                cursor,
                "UPDATE state_machine_aliases SET description = ?, routing = ?, update_date = ? "
                "WHERE arn = ?",
                (description, routing, now, arn),
            )
            self._revise(cursor)

    def delete_alias(self, arn: str) -> None:
        self._delete("state_machine_aliases", arn)

    # Activities ---------------------------------------------------------------------------

    def add_activity(self, activity: ActivityRecord) -> None:
        self._insert("activities", "arn, name, creation_date, settings", _row(activity))

    def activity(self, arn: str) -> ActivityRecord | None:
        row = self._one(
            "SELECT arn, name, creation_date, settings FROM activities WHERE arn = ?", (arn,)
        )
        return None if row is None else ActivityRecord(*row)

    def activities(self, *, limit: int, after: str | None = None) -> list[ActivityRecord]:
        rows = self._all(
            "SELECT arn, name, creation_date, settings FROM activities WHERE arn > ? "
            "ORDER BY arn LIMIT ?",
            (after or "", limit),
        )
        return [ActivityRecord(*row) for row in rows]

    def delete_activity(self, arn: str) -> None:
        self._delete("activities", arn)

    # Tags ---------------------------------------------------------------------------------

    def tag(self, arn: str, tags: dict[str, str]) -> None:
        with self.transaction() as cursor:
            self._run_many(cursor, "DELETE FROM tags WHERE resource_arn = ? AND key = ?",
                           [(arn, key) for key in tags])  # fmt: skip
            self._run_many(cursor, "INSERT INTO tags (resource_arn, key, value) VALUES (?, ?, ?)",
                           [(arn, key, value) for key, value in tags.items()])  # fmt: skip

    def untag(self, arn: str, keys: Sequence[str]) -> None:
        with self.transaction() as cursor:
            self._run_many(cursor, "DELETE FROM tags WHERE resource_arn = ? AND key = ?",
                           [(arn, key) for key in keys])  # fmt: skip

    def tags(self, arn: str) -> dict[str, str]:
        rows = self._all("SELECT key, value FROM tags WHERE resource_arn = ? ORDER BY key", (arn,))
        return {row[0]: row[1] for row in rows}

    # The revision -------------------------------------------------------------------------

    def catalog_revision(self) -> int:
        """The catalog's revision: it changes whenever a state machine, version, alias or
        activity does (a read)."""
        row = self._one("SELECT revision FROM catalog_revision WHERE id = 1", ())
        return int(row[0])

    def _revise(self, cursor: Any) -> None:
        self._run(cursor, "UPDATE catalog_revision SET revision = revision + 1 WHERE id = 1")

    # Helpers ------------------------------------------------------------------------------

    def _insert(self, table: str, columns: str, values: tuple[Any, ...]) -> None:
        try:
            with self.transaction() as cursor:
                self._run(
                    cursor,
                    f"INSERT INTO {table} ({columns}) VALUES ({self._marks(len(values))})",
                    values,
                )
                self._revise(cursor)
        except Exception as error:
            if self.is_unique_violation(error):
                raise DuplicateResource(values[0]) from None
            raise

    def _delete(self, table: str, arn: str) -> None:
        with self.transaction() as cursor:
            self._run(cursor, f"DELETE FROM {table} WHERE arn = ?", (arn,))
            self._run(cursor, "DELETE FROM tags WHERE resource_arn = ?", (arn,))
            self._revise(cursor)

    def _one(self, statement: str, parameters: Sequence[Any]) -> Any:
        with self.reading() as cursor:
            return self._run(cursor, statement, parameters).fetchone()

    def _all(self, statement: str, parameters: Sequence[Any]) -> list[Any]:
        with self.reading() as cursor:
            return list(self._run(cursor, statement, parameters).fetchall())


def _row(record: Any) -> tuple[Any, ...]:
    return tuple(getattr(record, name) for name in record.__slots__)
