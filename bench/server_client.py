"""The server benchmark's light client: HTTP/1.1 over keep-alive sockets, and AWS's JSON 1.0
protocol on top, each request signed with botocore's SigV4 signer.

boto3 spends about 1.5 ms of CPU per call on these machines, enough to cap any server near 350
executions/s from one loop. This client sends the same requests (``POST /``,
``X-Amz-Target: AWSStepFunctions.<Action>``, ``application/x-amz-json-1.0``, a SigV4
``Authorization`` header from ``botocore.auth.SigV4Auth``) for much less: signing is about
0.15 ms of botocore's work, the HTTP exchange about 0.03 ms (``http.client`` takes 0.15 ms). One
:class:`HttpConnection` serves one thread at a time; threads each open their own.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

import orjson
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/stepline-bench"
ACCESS_KEY = "stepline-bench"
SECRET_KEY = "stepline-bench"
CONTENT_TYPE = "application/x-amz-json-1.0"
TARGET_PREFIX = "AWSStepFunctions."
TIMEOUT_S = 120.0


class ServerError(Exception):
    """A server answered a request with an error (any status but 200)."""

    def __init__(self, what: str, status: int, body: bytes) -> None:
        super().__init__(f"{what}: HTTP {status}: {body[:500].decode(errors='replace')}")
        self.status = status
        self.body = body


class HttpConnection:
    """One keep-alive HTTP/1.1 connection: requests written in one ``send``, answers read by
    ``Content-Length`` (or chunks, or until the server closes). Reopened when the server closed
    it; a request whose reused connection turns out closed before any answer is sent again
    once, on a new connection (a server closes idle connections: uvicorn after 5 s)."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._socket: socket.socket | None = None
        self._reader: Any = None

    def _open(self) -> None:
        connection = socket.create_connection((self.host, self.port), timeout=TIMEOUT_S)
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket = connection
        self._reader = connection.makefile("rb")

    def close(self) -> None:
        if self._socket is not None:
            self._reader.close()
            self._socket.close()
            self._socket = None
            self._reader = None

    def exchange(self, request: bytes) -> tuple[int, bytes]:
        """Send one whole request (head and body); the answer's status and body."""
        reused = self._socket is not None
        if not reused:
            self._open()
        try:
            return self._exchange(request)
        except ConnectionClosedError:
            self.close()
            if not reused:
                raise
        self._open()
        return self._exchange(request)

    def _exchange(self, request: bytes) -> tuple[int, bytes]:
        assert self._socket is not None
        try:
            self._socket.sendall(request)
            status_line = self._reader.readline()
        except (BrokenPipeError, ConnectionResetError) as error:
            raise ConnectionClosedError(str(error)) from error
        if not status_line:
            raise ConnectionClosedError("the server closed the connection")
        reader = self._reader
        version, status_text = status_line.split(None, 2)[:2]
        length = -1
        chunked = False
        close = version == b"HTTP/1.0"
        while True:
            line = reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                close = b"close" in value.lower()
        if chunked:
            body = self._read_chunks()
        elif length >= 0:
            body = reader.read(length)
        else:
            body = reader.read()
            close = True
        if close:
            self.close()
        return int(status_text), body

    def _read_chunks(self) -> bytes:
        parts: list[bytes] = []
        reader = self._reader
        while True:
            size = int(reader.readline().split(b";")[0], 16)
            if size == 0:
                while reader.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            parts.append(reader.read(size))
            reader.readline()


class ConnectionClosedError(ConnectionError):
    """The server closed the connection before answering."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a server listens."""

    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


class AwsClient:
    """Step Functions' JSON protocol over one :class:`HttpConnection`, each request signed with
    botocore's ``SigV4Auth`` (static credentials; the same requests go to every server)."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._connection = HttpConnection(endpoint.host, endpoint.port)
        self._signer = SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "states", REGION)
        self._url = f"{endpoint.url}/"
        self._host = f"Host: {endpoint.host}:{endpoint.port}\r\n".encode()

    def close(self) -> None:
        self._connection.close()

    def prepare(self, action: str, parameters: dict[str, Any]) -> bytes:
        """The signed request, ready to send (its signature holds for five minutes)."""
        body = orjson.dumps(parameters)
        request = AWSRequest(
            method="POST",
            url=self._url,
            data=body,
            headers={"Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET_PREFIX + action},
        )
        self._signer.add_auth(request)
        head = "".join(f"{name}: {value}\r\n" for name, value in request.headers.items())
        return b"".join(
            (
                b"POST / HTTP/1.1\r\n",
                self._host,
                head.encode(),
                b"Content-Length: %d\r\n\r\n" % len(body),
                body,
            )
        )

    def send(self, action: str, request: bytes) -> dict[str, Any]:
        """Send a prepared request; its answer, or :class:`ServerError`."""
        status, body = self._connection.exchange(request)
        if status != 200:
            raise ServerError(action, status, body)
        answer: dict[str, Any] = orjson.loads(body) if body.strip() else {}
        return answer

    def call(self, action: str, **parameters: Any) -> dict[str, Any]:
        return self.send(action, self.prepare(action, parameters))


class InvokeClient:
    """``POST /invoke/<name>``: plain HTTP (no signature), the body the input."""

    def __init__(self, endpoint: Endpoint, name: str) -> None:
        self._connection = HttpConnection(endpoint.host, endpoint.port)
        self._head = (
            f"POST /invoke/{name} HTTP/1.1\r\nHost: {endpoint.host}:{endpoint.port}\r\n"
            "Content-Type: application/json\r\n"
        ).encode()

    def close(self) -> None:
        self._connection.close()

    def invoke(self, body: bytes) -> tuple[int, bytes]:
        request = b"%sContent-Length: %d\r\n\r\n%s" % (self._head, len(body), body)
        return self._connection.exchange(request)
