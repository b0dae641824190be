"""SQLite: the default store. One file in WAL mode, nothing to set up.

One connection per thread (readers never block the writer in WAL mode); writes take the
database's write lock at once (``BEGIN IMMEDIATE``) so a transaction never fails half-way on a
lock it could not upgrade. ``synchronous`` is ``NORMAL`` by default: a committed transaction
survives the process being killed (``kill -9``); ``FULL`` also survives the machine losing
power, at a cost the engine benchmark shows (ADR 0006).

The threads of one process take turns at writing on a lock of the process's own (one per
database file) before they ask SQLite for its lock: a thread that found SQLite's lock taken
would sleep in its busy handler (1, 2, 5 ... 100 ms at a time) however soon the lock was free,
where a thread waiting on the process's lock goes as soon as it is released (ADR 0010). Reads
take neither lock.

The write-ahead log is copied back into the database (a checkpoint) by a thread of the store's
own every ``CHECKPOINT_EVERY`` commits, not by whichever commit passes SQLite's threshold: a
request that commits a start on the server's event loop would wait for the copy and its fsync.
SQLite's own checkpoint stays as a backstop, at a larger threshold.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stepline.store.sql import SqlStore, StoreError

SYNCHRONOUS = ("NORMAL", "FULL")
BUSY_SECONDS = 30.0
"""How long a write waits for the database's write lock before it fails."""
CHECKPOINT_EVERY = 64
"""Commits between two checkpoints by the store's thread (a start writes about 14 pages: some
900 pages, SQLite's default threshold being 1,000)."""
BACKSTOP_PAGES = 10_000
"""SQLite's own checkpoint threshold (pages in the log), should the store's thread lag."""

_writer_locks: dict[str, threading.RLock] = {}
_writer_locks_guard = threading.Lock()


def writer_lock(path: str) -> threading.RLock:
    """The process's lock for writing the database at ``path`` (one per file, shared by every
    store of this process that opens it; each ``:memory:`` database is its own)."""
    if path == ":memory:":
        return threading.RLock()
    key = os.path.realpath(path)
    with _writer_locks_guard:
        return _writer_locks.setdefault(key, threading.RLock())


class SqliteStore(SqlStore):
    dialect = "sqlite"
    local_reads = True

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
        self._writer = writer_lock(self.path)
        self._commits = 0
        self._checkpoint_due = threading.Event()
        self._checkpointer: threading.Thread | None = None
        self._closing = False

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            try:
                connection = sqlite3.connect(
                    self.path, isolation_level=None, check_same_thread=False, timeout=BUSY_SECONDS
                )
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute(f"PRAGMA synchronous={self.synchronous}")
                connection.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
                connection.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
            except sqlite3.Error as error:
                raise StoreError(f"cannot open the SQLite database {self.path}: {error}") from error
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        connection = self._connection()
        # Reentrant: a transaction begun inside another on the same thread fails in SQLite
        # (as it would without this lock) instead of waiting for itself.
        if not self._writer.acquire(timeout=BUSY_SECONDS):
            raise StoreError("database is locked: another thread kept writing for too long")
        try:
            yield from self._write(connection)
        finally:
            self._writer.release()

    def _write(self, connection: sqlite3.Connection) -> Iterator[Any]:
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
        self._commits += 1  # under the writer lock
        if self._commits % CHECKPOINT_EVERY == 0:
            self._ask_for_checkpoint()

    def _ask_for_checkpoint(self) -> None:
        if self.path == ":memory:" or self._closing:
            return
        with self._lock:
            if self._checkpointer is None:
                self._checkpointer = threading.Thread(
                    target=self._checkpoint_when_asked, name="stepline-checkpoint", daemon=True
                )
                self._checkpointer.start()
        self._checkpoint_due.set()

    def _checkpoint_when_asked(self) -> None:
        """The store's checkpoint thread: PASSIVE, so that writers and readers go on (SQLite
        releases the GIL while it copies)."""
        while True:
            self._checkpoint_due.wait()
            self._checkpoint_due.clear()
            if self._closing:
                return
            # On failure, the next request retries (and the backstop threshold holds meanwhile).
            with contextlib.suppress(sqlite3.Error, StoreError):
                self._connection().execute("PRAGMA wal_checkpoint(PASSIVE)")

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
        self._closing = True
        checkpointer = self._checkpointer
        if checkpointer is not None:
            self._checkpoint_due.set()
            checkpointer.join(timeout=BUSY_SECONDS)
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()
