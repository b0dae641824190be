"""The servers the server benchmark drives, each in a process of its own on this machine:
Stepline (``stepline serve`` on SQLite in a temporary directory), moto's server and ministack.

moto's server comes with the ``bench`` extra (``moto[server,stepfunctions]==5.2.5``), run as
``python -m moto.server -p PORT`` (what ``moto_server`` runs) and told by ``POST
/moto-api/config`` to execute state machines. ministack pins botocore to one exact version,
which Stepline (whose signature checks use botocore) must not be tied to: it lives in a
virtual environment of its own (``ministack_venv``), made on first use with ``pip``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.server_client import Endpoint

HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0
MINISTACK_VERSION = "1.5.33"
MOTO_CONFIG = b'{"stepfunctions": {"execute_state_machine": true}}'
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True, slots=True)
class Memory:
    """A process tree's resident memory now and at its peak (the sum over its processes of
    ``VmRSS`` and ``VmHWM``), in MB."""

    rss_mb: float
    peak_mb: float


@dataclass
class RunningServer:
    """A server process started by the benchmark: its name, endpoint, process and log."""

    name: str
    endpoint: Endpoint
    process: subprocess.Popen[bytes]
    log: Path

    def tree(self) -> list[int]:
        """The process and its descendants (ministack and moto may start helpers)."""
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text()
                parent = int(stat[stat.rindex(")") + 2 :].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
        found, pending = [], [self.process.pid]
        while pending:
            pid = pending.pop()
            found.append(pid)
            pending += children.get(pid, [])
        return found

    def cpu_s(self) -> float:
        """CPU seconds (user and system) the process tree has used so far."""
        total = 0
        for pid in self.tree():
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/{pid}/stat").read_text()
                fields = stat[stat.rindex(")") + 2 :].split()
                total += int(fields[11]) + int(fields[12])
        return total / _CLOCK_TICKS

    def memory(self) -> Memory:
        rss = peak = 0
        for pid in self.tree():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
                    elif line.startswith("VmHWM:"):
                        peak += int(line.split()[1])
        return Memory(rss / 1024, peak / 1024)

    def logs(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it is still there 10 s later."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def _wait_until_ready(server: RunningServer, path: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    url = f"{server.endpoint.url}{path}"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            message = f"{server.name} exited with {server.process.returncode}:\n{server.logs()}"
            raise RuntimeError(message)
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as answer:
            if 200 <= answer.status < 300:
                return
        time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"{server.name} did not answer in {START_TIMEOUT_S:g} s:\n{server.logs()}")


def _launch(
    name: str, command: list[str], directory: Path, port: int, env: dict[str, str] | None = None
) -> RunningServer:
    log = directory / f"{name}.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=directory,
            env={**os.environ, **(env or {})},
        )
    return RunningServer(name, Endpoint(HOST, port), process, log)


def start_stepline(directory: Path, database: str | None = None) -> RunningServer:
    """``stepline serve`` on a free port, its data (SQLite by default) in ``directory``."""
    port = free_port()
    data = directory / "stepline-data"
    data.mkdir(exist_ok=True)
    command = [
        sys.executable, "-m", "stepline.cli.main", "serve",
        "--host", HOST, "--port", str(port), "--data-dir", str(data),
    ]  # fmt: skip
    if database is not None:
        command += ["--database", database]
    server = _launch("stepline", command, directory, port)
    _wait_until_ready(server, "/health")
    return server


def start_moto(directory: Path) -> RunningServer:
    """moto's server, told to execute state machines (it only records them otherwise)."""
    port = free_port()
    command = [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)]
    server = _launch("moto", command, directory, port)
    _wait_until_ready(server, "/moto-api/config")
    request = urllib.request.Request(
        f"{server.endpoint.url}/moto-api/config", data=MOTO_CONFIG, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        answer.read()
    return server


def ministack_venv() -> Path:
    """Where ministack's own virtual environment lives (``STEPLINE_BENCH_PEERS`` or the user's
    cache directory)."""
    root = os.environ.get("STEPLINE_BENCH_PEERS") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "stepline-bench"
    )
    return Path(root) / f"ministack-{MINISTACK_VERSION}"


def ministack_command(executable: str | None = None) -> list[str]:
    """The ``ministack`` executable given, or the one of its virtual environment, which is
    made (``python -m venv``, then ``pip install ministack==VERSION``) if it is not there."""
    if executable is not None:
        return [executable]
    venv = ministack_venv()
    program = venv / "bin" / "ministack"
    if not program.exists():
        progress(f"ministack: installing ministack=={MINISTACK_VERSION} into {venv} (once)")
        started = time.perf_counter()
        commands = [
            [sys.executable, "-m", "venv", "--clear", str(venv)],
            [
                str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                "--disable-pip-version-check", f"ministack=={MINISTACK_VERSION}",
            ],
        ]  # fmt: skip
        for command in commands:
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise RuntimeError(
                    f"ministack: {' '.join(command)} failed ({done.returncode}):\n"
                    f"{done.stdout}{done.stderr}"
                )
        progress(f"ministack: installed in {time.perf_counter() - started:.1f} s")
    return [str(program)]


def start_ministack(directory: Path, executable: str | None = None) -> RunningServer:
    """ministack on a free port (Step Functions is on by default), nothing persisted."""
    port = free_port()
    env = {"GATEWAY_PORT": str(port), "BIND_HOST": HOST, "PERSIST_STATE": "0"}
    server = _launch("ministack", ministack_command(executable), directory, port, env)
    _wait_until_ready(server, "/_ministack/health")
    return server


@contextlib.contextmanager
def temporary_directory() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="stepline-bench-server-") as name:
        yield Path(name)
