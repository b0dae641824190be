"""A real Stepline server for end-to-end tests: ``stepline serve`` in a process of its own, on
a free port, with a data directory (or a database) of its own."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from botocore.exceptions import ClientError, HTTPClientError

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/stepline-tests"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A running ``stepline serve``: its URL, process and log file."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path
    arguments: list[str]

    def client(self, **config: Any) -> Any:
        """A boto3 Step Functions client for this server (no host prefix: ``sync-`` would
        not resolve on localhost)."""
        import boto3  # noqa: PLC0415
        from botocore.config import Config  # noqa: PLC0415

        return boto3.client(
            "stepfunctions",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id="stepline",
            aws_secret_access_key="stepline",
            config=Config(
                inject_host_prefix=False,
                retries=config.pop("retries", {"max_attempts": 1}),
                **config,
            ),
        )

    def logs(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL, as a crash."""
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> int:
        """SIGTERM, as a service manager stops it; its exit status."""
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


def start_server(
    directory: Path,
    *arguments: str,
    port: int | None = None,
    environment: dict[str, str] | None = None,
) -> Server:
    """Start ``stepline serve`` with ``arguments``; returns once it answers /health."""
    port = port or free_port()
    log = directory / f"server-{port}.log"
    command = [
        sys.executable, "-m", "stepline.cli.main", "serve",
        "--port", str(port), "--data-dir", str(directory), *arguments,
    ]  # fmt: skip
    env = {**os.environ, **(environment or {})}
    with log.open("ab") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
    server = Server(f"http://127.0.0.1:{port}", process, log, command)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"stepline serve exited with {process.returncode}:\n{server.logs()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                return server
        time.sleep(0.05)
    server.kill()
    raise RuntimeError(f"stepline serve did not answer in 30 s:\n{server.logs()}")


@contextlib.contextmanager
def running_server(directory: Path, *arguments: str, **options: Any) -> Iterator[Server]:
    server = start_server(directory, *arguments, **options)
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.stop()


def retrying(call: Any, *arguments: Any, **keywords: Any) -> Any:
    """A boto3 call that goes on through the server's restarts: a refused or broken
    connection, or a 500, is tried again for up to a minute."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return call(*arguments, **keywords)
        except (HTTPClientError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
        except ClientError as error:
            if error.response["Error"]["Code"] != "InternalFailure" or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
