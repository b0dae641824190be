"""Express executions of a 5-state workflow (``express5``) with the engine's loop in its
thread, on SQLite (``synchronous=NORMAL``).

- sync: ``threads`` client threads call ``start_sync_execution`` back to back, each checking
  the result it gets.
- async: one client thread calls ``start_execution`` for every execution, then ``wait``s for
  each (DescribeExecution's fields) and checks it. The rate runs from the first start to the
  last ending seen.
"""

from __future__ import annotations

import concurrent.futures
import json
import sys
import time
from dataclasses import dataclass

from bench import OutputMismatchError
from bench.engine_machines import EXPRESS5
from bench.engine_stores import SQLITE_NORMAL, fresh_store
from stepline.engine import Engine

WAIT_SECONDS = 60.0
WARMUP_EXECUTIONS = 20


@dataclass(frozen=True, slots=True)
class ExpressResult:
    executions: int
    threads: int
    sync_s: float
    async_s: float
    async_start_s: float
    """Of ``async_s``, the seconds the ``start_execution`` calls took."""

    @property
    def sync_per_s(self) -> float:
        return self.executions / self.sync_s

    @property
    def async_per_s(self) -> float:
        return self.executions / self.async_s

    def describe(self) -> str:
        return (
            f"express: sync {self.executions} executions from {self.threads} threads in "
            f"{self.sync_s:.3f} s; async {self.executions} in {self.async_s:.3f} s (starting "
            f"them: {self.async_start_s:.3f} s, {self.executions / self.async_start_s:.0f}/s)"
        )


def _check(arn: str, status: str, output_text: str | None) -> None:
    output = None if output_text is None else json.loads(output_text)
    if status != "SUCCEEDED" or output != EXPRESS5.expected_output:
        raise OutputMismatchError(f"express5: {arn} ended {status} with {output_text}")


def _run_sync(engine: Engine, machine: str, count: int) -> None:
    for _ in range(count):
        result = engine.start_sync_execution(machine, EXPRESS5.input_text, timeout=WAIT_SECONDS)
        _check(result.execution_arn, result.status, result.output)


def _run_async(engine: Engine, machine: str, count: int) -> float:
    """Start ``count`` executions, then wait for each; the seconds the starts took."""
    started = time.perf_counter()
    arns = [engine.start_execution(machine, EXPRESS5.input_text) for _ in range(count)]
    start_s = time.perf_counter() - started
    for arn in arns:
        described = engine.wait(arn, timeout=WAIT_SECONDS)
        _check(arn, described["status"], described.get("output"))
    return start_s


def run_express(executions: int, threads: int) -> ExpressResult:
    """Both modes on one engine, each after a short warm-up."""
    with fresh_store(SQLITE_NORMAL) as store:
        engine = Engine(store).start()
        try:
            machine = engine.register_state_machine(
                "bench-express5", EXPRESS5.definition, type="EXPRESS"
            )
            _run_sync(engine, machine, WARMUP_EXECUTIONS)
            share = executions // threads
            executions = share * threads
            with concurrent.futures.ThreadPoolExecutor(threads) as pool:
                started = time.perf_counter()
                clients = [pool.submit(_run_sync, engine, machine, share) for _ in range(threads)]
                for client in clients:
                    client.result()
                sync_s = time.perf_counter() - started
            print(f"express: sync {executions} in {sync_s:.3f} s", file=sys.stderr, flush=True)
            _run_async(engine, machine, WARMUP_EXECUTIONS)
            started = time.perf_counter()
            async_start_s = _run_async(engine, machine, executions)
            async_s = time.perf_counter() - started
        finally:
            engine.close()
    result = ExpressResult(executions, threads, sync_s, async_s, async_start_s)
    print(result.describe(), file=sys.stderr, flush=True)
    return result
