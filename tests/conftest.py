"""Fixtures of the whole suite: stores on both backends, SQLite and a real PostgreSQL.

A test that takes ``store_url`` or ``store`` runs twice, ``[sqlite]`` and ``[postgresql]``,
each time on a database of its own. PostgreSQL comes from ``tests.support.postgres``: when it
cannot be had, the tests that need it fail with the reason (they are never skipped).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stepline.store import SqlStore, open_store
from tests.support.postgres import PostgresUnavailable, Server, SessionDatabases, ensure_server

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[SessionDatabases]:
    """The session's PostgreSQL databases (all dropped when it ends)."""
    server: Server | None = None
    try:
        server = ensure_server()
    except PostgresUnavailable as error:
        problem = str(error)
    if server is None:
        pytest.fail(problem, pytrace=False)  # every test needing it fails, with the reason
    try:
        databases = SessionDatabases(server)
    except BaseException:
        server.stop()
        raise
    try:
        yield databases
    finally:
        databases.close()
        server.stop()


@pytest.fixture
def postgres_url(postgres_databases: SessionDatabases) -> Iterator[str]:
    """A new PostgreSQL database at the latest schema."""
    with postgres_databases.database(migrated=True) as url:
        yield url


@pytest.fixture
def empty_postgres_url(postgres_databases: SessionDatabases) -> Iterator[str]:
    """A new PostgreSQL database without any table."""
    with postgres_databases.database(migrated=False) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new database at the latest schema, on each backend."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    url = f"sqlite:///{tmp_path / 'store.db'}"
    open_store(url).close()
    return url


@pytest.fixture(params=BACKENDS)
def empty_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new database without any table, on each backend."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("empty_postgres_url"))
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    """``open_store(store_url)``, closed after the test."""
    opened = open_store(store_url)
    yield opened
    opened.close()
