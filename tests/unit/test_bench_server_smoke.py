"""The server benchmark runs end to end in its quick form (Stepline's server, moto's and
ministack's, each a process of its own) and prints its summary lines; its light client reads
the answers every server gives; wrong outputs are caught.

No timing is asserted here: the figures depend on the machine and whatever else runs on it.
ministack is installed into a virtual environment of its own on first use (about 15 s once).
"""

from __future__ import annotations

import dataclasses
import re
import socket
import threading
from collections.abc import Iterator

import pytest
from bench import OutputMismatchError, load_workload
from bench.server import main
from bench.server_client import AwsClient, HttpConnection, ServerError
from bench.server_processes import RunningServer, start_stepline
from bench.server_workloads import percentile, run_concurrency, run_start_latency

NUMBER = r"\d+(\.\d+)?"
SUMMARY_LINES = [
    rf"server workload=concurrency stepline={NUMBER} moto={NUMBER} ratio={NUMBER}",
    rf"server workload=concurrency stepline={NUMBER} ministack={NUMBER} ratio={NUMBER}",
    rf"server workload=start_latency stepline_ms={NUMBER} moto_ms={NUMBER}",
    rf"server workload=start_latency stepline_ms={NUMBER} ministack_ms={NUMBER}",
    rf"invoke requests_per_s={NUMBER} p50_ms={NUMBER} p99_ms={NUMBER}",
    rf"server memory server=stepline rss_mb={NUMBER} peak_rss_mb={NUMBER}",
    rf"server memory server=moto rss_mb={NUMBER} peak_rss_mb={NUMBER}",
    rf"server memory server=ministack rss_mb={NUMBER} peak_rss_mb={NUMBER}",
]


def test_quick_run_prints_every_summary_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quick"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == len(SUMMARY_LINES), captured.out
    for line, pattern in zip(lines, SUMMARY_LINES, strict=True):
        assert re.fullmatch(pattern, line), (line, pattern)
    for name in ("stepline", "moto", "ministack"):
        assert f"concurrency round 1/1 {name}: 40 executions" in captured.err
        assert f"start_latency round 1/1 {name}: 10 executions" in captured.err
    assert "the client used" in captured.err
    assert "the target of under 2 ms is" in captured.err


@pytest.fixture(scope="module")
def stepline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_stepline(tmp_path_factory.mktemp("bench-server"))
    try:
        yield server
    finally:
        server.stop()


def test_wrong_outputs_are_caught(stepline: RunningServer) -> None:
    wrong = dataclasses.replace(load_workload("concurrency"), expected_output={"n": 11})
    with pytest.raises(OutputMismatchError, match=r"concurrency: .*:c-\d+ returned"):
        run_concurrency(stepline, wrong, "wrong-c", executions=3, threads=2, poll_interval_s=0.01)
    wrong = dataclasses.replace(load_workload("start_latency"), expected_output={"hello": 1})
    with pytest.raises(OutputMismatchError, match=r"start_latency: .*:l-0 returned"):
        run_start_latency(stepline, wrong, "wrong-l", executions=2, poll_interval_s=0.001)


def test_a_failed_execution_is_caught(stepline: RunningServer) -> None:
    failing = dataclasses.replace(
        load_workload("start_latency"),
        definition={"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}},
    )
    with pytest.raises(OutputMismatchError, match="ended FAILED"):
        run_start_latency(stepline, failing, "failing", executions=1, poll_interval_s=0.001)


def test_an_error_answer_raises_with_the_servers_words(stepline: RunningServer) -> None:
    client = AwsClient(stepline.endpoint)
    try:
        with pytest.raises(ServerError, match=r"HTTP 400.*StateMachineDoesNotExist"):
            client.call(
                "StartExecution",
                stateMachineArn="arn:aws:states:us-east-1:123456789012:stateMachine:none",
            )
        assert client.call("ListStateMachines")["stateMachines"] is not None  # still usable
    finally:
        client.close()


def _serve_once(answers: list[bytes]) -> tuple[int, threading.Thread]:
    """A server on a free port answering one connection's requests with ``answers``, in turn,
    then closing it."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = int(listener.getsockname()[1])

    def serve() -> None:
        with listener:
            connection, _ = listener.accept()
            with connection, connection.makefile("rb") as reader:
                for answer in answers:
                    while reader.readline() not in (b"\r\n", b""):
                        pass
                    connection.sendall(answer)

    thread = threading.Thread(target=serve)
    thread.start()
    return port, thread


def test_the_light_client_reads_lengths_chunks_and_closes() -> None:
    port, thread = _serve_once(
        [
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
            b"HTTP/1.1 500 Oops\r\nConnection: close\r\n\r\nbye",
        ]
    )
    connection = HttpConnection("127.0.0.1", port)
    request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    try:
        assert connection.exchange(request) == (200, b"hello")
        assert connection.exchange(request) == (201, b"abcde")
        assert connection.exchange(request) == (500, b"bye")
    finally:
        connection.close()
        thread.join(timeout=10)


def test_a_connection_closed_while_idle_is_reopened_once() -> None:
    port, thread = _serve_once([b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"])
    connection = HttpConnection("127.0.0.1", port)
    request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    try:
        assert connection.exchange(request) == (200, b"ok")
        thread.join(timeout=10)  # the server closed it; nothing listens any more
        with pytest.raises(ConnectionRefusedError):
            connection.exchange(request)
    finally:
        connection.close()


def test_percentile_is_the_nearest_rank() -> None:
    values = [float(value) for value in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([3.0], 99) == 3.0
    assert percentile([1.0, 2.0], 99) == 2.0
