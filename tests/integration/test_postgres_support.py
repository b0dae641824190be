"""The test suite's PostgreSQL support: servers found or made, and each session's databases."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from stepline.store import open_store
from tests.support.postgres import (
    ENVIRONMENT_VARIABLE,
    PREFIX,
    PostgresUnavailable,
    Server,
    SessionDatabases,
    Throwaway,
    _throwaway_bindir,
    ensure_server,
)
from tests.support.records import T0, add_machine, due_kinds, start

ROOT = Path(__file__).resolve().parents[2]


def database_names(server: Server) -> set[str]:
    with server.connect() as connection:
        rows = connection.execute("SELECT datname FROM pg_database").fetchall()
    return {row[0] for row in rows}


def name_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def test_each_test_gets_a_database_of_its_own_dropped_after(
    postgres_databases: SessionDatabases,
) -> None:
    server = postgres_databases.server
    with postgres_databases.database(migrated=True) as first:
        second = postgres_databases.create(migrated=False)
        assert name_of(first) != name_of(second)
        assert name_of(first).startswith(f"{postgres_databases.prefix}_")
        assert postgres_databases.prefix.startswith(PREFIX)
        migrated, empty = open_store(first, migrate=False), open_store(second, migrate=False)
        try:
            assert migrated.migrate() == []  # a copy of the session's migrated template
            assert empty.applied_versions() == set()
        finally:
            migrated.close()
            empty.close()
        postgres_databases.drop(name_of(second))
    assert not {name_of(first), name_of(second)} & database_names(server)


def test_the_databases_of_a_session_that_died_are_dropped_by_the_next(
    postgres_databases: SessionDatabases,
) -> None:
    server = postgres_databases.server
    session = textwrap.dedent(f"""
        import time
        from tests.support.postgres import Server, SessionDatabases
        databases = SessionDatabases(Server({server.url!r}, "a session to kill"))
        print(databases.create(migrated=False), flush=True)
        time.sleep(60)
    """)
    killed = subprocess.Popen(
        [sys.executable, "-c", session], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert killed.stdout is not None
    dead = name_of(killed.stdout.readline().strip())
    assert dead.startswith(PREFIX), "the session to kill did not start"
    killed.kill()
    killed.wait()
    killed.stdout.close()
    alive = SessionDatabases(server)  # a session still running: its databases stay
    kept = name_of(alive.create(migrated=False))
    try:
        deadline = time.monotonic() + 10
        while dead in database_names(server) and time.monotonic() < deadline:
            time.sleep(0.05)  # the server sees the killed session's connection end
            postgres_databases.drop_stale()
        names = database_names(server)
        assert dead not in names
        assert kept in names
    finally:
        alive.close()
    assert kept not in database_names(server)


def test_a_configured_server_that_cannot_be_reached_is_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once the probe is closed
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, f"postgresql://postgres:secret@127.0.0.1:{port}/x")
    with pytest.raises(PostgresUnavailable, match=f"{ENVIRONMENT_VARIABLE}=.*:\\*\\*\\*@.*cannot"):
        ensure_server(wait_seconds=0)


def test_a_throwaway_server_serves_a_store_and_leaves_nothing_behind() -> None:
    bindir, problem = _throwaway_bindir()
    assert bindir is not None, problem
    throwaway = Throwaway(bindir)
    server = Server(throwaway.start(), "throwaway", throwaway)
    try:
        databases = SessionDatabases(server)
        store = open_store(databases.create(migrated=True))
        try:
            execution_id = start(store, add_machine(store), "on-a-throwaway")
            assert due_kinds(store, "node-a", T0) == {execution_id: ["start"]}
        finally:
            store.close()
            databases.close()
    finally:
        server.stop()
    assert not throwaway.directory.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(server.url, connect_timeout=2).close()
