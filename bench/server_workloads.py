"""The server benchmark's three measurements, each against one running server through the
light client (``bench.server_client``); every execution's output is checked.

- :func:`run_concurrency`: the shared ``concurrency`` workload (a 10-state Standard workflow):
  its executions started back to back from a few client threads, then ListExecutions
  (``statusFilter=RUNNING``, ``maxResults=1``) polled until none runs; the rate runs from the
  first start to the poll that sees none. The StartExecution requests are signed before the
  clock starts (the signer is the client's work, not the server's). Afterwards, outside the
  clock, ListExecutions must list every execution SUCCEEDED and DescribeExecution give each
  one's output.
- :func:`run_start_latency`: the shared ``start_latency`` workload (one Pass state), one
  execution at a time: StartExecution, then DescribeExecution at once and every
  ``poll_interval_s`` until it is no longer RUNNING; the latency runs from sending the start
  to the answer that shows it ended. Both requests are signed before the clock starts (the
  DescribeExecution for the ARN AWS's form gives the execution; signed again on the clock if
  the server answers another).
- :func:`run_invoke`: ``POST /invoke/<name>`` on a 3-state Express workflow (:data:`INVOKE3`)
  from many client threads, each with its own keep-alive connection, back to back for a
  warm-up and then a measured window.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from bench import OutputMismatchError, Workload
from bench.server_client import ROLE_ARN, AwsClient, Endpoint, InvokeClient
from bench.server_processes import RunningServer

INVOKE3: dict[str, Any] = {
    "Comment": "invoke3: Pass, Choice, Pass (an Express workflow behind POST /invoke)",
    "StartAt": "Count",
    "States": {
        "Count": {
            "Type": "Pass",
            "Parameters": {"order.$": "$.order", "count.$": "States.ArrayLength($.items)"},
            "Next": "Check",
        },
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.count", "NumericGreaterThan": 0, "Next": "Accept"}],
        },
        "Accept": {"Type": "Pass", "Result": "accepted", "ResultPath": "$.status", "End": True},
    },
}
"""Input ``{"order": N, "items": [1, 2, 3]}``; output ``{"order": N, "count": 3, "status":
"accepted"}``."""


def invoke3_input(order: int) -> bytes:
    return b'{"order": %d, "items": [1, 2, 3]}' % order


def invoke3_output(order: int) -> dict[str, Any]:
    return {"order": order, "count": 3, "status": "accepted"}


@dataclass(frozen=True, slots=True)
class Usage:
    """CPU seconds the client (this process) and the server used over a measured window."""

    wall_s: float
    client_cpu_s: float
    server_cpu_s: float

    def describe(self) -> str:
        return (
            f"client CPU {self.client_cpu_s:.2f} s ({100 * self.client_cpu_s / self.wall_s:.0f}% "
            f"of a core), server CPU {self.server_cpu_s:.2f} s "
            f"({100 * self.server_cpu_s / self.wall_s:.0f}% of a core) in {self.wall_s:.2f} s"
        )


class _Meter:
    """Reads the client's and the server's CPU time at the start and end of a window."""

    def __init__(self, server: RunningServer) -> None:
        self._server = server
        self._wall = time.perf_counter()
        self._client = time.process_time()
        self._server_cpu = server.cpu_s()

    def usage(self) -> Usage:
        return Usage(
            time.perf_counter() - self._wall,
            time.process_time() - self._client,
            self._server.cpu_s() - self._server_cpu,
        )


def _in_threads(count: int, work: Callable[[int], None]) -> None:
    """Run ``work(index)`` on ``count`` threads; raise the first error any of them raised."""
    errors: list[BaseException] = []

    def guarded(index: int) -> None:
        try:
            work(index)
        except BaseException as error:
            errors.append(error)

    threads = [
        threading.Thread(target=guarded, args=(index,), name=f"bench-client-{index}")
        for index in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def check_output(workload: Workload, described: dict[str, Any]) -> None:
    """DescribeExecution's answer must be SUCCEEDED with the workload's expected output."""
    status, output_text = described.get("status"), described.get("output")
    arn = described.get("executionArn")
    if status != "SUCCEEDED":
        raise OutputMismatchError(f"{workload.name}: {arn} ended {status}")
    output = None if output_text is None else json.loads(output_text)
    if output != workload.expected_output:
        raise OutputMismatchError(f"{workload.name}: {arn} returned {output_text}")


def create_state_machine(
    endpoint: Endpoint, name: str, definition: dict[str, Any], kind: str = "STANDARD"
) -> str:
    client = AwsClient(endpoint)
    try:
        created = client.call(
            "CreateStateMachine",
            name=name,
            definition=json.dumps(definition),
            roleArn=ROLE_ARN,
            type=kind,
        )
    finally:
        client.close()
    return str(created["stateMachineArn"])


@dataclass(frozen=True, slots=True)
class ConcurrencyResult:
    executions: int
    elapsed_s: float
    starts_s: float
    """Of ``elapsed_s``, how long the StartExecution calls took (all threads done)."""
    polls: int
    usage: Usage

    @property
    def per_s(self) -> float:
        return self.executions / self.elapsed_s

    def describe(self) -> str:
        return (
            f"{self.executions} executions in {self.elapsed_s:.3f} s ({self.per_s:.1f}/s; "
            f"starts took {self.starts_s:.3f} s, {self.polls} polls); {self.usage.describe()}"
        )


def run_concurrency(
    server: RunningServer,
    workload: Workload,
    machine_name: str,
    *,
    executions: int,
    threads: int,
    poll_interval_s: float,
) -> ConcurrencyResult:
    """Start ``executions`` back to back from ``threads`` threads; time until none runs."""
    endpoint = server.endpoint
    machine = create_state_machine(endpoint, machine_name, workload.definition)
    clients = [AwsClient(endpoint) for _ in range(threads)]
    input_text = workload.input_text
    requests = [
        clients[index % threads].prepare(
            "StartExecution",
            {"stateMachineArn": machine, "name": f"c-{index}", "input": input_text},
        )
        for index in range(executions)
    ]
    arns: list[str] = []
    poller = AwsClient(endpoint)
    poll = poller.prepare(
        "ListExecutions", {"stateMachineArn": machine, "statusFilter": "RUNNING", "maxResults": 1}
    )
    ready = threading.Barrier(threads + 1)

    def start(index: int) -> None:
        client = clients[index]
        mine = requests[index::threads]
        ready.wait()
        arns.extend(client.send("StartExecution", request)["executionArn"] for request in mine)

    runner = threading.Thread(target=_in_threads, args=(threads, start))
    try:
        runner.start()
        ready.wait()
        meter = _Meter(server)
        started = time.perf_counter()
        runner.join()
        starts_s = time.perf_counter() - started
        polls = 0
        while True:
            polls += 1
            if not poller.send("ListExecutions", poll)["executions"]:
                break
            time.sleep(poll_interval_s)
        elapsed = time.perf_counter() - started
        usage = meter.usage()
    finally:
        runner.join()
        for client in [*clients, poller]:
            client.close()
    if len(arns) != executions:
        raise OutputMismatchError(f"{workload.name}: {len(arns)} of {executions} started")
    verify_all_succeeded(endpoint, workload, machine, arns, threads)
    return ConcurrencyResult(executions, elapsed, starts_s, polls, usage)


def verify_all_succeeded(
    endpoint: Endpoint, workload: Workload, machine: str, arns: list[str], threads: int
) -> None:
    """ListExecutions lists every one SUCCEEDED; DescribeExecution gives the expected output."""
    client = AwsClient(endpoint)
    listed: set[str] = set()
    token: str | None = None
    try:
        while True:
            parameters: dict[str, Any] = {
                "stateMachineArn": machine,
                "statusFilter": "SUCCEEDED",
                "maxResults": 1000,
            }
            if token:
                parameters["nextToken"] = token
            page = client.call("ListExecutions", **parameters)
            listed.update(execution["executionArn"] for execution in page["executions"])
            token = page.get("nextToken")
            if not token:
                break
    finally:
        client.close()
    missing = set(arns) - listed
    if missing:
        example = sorted(missing)[0]
        message = f"{workload.name}: {len(missing)} not listed SUCCEEDED, e.g. {example}"
        raise OutputMismatchError(message)

    def describe(index: int) -> None:
        reader = AwsClient(endpoint)
        try:
            for arn in arns[index::threads]:
                check_output(workload, reader.call("DescribeExecution", executionArn=arn))
        finally:
            reader.close()

    _in_threads(threads, describe)


@dataclass(frozen=True, slots=True)
class LatencyResult:
    latencies_ms: list[float]
    describes: int
    usage: Usage

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies_ms, 99)

    def describe(self) -> str:
        count = len(self.latencies_ms)
        return (
            f"{count} executions: median {self.median_ms:.2f} ms, p99 {self.p99_ms:.2f} ms, "
            f"max {max(self.latencies_ms):.2f} ms, {self.describes / count:.2f} "
            f"DescribeExecution each; {self.usage.describe()}"
        )


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0..100) of ``values``."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 100))
    return ordered[int(rank) - 1]


def execution_arn(machine_arn: str, name: str) -> str:
    """The ARN AWS gives the execution ``name`` of a state machine (``…:stateMachine:M`` →
    ``…:execution:M:name``)."""
    return f"{machine_arn.replace(':stateMachine:', ':execution:', 1)}:{name}"


def run_start_latency(
    server: RunningServer,
    workload: Workload,
    machine_name: str,
    *,
    executions: int,
    poll_interval_s: float,
) -> LatencyResult:
    """One execution at a time: StartExecution, then DescribeExecution until it ended."""
    machine = create_state_machine(server.endpoint, machine_name, workload.definition)
    client = AwsClient(server.endpoint)
    input_text = workload.input_text
    latencies: list[float] = []
    describes = 0
    try:
        meter = _Meter(server)
        for index in range(executions):
            name = f"l-{index}"
            request = client.prepare(
                "StartExecution", {"stateMachineArn": machine, "name": name, "input": input_text}
            )
            expected_arn = execution_arn(machine, name)
            describe = client.prepare("DescribeExecution", {"executionArn": expected_arn})
            started = time.perf_counter()
            arn = client.send("StartExecution", request)["executionArn"]
            if arn != expected_arn:  # not AWS's form: sign the request now, on the clock
                describe = client.prepare("DescribeExecution", {"executionArn": arn})
            while True:
                describes += 1
                described = client.send("DescribeExecution", describe)
                if described["status"] != "RUNNING":
                    break
                time.sleep(poll_interval_s)
            latencies.append((time.perf_counter() - started) * 1000)
            check_output(workload, described)
        usage = meter.usage()
    finally:
        client.close()
    return LatencyResult(latencies, describes, usage)


@dataclass(frozen=True, slots=True)
class InvokeResult:
    clients: int
    requests: int
    latencies_ms: list[float]
    usage: Usage

    @property
    def per_s(self) -> float:
        return self.requests / self.usage.wall_s

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies_ms, 99)

    def describe(self) -> str:
        return (
            f"{self.requests} requests from {self.clients} clients: {self.per_s:.1f}/s, p50 "
            f"{self.p50_ms:.2f} ms, p99 {self.p99_ms:.2f} ms, max {max(self.latencies_ms):.2f} "
            f"ms; {self.usage.describe()}"
        )


def run_invoke(
    server: RunningServer, name: str, *, clients: int, warmup_s: float, measure_s: float
) -> InvokeResult:
    """``clients`` threads POST to ``/invoke/<name>`` back to back; the answers that arrive
    inside the window after the warm-up are counted (and their latencies kept), every answer
    is checked."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    ready = threading.Barrier(clients + 1)
    window: list[float] = []

    def work(index: int) -> None:
        client = InvokeClient(server.endpoint, name)
        mine = latencies[index]
        order = index * 1_000_000
        try:
            ready.wait()
            opens, closes = window
            while True:
                order += 1
                sent = time.perf_counter()
                if sent >= closes:
                    return
                status, body = client.invoke(invoke3_input(order))
                answered = time.perf_counter()
                if status != 200 or orjson.loads(body) != invoke3_output(order):
                    message = f"invoke: HTTP {status} for order {order}: {body[:300]!r}"
                    raise OutputMismatchError(message)
                if opens <= answered < closes:
                    mine.append((answered - sent) * 1000)
        finally:
            client.close()

    runner = threading.Thread(target=_in_threads, args=(clients, work))
    runner.start()
    now = time.perf_counter()
    window += [now + warmup_s, now + warmup_s + measure_s]
    ready.wait()
    time.sleep(max(0.0, window[0] - time.perf_counter()))
    meter = _Meter(server)
    time.sleep(max(0.0, window[1] - time.perf_counter()))
    usage = meter.usage()
    runner.join()
    merged = [latency for own in latencies for latency in own]
    if not merged:
        raise OutputMismatchError("invoke: no request ended inside the measured window")
    return InvokeResult(clients, len(merged), merged, usage)
