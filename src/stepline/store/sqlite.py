"""SQLite: the default store. One file in WAL mode, nothing to set up.

One connection per thread (readers never block the writer in WAL mode); writes take the
database's write lock at once (``BEGIN IMMEDIATE``) so a transaction never fails half-way on a
lock it could not upgrade. ``synchronous`` is ``NORMAL`` by default: a committed transaction
survives the process being killed (``kill -9``); ``FULL`` also survives the machine losing
power, at a cost the engine benchmark shows (ADR 0006).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stepline.store.sql import SqlStore, StoreError

SYNCHRONOUS = ("NORMAL", "FULL")


class SqliteStore(SqlStore):
    dialect = "sqlite"

    def __init__(self, path: str | Path, *, synchronous: str = "NORMAL") -> None:
        if synchronous not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}")
        self.path = str(path)
        self.synchronous = synchronous
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            try:
                connection = sqlite3.connect(
                    self.path, isolation_level=None, check_same_thread=False, timeout=30
                )
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute(f"PRAGMA synchronous={self.synchronous}")
                connection.execute("PRAGMA busy_timeout=30000")
            except sqlite3.Error as error:
                raise StoreError(f"cannot open the SQLite database {self.path}: {error}") from error
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        connection = self._connection()
        cursor = connection.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise StoreError(str(error)) from error
        try:
            yield cursor
        except BaseException:
            connection.rollback()
            raise
        try:
            connection.commit()
        except sqlite3.Error as error:
            connection.rollback()
            raise StoreError(str(error)) from error

    @contextlib.contextmanager
    def reading(self) -> Iterator[Any]:
        cursor = self._connection().cursor()
        try:
            yield cursor
        except sqlite3.OperationalError as error:
            raise StoreError(str(error)) from error
        finally:
            cursor.close()

    def is_unique_violation(self, error: BaseException) -> bool:
        return isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error)

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()
