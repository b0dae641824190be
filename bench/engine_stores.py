"""The stores the engine benchmark runs on, each fresh: a SQLite file in a temporary
directory (``synchronous`` NORMAL or FULL), or a PostgreSQL database of its own, created for
the run and dropped afterwards.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from stepline.store import SqlStore
from stepline.store.scratch import scratch_database
from stepline.store.sqlite import SqliteStore

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
"""A database the benchmark can connect to in order to create and drop its own."""

DATABASE_PREFIX = "stepline_bench_"


@dataclass(frozen=True, slots=True)
class StoreSpec:
    """Which store: ``sqlite`` (with its ``synchronous`` setting) or ``postgresql``."""

    kind: str
    synchronous: str | None = None

    @property
    def label(self) -> str:
        """How the summary lines name it: ``store=sqlite synchronous=FULL``."""
        if self.synchronous is None:
            return f"store={self.kind}"
        return f"store={self.kind} synchronous={self.synchronous}"


SQLITE_NORMAL = StoreSpec("sqlite", "NORMAL")
SQLITE_FULL = StoreSpec("sqlite", "FULL")
POSTGRESQL = StoreSpec("postgresql")


@contextmanager
def fresh_store(spec: StoreSpec, postgres_url: str = DEFAULT_POSTGRES_URL) -> Iterator[SqlStore]:
    """A migrated, empty store; removed on leaving. The caller closes the store (an
    ``Engine`` closes its store), closing it twice is harmless."""
    if spec.kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="stepline-bench-") as directory:
            store = SqliteStore(
                Path(directory) / "engine.db", synchronous=spec.synchronous or "NORMAL"
            )
            try:
                store.migrate()
                yield store
            finally:
                store.close()
        return
    if spec.kind != "postgresql":
        raise ValueError(f"unknown store kind {spec.kind!r}")
    with scratch_database(postgres_url, DATABASE_PREFIX) as url:
        from stepline.store.postgres import PostgresStore  # noqa: PLC0415 - psycopg is optional

        postgres = PostgresStore(url)
        try:
            postgres.migrate()
            yield postgres
        finally:
            postgres.close()


def postgres_unavailable(admin_url: str) -> str | None:
    """Why PostgreSQL cannot be used for the benchmark, or None when it can."""
    try:
        import psycopg  # noqa: PLC0415
        import psycopg_pool  # noqa: F401, PLC0415
    except ImportError as error:
        return f"psycopg is not installed ({error})"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        return f"cannot connect to {admin_url}: {str(error).strip()}"
    return None
