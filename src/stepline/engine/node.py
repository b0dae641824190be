"""One node of the engine: its loop (in a thread of its own, or stepped on a fake clock),
its workers, its Express runs, its lease, and how it joins and leaves the store.

``Engine`` (``engine.py``) is the API on top: what callers ask of executions.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import IO, Any, Self

from stepline.asl.jsontext import loads
from stepline.engine import errors
from stepline.engine.express import ExpressRun, ExpressRunner
from stepline.engine.loop import EXPRESS_LIMIT_SECONDS, Loop
from stepline.engine.workers import Workers
from stepline.runtime import Clock, FunctionRegistry, Plan, SystemClock
from stepline.runtime.checkpoint import resume as resume_run
from stepline.runtime.effects import Dispatch, Signal
from stepline.store import Claim, SqlStore, StepWrite, StoreError, open_store

log = logging.getLogger("stepline.engine")

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"


class Node:
    """The moving part of an engine (see ``Engine`` for the options)."""

    def __init__(
        self,
        store: SqlStore | str,
        *,
        functions: FunctionRegistry | None = None,
        clock: Clock | None = None,
        node: str | None = None,
        region: str = DEFAULT_REGION,
        account: str = DEFAULT_ACCOUNT,
        cache_size: int = 10_000,
        batch_size: int = 256,
        workers: int = 16,
        lease_seconds: float = 5.0,
        poll_seconds: float = 1.0,
        express_history_seconds: float = 86_400.0,
        role_arn: str | None = None,
    ) -> None:
        self.node = node or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        if isinstance(store, str):
            postgres = store.startswith(("postgresql://", "postgres://"))
            named: dict[str, Any] = {"application_name": self.node} if postgres else {}
            self.store = open_store(store, **named)
        else:
            self.store = store
        self.clock: Clock = clock or SystemClock()
        self._skips_idle_time = bool(getattr(self.clock, "skips_idle_time", False))
        self.functions = functions or FunctionRegistry()
        self.region, self.account = region, account
        self.role_arn = role_arn
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.workers = Workers(self.functions, self._post, self.clock, workers)
        self.loop = Loop(
            self.store,
            self.node,
            self._submit_standard,
            functions=self.functions,
            cache_size=cache_size,
            batch_size=batch_size,
        )
        self.loop.ended = self._ended
        self.loop.claimed_express = self._claimed_express
        self.loop.timers_set = self.nudge
        self._sync_starts: list[ExpressRun] = []
        self._express_writes: list[StepWrite] = []
        self._sync_endings: list[tuple[ExpressRun, StepWrite]] = []
        self._sync_lock = threading.Lock()
        self.express = ExpressRunner(self._submit_express, express_history_seconds)
        self._express_rows: dict[int, tuple[ExpressRun, int, int]] = {}
        self._endings = threading.Condition()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._maintained_at = 0.0
        self._poll_at = 0.0
        self._nudged = False
        """Claim at the next step (``nudge``): a flag of its own, so that a step cannot
        overwrite it when it sets ``_poll_at`` from what it read before the nudge."""
        self._lock_file: IO[str] | None = None
        self._join()

    # Joining and leaving ---------------------------------------------------------------------

    def _join(self) -> None:
        wall = time.time()
        single = self.store.dialect == "sqlite"
        if single:
            self._lock_file = _lock_single_node(getattr(self.store, "path", ":memory:"))
        # Whatever an earlier process under this name owned (on SQLite, whatever any earlier
        # process owned: one node serves the file) is recovered, as a dead node's is.
        self.store.release_node(self.node, self._now(), everyone=single)
        self.store.heartbeat(self.node, wall, self.lease_seconds)
        self._maintained_at = wall
        if not single:
            self.store.release_dead(wall, except_node=self.node, due=self._now())

    def close(self) -> None:
        """Stop the loop, give up this node's executions (others take them over) and close."""
        self._stopping.set()
        self.loop.wake.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self.workers.close()
        with contextlib.suppress(StoreError):
            self.store.leave(self.node, self._now())
        self.store.close()
        if self._lock_file is not None:
            self._lock_file.close()

    # The loop -----------------------------------------------------------------------------

    def start(self) -> Self:
        """Run the loop in a thread of its own (and, on PostgreSQL, listen for other nodes)."""
        if not self._threads:
            loop = threading.Thread(target=self._serve, name="stepline-engine", daemon=True)
            self._threads.append(loop)
            listen = getattr(self.store, "listen", None)
            if listen is not None:
                listener = threading.Thread(
                    target=listen,
                    args=(_Nudger(self), self._stopping),
                    name="stepline-listen",
                    daemon=True,
                )
                self._threads.append(listener)
            for thread in self._threads:
                thread.start()
        return self

    def _serve(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                moved = self.step()
                failures = 0
            except StoreError as error:
                failures += 1
                log.warning("store unavailable (%s); retrying", error)
                self._stopping.wait(min(0.1 * 2**failures, 2.0))
                continue
            except Exception:  # a fault of ours: the loop must go on serving
                failures += 1
                log.exception("the engine's step failed; retrying")
                self._stopping.wait(min(0.1 * 2**failures, 2.0))
                continue
            if moved or (self._skips_idle_time and self._skip_idle_time()):
                continue
            self.loop.wake.wait(timeout=self._idle_wait())
            self.loop.wake.clear()

    def _idle_wait(self) -> float:
        now = self._now()
        if self._nudged:
            return 0.0
        waits = [self.poll_seconds, max(0.0, self._poll_at - now)]
        due = self.express.next_due()
        if due is not None:
            waits.append(max(0.0, due - now))
        return max(0.001, min(waits))

    def step(self) -> int:
        """Advance whatever is ready now, once; how many executions moved."""
        now = self._now()
        self._maintain()
        moved = self._step_express(now)
        # Claim when asked (``nudge``, another node's announcement) or when the poll is due;
        # a wake for answers or handed starts alone needs no claim's transaction.
        claim = self._nudged or now >= self._poll_at
        if claim:
            self._nudged = False  # cleared before the claim reads: a later nudge claims again
        self.loop.wake.clear()
        stepped = self.loop.step(now, claim=claim)
        self._flush_express()
        if claim or stepped:  # a step may have set timers, due before the next poll
            due = self.store.next_due()
            self._poll_at = (
                now + self.poll_seconds
                if due is None
                else min(max(due, now + 0.01), now + self.poll_seconds)
            )
        return moved + stepped

    def run_until_idle(self, *, max_seconds: float | None = None) -> None:
        """Step until nothing is running or due; on a clock that can ``advance`` (a
        ``FakeClock``), jump it to each next wake-up instead of waiting for it.

        For tests and tools on one node: executions that wait on answers from outside are
        left waiting. ``max_seconds`` bounds the clock time it may move forward.
        """
        advance = getattr(self.clock, "advance", None)
        started = self._now()
        while True:
            self._poll_at = 0.0
            if self.step():
                continue
            if self._busy():
                self.workers.idle.wait(timeout=0.05)
                continue
            due = self._next_due()
            if due is None:
                return
            now = self._now()
            if max_seconds is not None and due - started > max_seconds:
                return
            if due > now:
                if advance is not None:
                    _advance_to(advance, due - now)
                else:
                    time.sleep(min(due - now, 1.0))

    def _busy(self) -> bool:
        """Whether work runs or answers wait to be applied (time must not jump then)."""
        return bool(self.workers.in_flight or self.loop.has_answers or self.express.has_answers)

    def _next_due(self) -> float | None:
        dues = [due for due in (self.store.next_due(), self.express.next_due()) if due]
        return min(dues) if dues else None

    def _skip_idle_time(self) -> bool:
        """On a time-skipping clock: when nothing runs, jump to the next due instant. An
        activity task a worker has taken is work running too (its timeouts must not jump)."""
        if self._busy() or self.store.has_taken_tasks():
            return False
        due = self._next_due()
        now = self._now()
        if due is None or due <= now:
            return False
        _advance_to(self.clock.advance, due - now)  # type: ignore[attr-defined]
        self._poll_at = 0.0
        return True

    def _maintain(self) -> None:
        wall = time.time()
        if wall - self._maintained_at < self.lease_seconds / 3:
            return
        self._maintained_at = wall
        self.store.heartbeat(self.node, wall, self.lease_seconds)
        released = self.store.release_dead(wall, except_node=self.node, due=self._now())
        if released:
            log.info("took over %d executions of nodes that stopped", len(released))
            self._poll_at = 0.0
        self.store.purge_expired(self._now())

    # Express runs ---------------------------------------------------------------------------

    def _step_express(self, now: float) -> int:
        with self._sync_lock:
            starts, self._sync_starts = self._sync_starts, []
        for express in starts:
            self.express.begin(express, now)
            if express.run.finished:
                self._express_ended(express, now)
        ended = self.express.step(now)
        for express in ended:
            self._express_ended(express, now)
        self._flush_express()
        return len(starts) + len(ended)

    def _flush_express(self) -> None:
        """Write the endings of Express executions (asynchronous ones, and synchronous ones
        whose history is kept), all in one transaction; then answer those synchronous ones'
        callers, written or not (a store that fails loses their record, not their answer)."""
        writes, self._express_writes = self._express_writes, []
        endings, self._sync_endings = self._sync_endings, []
        if not writes and not endings:
            return
        finished = [(express.record, write) for express, write in endings if express.record]
        try:
            self.store.commit(self.node, writes, finished)
        finally:
            for express, write in endings:
                express.ending.set_result(write)
            with self._endings:
                self._endings.notify_all()

    def _express_ended(self, express: ExpressRun, now: float) -> None:
        write = self.express.ending(express, now)
        if express.execution_id is not None:
            self._finish_async_express(express, write)
        elif express.record is not None:
            self._sync_endings.append((express, write))  # answered once it is written
            return
        express.ending.set_result(write)

    def _claimed_express(self, claim: Claim) -> bool:
        """An asynchronous Express execution claimed: run it here, in memory. Its start
        wake-up is held back while it runs, so only a node that dies leaves it to others.
        A stop (its parent gave it up) ends it as a Standard one ends."""
        if claim.type != "EXPRESS":
            return False
        starts = [wakeup for wakeup in claim.wakeups if wakeup.kind == "start"]
        others = [wakeup for wakeup in claim.wakeups if wakeup.kind != "start"]
        if others:
            self.store.drop_wakeups([wakeup.id for wakeup in others])
        now = self._now()
        running = self._express_rows.get(claim.execution_id)
        if running is None and starts and claim.status == "RUNNING":
            running = self._begin_express(claim, starts[0].id, now)
        stops = [wakeup for wakeup in others if wakeup.kind == "stop"]
        if running is not None and stops and not running[0].run.finished:
            error, cause = loads(stops[0].body or "[null, null]")
            running[0].run.stop(error, cause, now)
        if running is not None and running[0].run.finished:
            self._express_ended(running[0], now)
        return True

    def _begin_express(
        self, claim: Claim, start_id: int, now: float
    ) -> tuple[ExpressRun, int, int]:
        self.store.postpone([start_id], now + EXPRESS_LIMIT_SECONDS + 60)
        version, definition_id, text = self.store.checkpoints([claim.execution_id])[
            claim.execution_id
        ]
        plan = self._plan(definition_id)
        run = resume_run(plan.machine, loads(text or "null"), functions=self.functions)
        definition = self.store.definition(definition_id)
        level = definition.logging_level if definition is not None else None
        express = ExpressRun(run, claim.execution_id, level)
        row = self._express_rows[claim.execution_id] = (express, version, start_id)
        self.express.begin(express, now)
        return row

    def _finish_async_express(self, express: ExpressRun, write: StepWrite) -> None:
        assert express.execution_id is not None
        _, version, wakeup_id = self._express_rows.pop(express.execution_id)
        write.expected_version = version
        write.done_wakeups = [wakeup_id]
        self._express_writes.append(write)

    # Plumbing -------------------------------------------------------------------------------

    def _post(self, owner: Any, signal: Signal) -> None:
        if isinstance(owner, ExpressRun):
            self.express.post(owner, signal)
            self.loop.wake.set()
        else:
            self.loop.post(owner, signal)

    def _submit_standard(
        self, execution_id: int, dispatch: Dispatch, region: str, account: str
    ) -> None:
        self.workers.submit(execution_id, dispatch, region, account)

    def _submit_express(
        self, express: ExpressRun, dispatch: Dispatch, region: str, account: str
    ) -> None:
        self.workers.submit(express, dispatch, region, account)

    def _ended(self, execution_id: int, write: StepWrite) -> None:
        with self._endings:
            self._endings.notify_all()

    # What the API asks of the node ------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the loop runs in its own thread (``start``)."""
        return bool(self._threads)

    def nudge(self) -> None:
        """Something is due now: claim at the next step, and wake the loop."""
        self._nudged = True
        self.loop.wake.set()

    def wait_for_endings(self, timeout: float) -> None:
        """Sleep until an execution ends (or ``timeout`` seconds)."""
        with self._endings:
            self._endings.wait(timeout=timeout)

    def run_sync(self, express: ExpressRun) -> None:
        """Hand a synchronous Express run to the loop."""
        with self._sync_lock:
            self._sync_starts.append(express)
        self.loop.wake.set()

    def _plan(self, definition_id: int) -> Plan:
        plan = self.loop.plan(definition_id)
        if isinstance(plan, str):
            raise errors.InvalidDefinition(plan)
        return plan

    def _now(self) -> float:
        return self.clock.now().timestamp()


class _Nudger:
    """What the PostgreSQL listener wakes: the node's ``nudge`` (claim at the next step)."""

    def __init__(self, node: Node) -> None:
        self.node = node

    def set(self) -> None:
        self.node.nudge()


def _lock_single_node(path: str) -> IO[str] | None:
    """Hold ``PATH.lock`` for as long as this node lives: one node per SQLite file."""
    if path == ":memory:":
        return None
    import fcntl  # noqa: PLC0415 - POSIX only, like the rest of the node's tooling

    lock = Path(f"{path}.lock").open("w")  # noqa: SIM115 - held until close()
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        raise errors.EngineError(
            f"another Stepline node is using {path}; SQLite serves one node "
            "(use PostgreSQL for several)"
        ) from None
    return lock


def _advance_to(advance: Any, seconds: float) -> None:
    # Rounded up to a microsecond: a fake clock keeps microseconds, and a jittered back-off's
    # due time has more digits than that (a step smaller than a microsecond would not move the
    # clock at all).
    advance(math.ceil(seconds * 1e6) / 1e6)
