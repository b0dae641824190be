"""Engine nodes as OS processes (``python -m tests.durability.node``): started, killed with
SIGKILL, restarted, stopped; their logs kept per incarnation for the failure report."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from stepline.store import StoreError

T = TypeVar("T")

REPOSITORY = Path(__file__).resolve().parents[2]
FUNCTIONS = "tests.durability.workflow"
LOG_TAIL_LINES = 80


class TimedOut(AssertionError):
    """What was waited for did not happen in time."""


class NodeDied(AssertionError):
    """A node process exited without being told to."""


class NodeProcess:
    """One node, under a label; each ``start`` is a new incarnation (a new OS process), the
    node ``node_name`` if given, else ``LABEL-INCARNATION`` (a new node each time)."""

    def __init__(
        self,
        label: str,
        store_url: str,
        directory: Path,
        *,
        lease_seconds: float,
        poll_seconds: float,
        node_name: str | None = None,
    ) -> None:
        self.label = label
        self.store_url = store_url
        self.directory = directory
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.fixed_name = node_name
        self.incarnation = 0
        self.name = ""
        self.process: subprocess.Popen[bytes] | None = None

    def _path(self, suffix: str, incarnation: int | None = None) -> Path:
        return self.directory / f"{self.label}.{incarnation or self.incarnation}.{suffix}"

    def start(self) -> None:
        if self.running:
            raise RuntimeError(f"{self.label} is running already")
        self.incarnation += 1
        self.name = self.fixed_name or f"{self.label}-{self.incarnation}"
        command = [
            sys.executable,
            "-m",
            "tests.durability.node",
            "--store",
            self.store_url,
            "--functions",
            FUNCTIONS,
            "--node",
            self.name,
            "--lease-seconds",
            str(self.lease_seconds),
            "--poll-seconds",
            str(self.poll_seconds),
        ]
        with self._path("out").open("wb") as stdout, self._path("log").open("wb") as stderr:
            self.process = subprocess.Popen(command, cwd=REPOSITORY, stdout=stdout, stderr=stderr)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_ready(self, timeout: float = 60.0) -> float:
        """Block until the node's loop runs; how long that took."""
        started = time.monotonic()
        ready = self._path("out")
        while b"ready " not in ready.read_bytes():
            self.check_running()
            if time.monotonic() - started > timeout:
                raise AssertionError(f"{self.label} not ready after {timeout} s\n{self.logs()}")
            time.sleep(0.02)
        return time.monotonic() - started

    def check_running(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise NodeDied(
                f"{self.label} ({self.name}) exited with {self.process.returncode} "
                f"without being told to\n{self.logs()}"
            )

    def kill(self) -> None:
        """SIGKILL: the process ends at once, leaving only what it committed."""
        assert self.process is not None
        self.check_running()
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None

    def freeze(self) -> None:
        """SIGSTOP: the process stops where it is (a long GC pause, a frozen VM)."""
        assert self.process is not None
        self.check_running()
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT: a frozen process carries on as if nothing happened."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait (SIGKILL after ``timeout``); the exit status."""
        process, self.process = self.process, None
        if process is None:
            return 0
        if process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)  # a frozen node could not hear SIGTERM
            process.terminate()
            try:
                return process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
                return -signal.SIGKILL
        return process.returncode

    def log_text(self) -> str:
        """Every incarnation's stderr, in order."""
        return "".join(
            self._path("log", incarnation).read_text(errors="replace")
            for incarnation in range(1, self.incarnation + 1)
        )

    def logs(self, lines: int = LOG_TAIL_LINES) -> str:
        """The tail of each incarnation's stderr, with where the whole of it is."""
        parts = []
        for incarnation in range(1, self.incarnation + 1):
            path = self._path("log", incarnation)
            text = path.read_text(errors="replace").splitlines()
            parts.append(
                f"----- {self.label} incarnation {incarnation} ({path}, last {lines} of "
                f"{len(text)} lines) -----\n" + "\n".join(text[-lines:])
            )
        return "\n".join(parts)


class Nodes:
    """The nodes of one test: all stopped when it ends; their logs printed if it failed."""

    def __init__(self, directory: Path, store_url: str) -> None:
        self.directory = directory
        self.store_url = store_url
        self.members: list[NodeProcess] = []

    def add(
        self,
        label: str,
        *,
        lease_seconds: float,
        poll_seconds: float,
        application_name: str | None = None,
        node_name: str | None = None,
    ) -> NodeProcess:
        url = self.store_url
        if application_name is not None:
            url = with_application_name(url, application_name)
        node = NodeProcess(
            label,
            url,
            self.directory,
            lease_seconds=lease_seconds,
            poll_seconds=poll_seconds,
            node_name=node_name,
        )
        self.members.append(node)
        return node

    def check_running(self) -> None:
        for node in self.members:
            node.check_running()

    def logs(self) -> str:
        return "\n".join(node.logs() for node in self.members)

    def pause(self, seconds: float) -> None:
        """Let ``seconds`` pass (a randomly drawn moment), failing at once if a node dies."""
        until = time.monotonic() + seconds
        while (left := until - time.monotonic()) > 0:
            self.check_running()
            time.sleep(min(left, 0.05))

    def tracebacks(self) -> list[str]:
        """Node labels whose logs hold a Python traceback (an exception nothing handled)."""
        return [node.label for node in self.members if "Traceback" in node.log_text()]

    @contextlib.contextmanager
    def reporting(self) -> Iterator[Nodes]:
        """Stop every node on leaving; on a failure print the nodes' logs first."""
        try:
            yield self
        except BaseException:
            print(f"\n===== node logs (all of them under {self.directory}) =====")
            print(self.logs())
            raise
        finally:
            for node in self.members:
                node.stop(timeout=10)


def with_application_name(url: str, name: str) -> str:
    """A PostgreSQL URL whose connections show ``name`` in ``pg_stat_activity``."""
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "application_name"]
    query.append(("application_name", name))
    return urlunsplit(parts._replace(query=urlencode(query)))


def wait_until(
    condition: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    nodes: Nodes | None = None,
    interval: float = 0.05,
    failure: type[AssertionError] = TimedOut,
) -> float:
    """Poll ``condition`` until it holds; the seconds it took. A store that cannot be reached
    meanwhile (PostgreSQL restarting) counts as not yet; a node that died fails at once.
    ``failure`` is raised on timeout (``TimedOut``, unless the wait is only a test's set-up,
    which an ``xfail(raises=TimedOut)`` must not take for the bug it expects)."""
    started = time.monotonic()
    while True:
        if nodes is not None:
            nodes.check_running()
        with contextlib.suppress(StoreError):
            if condition():
                return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise failure(f"timed out after {timeout:.0f} s waiting until {what}")
        time.sleep(interval)


def retrying(call: Callable[[], T], *, timeout: float = 60.0) -> T:
    """``call()``, tried again while the store cannot be reached (PostgreSQL restarting)."""
    started = time.monotonic()
    while True:
        try:
            return call()
        except StoreError:
            if time.monotonic() - started > timeout:
                raise
            time.sleep(0.1)
