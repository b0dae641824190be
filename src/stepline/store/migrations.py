"""The schema, as numbered migrations, and the runner that brings a database up to date.

Every migration is a list of statements per dialect (``sqlite``, ``postgresql``); the database
records the versions it has (table ``stepline_schema``). ``migrate`` applies the missing ones
in order, each in its own transaction, so a database at any earlier version (or empty) reaches
the latest. ADR 0007 says why this is not Alembic.

Never edit a migration that has shipped: add one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    sqlite: tuple[str, ...]
    postgresql: tuple[str, ...]

    def statements(self, dialect: str) -> tuple[str, ...]:
        return self.sqlite if dialect == "sqlite" else self.postgresql


# Column types both dialects read the same way: REAL/DOUBLE PRECISION for POSIX seconds,
# TEXT for JSON, INTEGER/BIGINT for ids.
_V1_TABLES = """
CREATE TABLE nodes (
    id TEXT PRIMARY KEY,
    lease_until {real} NOT NULL,
    started_at {real} NOT NULL,
    info TEXT
);
CREATE TABLE definitions (
    id {serial} PRIMARY KEY,
    state_machine_arn TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    definition TEXT NOT NULL,
    logging_level TEXT,
    created_at {real} NOT NULL
);
CREATE TABLE executions (
    id {serial} PRIMARY KEY,
    arn TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    state_machine_arn TEXT NOT NULL,
    definition_id {int} NOT NULL REFERENCES definitions (id),
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT NOT NULL,
    output TEXT,
    error TEXT,
    cause TEXT,
    start_date {real} NOT NULL,
    stop_date {real},
    checkpoint TEXT,
    version {int} NOT NULL DEFAULT 0,
    owner TEXT,
    redrive_count {int} NOT NULL DEFAULT 0,
    redrive_date {real},
    parent_id {int},
    map_run_arn TEXT,
    expires_at {real}
);
CREATE INDEX executions_by_machine ON executions (state_machine_arn, start_date);
CREATE INDEX executions_by_owner ON executions (owner);
CREATE INDEX executions_by_parent ON executions (parent_id);
CREATE TABLE events (
    execution_id {int} NOT NULL,
    id {int} NOT NULL,
    previous_id {int} NOT NULL,
    timestamp {real} NOT NULL,
    type TEXT NOT NULL,
    details TEXT,
    PRIMARY KEY (execution_id, id)
);
CREATE TABLE wakeups (
    id {serial} PRIMARY KEY,
    execution_id {int} NOT NULL,
    key {int},
    kind TEXT NOT NULL,
    due {real} NOT NULL,
    body TEXT
);
CREATE INDEX wakeups_by_due ON wakeups (due);
CREATE INDEX wakeups_by_execution ON wakeups (execution_id, key);
CREATE TABLE tasks (
    execution_id {int} NOT NULL,
    key {int} NOT NULL,
    resource TEXT NOT NULL,
    parameters TEXT NOT NULL,
    token TEXT NOT NULL,
    timeout_seconds {int},
    heartbeat_seconds {int},
    PRIMARY KEY (execution_id, key)
);
CREATE INDEX tasks_by_token ON tasks (token);
CREATE TABLE journal (
    id {serial} PRIMARY KEY,
    execution_id {int} NOT NULL,
    at {real} NOT NULL,
    input TEXT NOT NULL
);
CREATE INDEX journal_by_execution ON journal (execution_id, id)
"""


def _statements(template: str, **types: str) -> tuple[str, ...]:
    return tuple(
        statement.strip() for statement in template.format(**types).split(";") if statement.strip()
    )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "nodes, definitions, executions, events, wake-ups, tasks and the journal",
        _statements(_V1_TABLES, real="REAL", serial="INTEGER", int="INTEGER"),
        _statements(_V1_TABLES, real="DOUBLE PRECISION", serial="BIGSERIAL", int="BIGINT"),
    ),
)

_V2_MAP_RUNS = """
CREATE TABLE map_runs (
    arn TEXT PRIMARY KEY,
    execution_id {int} NOT NULL,
    status TEXT NOT NULL,
    start_date {real} NOT NULL,
    stop_date {real},
    total {int} NOT NULL,
    max_concurrency {int} NOT NULL,
    tolerated_failure_count {int} NOT NULL,
    tolerated_failure_percentage {real} NOT NULL
);
CREATE INDEX map_runs_by_execution ON map_runs (execution_id);
ALTER TABLE executions ADD COLUMN parent_key {int};
CREATE INDEX executions_by_map_run ON executions (map_run_arn, status)
"""

MIGRATIONS += (
    Migration(
        2,
        "Map Runs of distributed Maps; a child execution's key in its parent",
        _statements(_V2_MAP_RUNS, real="REAL", int="INTEGER"),
        _statements(_V2_MAP_RUNS, real="DOUBLE PRECISION", int="BIGINT"),
    ),
)

_V3_CATALOG = """
CREATE TABLE state_machines (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    definition_id {int} NOT NULL,
    role_arn TEXT NOT NULL,
    description TEXT,
    settings TEXT NOT NULL,
    revision_id TEXT NOT NULL,
    creation_date {real} NOT NULL,
    update_date {real},
    last_version {int} NOT NULL DEFAULT 0
);
CREATE TABLE state_machine_versions (
    arn TEXT PRIMARY KEY,
    state_machine_arn TEXT NOT NULL,
    version {int} NOT NULL,
    definition_id {int} NOT NULL,
    role_arn TEXT NOT NULL,
    description TEXT,
    settings TEXT NOT NULL,
    revision_id TEXT NOT NULL,
    creation_date {real} NOT NULL
);
CREATE INDEX versions_by_machine ON state_machine_versions (state_machine_arn, version);
CREATE TABLE state_machine_aliases (
    arn TEXT PRIMARY KEY,
    state_machine_arn TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    routing TEXT NOT NULL,
    creation_date {real} NOT NULL,
    update_date {real}
);
CREATE INDEX aliases_by_machine ON state_machine_aliases (state_machine_arn);
CREATE TABLE activities (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    creation_date {real} NOT NULL,
    settings TEXT NOT NULL
);
CREATE TABLE tags (
    resource_arn TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (resource_arn, key)
);
ALTER TABLE executions ADD COLUMN version_arn TEXT;
ALTER TABLE executions ADD COLUMN alias_arn TEXT;
ALTER TABLE executions ADD COLUMN trace_header TEXT
"""

MIGRATIONS += (
    Migration(
        3,
        "State machines with versions and aliases, activities, tags",
        _statements(_V3_CATALOG, real="REAL", int="INTEGER"),
        _statements(_V3_CATALOG, real="DOUBLE PRECISION", int="BIGINT"),
    ),
)

# Activity tasks wait in the outbox until a worker takes one (GetActivityTask): the oldest
# first, hence when each was scheduled; who took it and when.
_V4_ACTIVITY_TASKS = """
ALTER TABLE tasks ADD COLUMN scheduled_at {real};
ALTER TABLE tasks ADD COLUMN taken_at {real};
ALTER TABLE tasks ADD COLUMN worker_name TEXT;
CREATE INDEX tasks_untaken ON tasks (resource, scheduled_at) WHERE taken_at IS NULL
"""

MIGRATIONS += (
    Migration(
        4,
        "Tasks: when each was scheduled, and when and by which worker it was taken",
        _statements(_V4_ACTIVITY_TASKS, real="REAL"),
        _statements(_V4_ACTIVITY_TASKS, real="DOUBLE PRECISION"),
    ),
)

# ListExecutions reads a state machine's executions newest first (by id), all of them or those
# in one status: without these, it walked the (state_machine_arn, start_date) index and sorted.
_V5_EXECUTION_LISTS = """
CREATE INDEX executions_by_machine_id ON executions (state_machine_arn, id);
CREATE INDEX executions_by_machine_status_id ON executions (state_machine_arn, status, id)
"""

MIGRATIONS += (
    Migration(
        5,
        "Indexes for listing a state machine's executions, by status or not, newest first",
        _statements(_V5_EXECUTION_LISTS),
        _statements(_V5_EXECUTION_LISTS),
    ),
)

# One number every change of the catalog's state machines, versions and aliases raises, in
# the same transaction: a node keeps what a start resolves to while the number is the same,
# and sees another node's change as soon as it is committed (ADR 0010).
_V6_CATALOG_REVISION = """
CREATE TABLE catalog_revision (
    id {int} PRIMARY KEY,
    revision {int} NOT NULL
);
INSERT INTO catalog_revision (id, revision) VALUES (1, 0)
"""

MIGRATIONS += (
    Migration(
        6,
        "The catalog's revision, raised by every change of a state machine, version or alias",
        _statements(_V6_CATALOG_REVISION, int="INTEGER"),
        _statements(_V6_CATALOG_REVISION, int="BIGINT"),
    ),
)

# Fewer index pages per write, and no scan for expired histories. An execution's insert and
# its steps touched every index of the table, though most executions have no parent and no
# Map Run, and end unowned: those indexes now hold only the rows with a value. The index by
# (state_machine_arn, start_date) served ListExecutions before migration 5 and nothing since.
# Expired Express histories were found by a scan of the whole table, at every maintenance.
_V7_LEANER_EXECUTION_INDEXES = """
DROP INDEX executions_by_machine;
DROP INDEX executions_by_owner;
CREATE INDEX executions_by_owner ON executions (owner) WHERE owner IS NOT NULL;
DROP INDEX executions_by_parent;
CREATE INDEX executions_by_parent ON executions (parent_id) WHERE parent_id IS NOT NULL;
DROP INDEX executions_by_map_run;
CREATE INDEX executions_by_map_run ON executions (map_run_arn, status)
    WHERE map_run_arn IS NOT NULL;
CREATE INDEX executions_by_expiry ON executions (expires_at) WHERE expires_at IS NOT NULL
"""

MIGRATIONS += (
    Migration(
        7,
        "Partial indexes on executions (owner, parent, Map Run, expiry); the unused one by "
        "start date dropped",
        _statements(_V7_LEANER_EXECUTION_INDEXES),
        _statements(_V7_LEANER_EXECUTION_INDEXES),
    ),
)

LATEST = MIGRATIONS[-1].version


class MigrationTarget(Protocol):
    """What the runner needs of a store: its dialect and a way to run statements."""

    dialect: str

    def applied_versions(self) -> set[int]:
        """The versions recorded (empty for a new database)."""
        ...

    def apply(self, migration: Migration) -> bool:
        """Run one migration's statements and record its version, in one transaction; False
        when another node had applied it meanwhile."""
        ...


def migrate(target: MigrationTarget, up_to: int = LATEST) -> list[int]:
    """Apply every missing migration up to ``up_to``, in order; the versions applied."""
    applied = target.applied_versions()
    done = []
    for migration in MIGRATIONS:
        if migration.version > up_to or migration.version in applied:
            continue
        if target.apply(migration):
            done.append(migration.version)
    return done
