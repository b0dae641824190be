"""PostgreSQL: the store several nodes share.

Connections come from a psycopg 3 pool; a connection that breaks (the server restarted, a
backend was terminated) is replaced by the pool, and the statement that saw it fail raises
``StoreError`` so the engine retries its batch. Claims lock execution rows with ``FOR UPDATE
SKIP LOCKED``, so nodes claiming at once never wait on each other; commits lock the rows they
write (``FOR UPDATE``) after checking this node still owns them. New work due now is announced
with ``NOTIFY stepline`` so idle nodes wake at once (``listen``).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import psycopg
from psycopg import errors
from psycopg_pool import ConnectionPool, PoolTimeout

from stepline.store.records import EventRecord
from stepline.store.sql import SqlStore, StoreError

CHANNEL = "stepline"
_MIGRATION_LOCK = 0x5354_4550  # an advisory lock id of our own ("STEP")


class PostgresStore(SqlStore):
    dialect = "postgresql"
    lock_rows = "FOR UPDATE"
    skip_locked = "FOR UPDATE SKIP LOCKED"
    claim_lock = "FOR UPDATE OF e SKIP LOCKED"
    task_lock = "FOR UPDATE OF t SKIP LOCKED"

    def __init__(
        self,
        url: str,
        *,
        max_connections: int = 8,
        lock_timeout: float = 2.0,
        idle_transaction_timeout: float = 5.0,
        statement_timeout: float = 5.0,
        application_name: str | None = None,
    ) -> None:
        self.url = url
        # A node frozen (or cut off) inside a transaction must not hold its locks for long:
        # the server ends a session left idle in a transaction, or a statement left waiting
        # (a COPY whose data stopped coming), and a statement waits for a lock so long at most.
        options = (
            f"-c lock_timeout={int(lock_timeout * 1000)} "
            f"-c statement_timeout={int(statement_timeout * 1000)} "
            f"-c idle_in_transaction_session_timeout={int(idle_transaction_timeout * 1000)}"
        )
        connection_options: dict[str, Any] = {"autocommit": True, "options": options}
        if application_name is not None:
            # The node's name: what other nodes end when its lease runs out (end_sessions).
            connection_options["application_name"] = application_name[:63]
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            open=False,
            kwargs=connection_options,
        )
        try:
            self.pool.open(wait=True, timeout=30)
        except Exception as error:
            raise StoreError(f"cannot connect to PostgreSQL at {_safe(url)}: {error}") from error

    def sql(self, statement: str) -> str:
        return statement.replace("?", "%s")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        with (
            self._translated(),
            self.pool.connection() as connection,
            connection.transaction(),
        ):
            yield connection.cursor()

    @contextlib.contextmanager
    def reading(self) -> Iterator[Any]:
        with self._translated(), self.pool.connection() as connection:
            yield connection.cursor()

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except (psycopg.OperationalError, errors.AdminShutdown, PoolTimeout) as error:
            raise StoreError(str(error).strip() or type(error).__name__) from error

    def _insert_events(self, cursor: Any, events: list[tuple[int, EventRecord]]) -> None:
        """Events by COPY: a pass100 execution writes about 200 at once, and COPY sends them
        in one stream instead of one round trip each."""
        if not events:
            return
        with cursor.copy(
            "COPY events (execution_id, id, previous_id, timestamp, type, details) FROM STDIN"
        ) as copy:
            for execution_id, event in events:
                copy.write_row(
                    (
                        execution_id,
                        event.id,
                        event.previous_id,
                        event.timestamp,
                        event.type,
                        event.details,
                    )
                )

    def end_sessions(self, cursor: Any, nodes: Sequence[str]) -> None:
        """Terminate the sessions of dead nodes (by their ``application_name``): a node frozen
        inside a transaction, or blocked writing to or reading from its socket, holds its
        row locks until its session ends, and neither a statement timeout nor an idle timeout
        reaches a backend blocked on client I/O."""
        if nodes:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND application_name = ANY(%s)",
                ([node[:63] for node in nodes],),
            )

    def notify(self, cursor: Any) -> None:
        cursor.execute(f"NOTIFY {CHANNEL}")

    def _lock_schema(self, cursor: Any) -> None:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))

    def is_unique_violation(self, error: BaseException) -> bool:
        return isinstance(error, errors.UniqueViolation)

    def listen(self, wake: Wakeable, stopping: threading.Event) -> None:
        """Set ``wake`` whenever another node announces work, until ``stopping`` is set;
        reconnects when the connection breaks."""
        while not stopping.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    wake.set()  # work may have been announced while we were not listening
                    while not stopping.is_set():
                        for _ in connection.notifies(timeout=1.0, stop_after=1):
                            wake.set()
            except psycopg.Error:
                stopping.wait(0.5)

    def close(self) -> None:
        self.pool.close()


class Wakeable(Protocol):
    """What ``listen`` wakes: an event, or a node's nudge."""

    def set(self) -> None: ...


def _safe(url: str) -> str:
    """The URL without its password."""
    if "@" in url and ":" in url.split("@", maxsplit=1)[0].rsplit("//", maxsplit=1)[-1]:
        scheme, rest = url.split("//", 1)
        credentials, host = rest.split("@", 1)
        return f"{scheme}//{credentials.split(':')[0]}:***@{host}"
    return url
