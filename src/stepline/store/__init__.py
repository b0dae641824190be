"""Where executions live: one store interface (``sql.SqlStore``), SQLite by default and
PostgreSQL when several nodes share the work. ``open_store(url)`` picks by URL."""

from __future__ import annotations

from pathlib import Path

from stepline.store.records import (
    Claim,
    Definition,
    EventRecord,
    ExecutionRecord,
    NewExecution,
    NewWakeup,
    StepWrite,
    TaskRecord,
    Wakeup,
)
from stepline.store.sql import DuplicateExecution, SqlStore, StoreError

__all__ = [
    "Claim",
    "Definition",
    "DuplicateExecution",
    "EventRecord",
    "ExecutionRecord",
    "NewExecution",
    "NewWakeup",
    "SqlStore",
    "StepWrite",
    "StoreError",
    "TaskRecord",
    "Wakeup",
    "open_store",
]


def open_store(url: str, *, migrate: bool = True, **options: object) -> SqlStore:
    """``sqlite:///PATH`` (or a bare path) or ``postgresql://...``; migrated to the latest
    schema unless ``migrate`` is false."""
    store: SqlStore
    if url.startswith(("postgresql://", "postgres://")):
        from stepline.store.postgres import PostgresStore  # noqa: PLC0415 - psycopg is optional

        store = PostgresStore(url, **options)  # type: ignore[arg-type]
    else:
        path = url.removeprefix("sqlite:///") if url.startswith("sqlite:") else url
        from stepline.store.sqlite import SqliteStore  # noqa: PLC0415

        store = SqliteStore(Path(path) if path != ":memory:" else path, **options)  # type: ignore[arg-type]
    if migrate:
        store.migrate()
    return store
