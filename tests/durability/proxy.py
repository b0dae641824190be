"""A TCP proxy in front of PostgreSQL that can lose the answer to a COMMIT.

The server has committed the transaction, the client never hears so: its connection breaks
while it waits for the answer (as when the network, or the client's host, fails at that
moment). A durable engine must take such a commit as *maybe* done, never as not done.

``lose_commits(n, larger_than=b)`` arms it: the next ``n`` answers ``COMMIT`` (the protocol's
CommandComplete message with the tag ``COMMIT``) to transactions for which the client sent
more than ``b`` bytes are dropped, and their connections closed both ways. (A step that writes
events, checkpoints and tasks sends far more than a claim or a heartbeat does.)
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass, field

COMMIT_COMPLETE = b"C\x00\x00\x00\x0bCOMMIT\x00"
IDLE = b"Z\x00\x00\x00\x05I"
"""ReadyForQuery, not in a transaction: what the server says after a COMMIT (and between
statements outside transactions)."""


@dataclass
class _Link:
    """One client's connection through the proxy."""

    client: socket.socket
    server: socket.socket
    sent: int = 0
    """Bytes the client sent since the server was last idle (the transaction's size)."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def close(self) -> None:
        for each in (self.client, self.server):
            with contextlib.suppress(OSError):
                each.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                each.close()


class LossyProxy:
    def __init__(self, upstream_port: int, *, host: str = "127.0.0.1") -> None:
        self.upstream = (host, upstream_port)
        self.listener = socket.create_server((host, 0))
        self.listener.settimeout(0.2)
        self.port = int(self.listener.getsockname()[1])
        self._lock = threading.Lock()
        self._to_lose = 0
        self._larger_than = 0
        self.lost: list[int] = []
        """The size of each transaction whose COMMIT answer was lost."""
        self._closing = threading.Event()
        self._open: dict[int, _Link] = {}
        self._thread = threading.Thread(target=self._accept, name="lossy-proxy", daemon=True)
        self._thread.start()

    def url(self, database: str) -> str:
        return f"postgresql://postgres@{self.upstream[0]}:{self.port}/{database}"

    def lose_commits(self, count: int, *, larger_than: int = 0) -> None:
        with self._lock:
            self._to_lose += count
            self._larger_than = larger_than

    @property
    def armed(self) -> int:
        """How many COMMIT answers it will still lose."""
        return self._to_lose

    def close(self) -> None:
        self._closing.set()
        self._thread.join(timeout=5)
        self.listener.close()
        with self._lock:
            links = list(self._open.values())
        for link in links:
            link.close()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            client.settimeout(None)
            link = _Link(client, server)
            with self._lock:
                self._open[id(link)] = link
            for target in (self._from_client, self._from_server):
                threading.Thread(target=target, args=(link,), daemon=True).start()

    def _from_client(self, link: _Link) -> None:
        try:
            while chunk := link.client.recv(65536):
                with link.lock:
                    link.sent += len(chunk)
                link.server.sendall(chunk)
        except OSError:
            pass
        finally:
            self._end(link)

    def _from_server(self, link: _Link) -> None:
        tail = b""
        try:
            while chunk := link.server.recv(65536):
                seen = tail + chunk
                if COMMIT_COMPLETE in seen and self._lose(link):
                    break  # the answer is dropped: both ends see the connection break
                if IDLE in seen:  # before the client hears it and sends more
                    with link.lock:
                        link.sent = 0
                link.client.sendall(chunk)
                tail = chunk[-len(COMMIT_COMPLETE) :]
        except OSError:
            pass
        finally:
            self._end(link)

    def _lose(self, link: _Link) -> bool:
        with self._lock, link.lock:
            if self._to_lose <= 0 or link.sent <= self._larger_than:
                return False
            self._to_lose -= 1
            self.lost.append(link.sent)
            return True

    def _end(self, link: _Link) -> None:
        link.close()
        with self._lock:
            self._open.pop(id(link), None)
