"""A PostgreSQL server of the test's own, to restart (and crash) in the middle of a run.

Restarting the machine's cluster, or the session's server of ``tests.support.postgres``, would
cut every other connection to it: the session's administration connection (which holds its
advisory lock and drops its databases afterwards) and the test runs of anyone else on the
machine. This server is made with ``initdb`` in a temporary directory, on a free port, with
PostgreSQL's default durability (``fsync`` and ``synchronous_commit`` on, so a crash loses no
acknowledged commit), and deleted afterwards. As root, its programs run as ``postgres``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg


class ServerUnavailable(Exception):
    """The server could not be made or started (initdb or pg_ctl failed, or is missing)."""


def _bindir() -> Path:
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1].parent
    which = shutil.which("pg_ctl")
    if which is None:
        raise ServerUnavailable("no pg_ctl: is PostgreSQL installed?")
    return Path(which).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class OwnServer:
    """``start``, ``restart`` (``fast``: a clean shutdown; ``immediate``: a crash, WAL
    recovery on start), ``ensure_running`` and ``remove``."""

    def __init__(self) -> None:
        self.bindir = _bindir()
        self.directory = Path(tempfile.mkdtemp(prefix="stepline-durability-pg-"))
        self.data = self.directory / "data"
        self.port = 0
        self.options = ""
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.directory, user.pw_uid, user.pw_gid)

    @property
    def url(self) -> str:
        """The administration database's URL."""
        return self.database_url("postgres")

    def database_url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def start(self) -> OwnServer:
        self._run([self.bindir / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust"])
        for _ in range(3):  # another process may take the free port first
            self.port = _free_port()
            self.options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
            started = self._run(self._pg_ctl("start", "-o", self.options), check=False)
            if started.returncode == 0:
                return self
        raise ServerUnavailable(f"the server did not start: {self.log()[-2000:]}")

    def restart(self, mode: str, *, down_for: float = 0.0) -> float:
        """Stop (``fast`` or ``immediate``), stay down ``down_for`` seconds, start again; the
        seconds it was down."""
        began = time.monotonic()
        self._run(self._pg_ctl("stop", "-m", mode))
        time.sleep(down_for)
        self._run(self._pg_ctl("start", "-o", self.options))
        return time.monotonic() - began

    @property
    def running(self) -> bool:
        return self._run(self._pg_ctl("status"), check=False).returncode == 0

    def ensure_running(self) -> None:
        if not self.running:
            self._run(self._pg_ctl("start", "-o", self.options))
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.url, connect_timeout=3) as connection:
                    connection.execute("SELECT 1")
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.database_url(name)

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(self._pg_ctl("stop", "-m", "immediate"), check=False)
        shutil.rmtree(self.directory, ignore_errors=True)

    def log(self) -> str:
        path = self.directory / "log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _pg_ctl(self, action: str, *options: str) -> list[str | Path]:
        return [
            self.bindir / "pg_ctl",
            "-D",
            self.data,
            "-l",
            self.directory / "log",
            "-w",
            "-t",
            "60",
            *options,
            action,
        ]

    def _run(
        self, command: Sequence[str | Path], *, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        as_postgres: dict[str, Any] = {}
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            user = pwd.getpwnam("postgres")
            as_postgres = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        result = subprocess.run(
            [str(part) for part in command],
            cwd=self.directory,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            **as_postgres,
        )
        if check and result.returncode != 0:
            raise ServerUnavailable(
                f"{' '.join(map(str, command))} failed ({result.returncode}): "
                f"{result.stderr.strip()}\n{self.log()[-2000:]}"
            )
        return result
