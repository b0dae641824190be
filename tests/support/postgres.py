"""A PostgreSQL server for the tests, and the databases of one test session.

``ensure_server`` finds a server, in this order:

1. ``STEPLINE_TEST_POSTGRES``, if set: the URL of a server to use (a CI service, say); no
   fallback, so a wrong setting is reported rather than quietly replaced;
2. the machine's own at 127.0.0.1:5432, user ``postgres`` (trust auth);
3. the machine's clusters (``pg_lsclusters``) started if they are down, with
   ``pg_ctlcluster --skip-systemctl-redirect VERSION NAME start``;
4. a throwaway server: ``initdb`` in a temporary directory (as the ``postgres`` user when we
   are root), on a free port, stopped and deleted when the session ends.

When none works it raises ``PostgresUnavailable`` naming every attempt: the tests that need
PostgreSQL fail with that message (they are never skipped, so CI cannot pass without it).

``SessionDatabases`` gives one test session databases of its own, named
``stepline_t<pid>_<random>_<n>``: a migrated template is made once, each test gets a copy
(``CREATE DATABASE ... TEMPLATE``: 30 ms on an idle machine of this kind, 200 ms with both
cores busy; an empty database migrated anew costs 80 and 260 ms). A database per test, not a
schema, because that is what a deployment has: NOTIFY channels and advisory locks are per
database, and nothing can leak between tests through them. All are dropped when the session
ends. The session holds an advisory lock for its prefix while it lives, so a later session
can tell the databases of a session that died (killed, say) from those of one still running,
and drops only the former.

``python -m tests.support.postgres --ensure`` does steps 1-3 before a test run (``scripts/test``)
and checks that step 4 is possible when they fail; it exits non-zero when PostgreSQL cannot be
had at all.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import grp
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ENVIRONMENT_VARIABLE = "STEPLINE_TEST_POSTGRES"
LOCAL_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PREFIX = "stepline_t"
_NAME = re.compile(rf"^{PREFIX}(\d+)_([0-9a-f]{{8}})(?:_\w+)?$")
_LOCK_CLASS = 0x5354_4C54  # the first key of our sessions' advisory locks ("STLT")
_CONNECT_SECONDS = 3


class PostgresUnavailable(Exception):
    """No PostgreSQL server could be found, started or made."""


@dataclass
class Server:
    """A reachable server: ``url`` is its administration database (``postgres``)."""

    url: str
    how: str
    """How it was found (for messages)."""
    throwaway: Throwaway | None = None

    def database_url(self, name: str) -> str:
        return urlunsplit(urlsplit(self.url)._replace(path=f"/{name}"))

    def connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url, autocommit=True, connect_timeout=_CONNECT_SECONDS)

    def stop(self) -> None:
        """Stop the server if this session started it as a throwaway."""
        if self.throwaway is not None:
            self.throwaway.stop()


@dataclass
class Throwaway:
    """A server of our own: ``initdb`` in a temporary directory, on a free port."""

    bindir: Path
    directory: Path = field(init=False)
    port: int = field(init=False)

    def start(self) -> str:
        """Initialise and start it; its administration URL."""
        self.directory = Path(tempfile.mkdtemp(prefix="stepline-pg-"))
        atexit.register(self.stop)
        _give_to_postgres(self.directory)
        data = self.directory / "data"
        self._run([str(self.bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"])
        for _ in range(3):  # another process may take the free port before the server does
            self.port = _free_port()
            options = (
                f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            started = self._run(
                [str(self.bindir / "pg_ctl"), "-D", str(data), "-l", str(self.directory / "log"),
                 "-w", "-t", "30", "-o", options, "start"],
                check=False,
            )  # fmt: skip
            if started.returncode == 0:
                return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        log = (self.directory / "log").read_text(errors="replace")[-2000:]
        self.stop()
        raise PostgresUnavailable(f"the throwaway server did not start: {log}")

    def stop(self) -> None:
        directory = getattr(self, "directory", None)
        if directory is None or not directory.exists():
            return
        if (directory / "data" / "postmaster.pid").exists():
            self._run(
                [str(self.bindir / "pg_ctl"), "-D", str(directory / "data"), "-m", "immediate",
                 "-w", "stop"],
                check=False,
            )  # fmt: skip
        shutil.rmtree(directory, ignore_errors=True)

    def _run(
        self, command: Sequence[str], *, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run a server program, as ``postgres`` if we are root (PostgreSQL refuses root)."""
        as_postgres: dict[str, Any] = {}
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            as_postgres = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        result = subprocess.run(
            command,
            cwd=self.directory,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            **as_postgres,
        )
        if check and result.returncode != 0:
            raise PostgresUnavailable(
                f"{' '.join(command)} failed ({result.returncode}): {result.stderr.strip()}"
            )
        return result


def ensure_server(*, wait_seconds: float = 10) -> Server:
    """A reachable server, started or made if need be (see the module's docstring);
    ``wait_seconds`` for a configured server to answer."""
    attempts: list[str] = []
    found = find_server(attempts, wait_seconds=wait_seconds)
    if found is not None:
        return found
    bindir, problem = _throwaway_bindir()
    if bindir is not None:
        server = Throwaway(bindir)
        try:
            return Server(server.start(), f"a throwaway server in {server.directory}", server)
        except (PostgresUnavailable, OSError, subprocess.SubprocessError) as error:
            server.stop()
            problem = f"{bindir}: {error}"
    attempts.append(f"a throwaway server: {problem}")
    raise PostgresUnavailable(_unavailable(attempts))


def _unavailable(attempts: list[str]) -> str:
    return (
        "PostgreSQL is needed by these tests and could not be made available:\n"
        + "\n".join(f"  - {attempt}" for attempt in attempts)
        + "\nInstall PostgreSQL (Debian: apt-get install postgresql) or set "
        f"{ENVIRONMENT_VARIABLE} to the URL of a server."
    )


def find_server(attempts: list[str], *, wait_seconds: float = 10) -> Server | None:
    """The configured server, or the machine's own (started if it is down); what failed is
    added to ``attempts``."""
    configured = os.environ.get(ENVIRONMENT_VARIABLE)
    if configured:
        problem = _reach(configured, wait_seconds=wait_seconds)
        if problem is None:
            return Server(configured, f"{ENVIRONMENT_VARIABLE}={_without_password(configured)}")
        raise PostgresUnavailable(
            f"{ENVIRONMENT_VARIABLE}={_without_password(configured)} cannot be reached: {problem}"
        )
    problem = _reach(LOCAL_URL)
    if problem is None:
        return Server(LOCAL_URL, "the local server at 127.0.0.1:5432")
    attempts.append(f"127.0.0.1:5432: {problem}")
    return _start_clusters(attempts)


def _throwaway_bindir() -> tuple[Path | None, str]:
    """Where the programs of a throwaway server are, or why there can be none."""
    bindir = _bindir()
    if bindir is None:
        return None, "no initdb (is PostgreSQL installed?)"
    if os.geteuid() == 0 and not _has_user("postgres"):
        return None, "we are root (PostgreSQL refuses it) and there is no postgres user"
    return bindir, f"with {bindir}"


def _reach(url: str, *, wait_seconds: float = 0) -> str | None:
    """Why ``url`` cannot be reached, or None once it can."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            with psycopg.connect(url, connect_timeout=_CONNECT_SECONDS) as connection:
                connection.execute("SELECT 1")
            return None
        except psycopg.Error as error:
            problem = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        if time.monotonic() >= deadline:
            return problem
        time.sleep(0.2)


def _start_clusters(attempts: list[str]) -> Server | None:
    """Start the machine's clusters that are down; the first that then answers."""
    if shutil.which("pg_lsclusters") is None or shutil.which("pg_ctlcluster") is None:
        attempts.append("the machine's clusters: no pg_lsclusters/pg_ctlcluster")
        return None
    listed = subprocess.run(
        ["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=False, timeout=30
    )
    clusters = [line.split() for line in listed.stdout.splitlines() if line.strip()]
    if not clusters:
        attempts.append("the machine's clusters: there are none")
        return None
    for version, name, port, status, *_ in clusters:
        if not status.startswith("online"):
            started = subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "start"],
                capture_output=True,
                text=True,
                check=False,
                timeout=120,
            )
            if started.returncode != 0:
                attempts.append(
                    f"pg_ctlcluster {version} {name} start: {started.stderr.strip()[-500:]}"
                )
                continue
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        problem = _reach(url, wait_seconds=10)
        if problem is None:
            return Server(url, f"cluster {version}/{name} at 127.0.0.1:{port}")
        attempts.append(f"cluster {version}/{name} at 127.0.0.1:{port}: {problem}")
    return None


def _bindir() -> Path | None:
    """Where initdb and pg_ctl are (the newest installed version)."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if versions:
        return versions[-1].parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _give_to_postgres(directory: Path) -> None:
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(directory, user.pw_uid, grp.getgrgid(user.pw_gid).gr_gid)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class SessionDatabases:
    """The databases of one test session, dropped by ``close``."""

    def __init__(self, server: Server) -> None:
        self.server = server
        token = secrets.token_bytes(4)
        self.prefix = f"{PREFIX}{os.getpid()}_{token.hex()}"
        self._admin = server.connect()
        # Held until this connection ends (with the session, however it ends).
        self._admin.execute("SELECT pg_advisory_lock(%s, %s)", (_LOCK_CLASS, _lock_key(token)))
        self._count = 0
        self._template: str | None = None
        self._names: set[str] = set()
        self.drop_stale()

    def create(self, *, migrated: bool) -> str:
        """A new database's URL: at the latest schema (a copy of the session's template), or
        empty."""
        template = self._migrated_template() if migrated else "template0"
        self._count += 1
        name = f"{self.prefix}_{self._count}"
        self._admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )
        self._names.add(name)
        return self.server.database_url(name)

    @contextlib.contextmanager
    def database(self, *, migrated: bool) -> Iterator[str]:
        """A new database for the duration of the block (dropped after, whoever is in it)."""
        url = self.create(migrated=migrated)
        try:
            yield url
        finally:
            self.drop(urlsplit(url).path.lstrip("/"))

    def drop(self, name: str) -> None:
        self._admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        self._names.discard(name)

    def close(self) -> None:
        """Drop every database of the session and end its lock."""
        if self._admin.closed:
            return
        for name in sorted(self._names):
            self.drop(name)
        if self._template is not None:
            self.drop(self._template)
        self._admin.close()

    def drop_stale(self) -> list[str]:
        """Drop the databases of sessions that ended without dropping them; their names."""
        rows = self._admin.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s",
            (PREFIX.replace("_", r"\_") + "%",),
        ).fetchall()
        by_session: dict[str, list[str]] = {}
        for (name,) in rows:
            match = _NAME.match(name)
            if match is not None and not name.startswith(f"{self.prefix}_"):
                by_session.setdefault(match.group(2), []).append(name)
        dropped = []
        for token, names in by_session.items():
            key = _lock_key(bytes.fromhex(token))
            (gone,) = self._admin.execute(
                "SELECT pg_try_advisory_lock(%s, %s)", (_LOCK_CLASS, key)
            ).fetchone() or (False,)
            if not gone:
                continue  # that session is still running
            try:
                for name in names:
                    self.drop(name)
                    dropped.append(name)
            finally:
                self._admin.execute("SELECT pg_advisory_unlock(%s, %s)", (_LOCK_CLASS, key))
        return dropped

    def _migrated_template(self) -> str:
        if self._template is None:
            from stepline.store import open_store  # noqa: PLC0415 - only sessions that need it

            name = f"{self.prefix}_template"
            self._admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            self._template = name
            open_store(self.server.database_url(name)).close()
        return self._template


def _lock_key(token: bytes) -> int:
    return int.from_bytes(token, "big", signed=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.postgres", description=__doc__)
    parser.add_argument(
        "--ensure",
        action="store_true",
        help="start the machine's PostgreSQL if it is down; exit 1 if no server can be had",
    )
    arguments = parser.parse_args(argv)
    if not arguments.ensure:
        parser.print_help()
        return 2
    attempts: list[str] = []
    try:
        server = find_server(attempts)
    except PostgresUnavailable as error:
        print(error, file=sys.stderr)
        return 1
    if server is None:
        bindir, problem = _throwaway_bindir()
        if bindir is None:
            attempts.append(f"a throwaway server: {problem}")
            print(_unavailable(attempts), file=sys.stderr)
            return 1
        print(f"PostgreSQL: no server here; each test session starts a throwaway one {problem}")
        return 0
    print(f"PostgreSQL: {server.how}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
