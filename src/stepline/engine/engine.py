"""The engine as a Python API: state machines, executions and their histories, task answers,
and the loop that advances them (in a thread of its own, or step by step on a fake clock).

One ``Engine`` is one node. Several engines over one PostgreSQL database share its
executions (each advanced by one node at a time, ``docs/adr/0008-leases.md``); SQLite is one
node's, guarded by a lock file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from stepline.asl.jsontext import dumps, loads
from stepline.engine import errors, history
from stepline.engine.express import ExpressRun, ExpressRunner
from stepline.engine.loop import EXPRESS_LIMIT_SECONDS, Loop, express_timeout
from stepline.engine.replay import replay_difference
from stepline.engine.workers import Workers
from stepline.runtime import (
    Clock,
    FunctionRegistry,
    InvalidDefinitionError,
    Plan,
    SystemClock,
    compile_definition,
    start_execution,
)
from stepline.runtime.effects import Dispatch, Signal, TaskFailed, TaskHeartbeat, TaskSucceeded
from stepline.runtime.effects import encode as encode_signal
from stepline.runtime.transition import resume as resume_run
from stepline.store import (
    Claim,
    Definition,
    DuplicateExecution,
    EventRecord,
    NewExecution,
    NewWakeup,
    SqlStore,
    StepWrite,
    StoreError,
    open_store,
)
from stepline.store.records import TERMINAL_STATUSES

log = logging.getLogger("stepline.engine")

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What StartSyncExecution returns."""

    execution_arn: str
    state_machine_arn: str
    name: str
    status: str
    start_date: float
    stop_date: float
    input: str
    output: str | None
    error: str | None
    cause: str | None


class Engine:
    """One node of Stepline's durable engine.

    ``store`` is a store or a URL (``sqlite:///PATH``, ``postgresql://...``). ``cache_size``
    bounds the runs kept in memory between steps (0: rebuild every execution from its
    checkpoint at each step). ``lease_seconds`` is how long a node that stopped renewing its
    lease keeps its executions before live nodes take them over.
    """

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
        self.store = open_store(store) if isinstance(store, str) else store
        self.clock: Clock = clock or SystemClock()
        self.functions = functions or FunctionRegistry()
        self.region, self.account = region, account
        self.role_arn = role_arn
        self.node = node or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
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
        self._sync_starts: list[ExpressRun] = []
        self._express_writes: list[StepWrite] = []
        self._sync_lock = threading.Lock()
        self.express = ExpressRunner(self._submit_express, express_history_seconds)
        self._express_rows: dict[int, tuple[ExpressRun, int, int]] = {}
        self._endings = threading.Condition()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._maintained_at = 0.0
        self._poll_at = 0.0
        self._lock_file: IO[str] | None = None
        self._join()

    # Joining and leaving ---------------------------------------------------------------------

    def _join(self) -> None:
        wall = time.time()
        self.store.heartbeat(self.node, wall, self.lease_seconds)
        self._maintained_at = wall
        if self.store.dialect == "sqlite":
            self._lock_file = _lock_single_node(getattr(self.store, "path", ":memory:"))
            # One node per SQLite file: whatever an earlier process owned is ours to recover.
            self.store.release_all_but(self.node, self._now())
        else:
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

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # State machines ------------------------------------------------------------------------

    def register_state_machine(
        self,
        name: str,
        definition: str | Mapping[str, Any],
        *,
        type: str = "STANDARD",
        logging_level: str | None = None,
    ) -> str:
        """Validate, compile and store a definition under ``name``; the state machine's ARN.

        Registering a name again adds a new definition: executions started from then on run
        it, those running keep theirs.
        """
        text = definition if isinstance(definition, str) else dumps(dict(definition))
        try:
            compile_definition(text, state_machine_type=type)
        except InvalidDefinitionError as error:
            raise errors.InvalidDefinition(error.message) from None
        arn = f"arn:aws:states:{self.region}:{self.account}:stateMachine:{name}"
        self.store.add_definition(
            arn, name, type, text, now=self._now(), logging_level=logging_level
        )
        return arn

    # Executions --------------------------------------------------------------------------

    def start_execution(
        self, state_machine_arn: str, input: str | None = None, *, name: str | None = None
    ) -> str:
        """Start an execution (Standard, or asynchronous Express); its ARN."""
        definition, plan = self._latest(state_machine_arn)
        new, events = self._new_execution(definition, plan, input, name)
        try:
            self.store.create_execution(new, NewWakeup("start", new.start_date), events)
        except DuplicateExecution:
            raise errors.ExecutionAlreadyExists(new.arn) from None
        self._poll_at = 0.0
        self.loop.wake.set()
        return new.arn

    def start_executions(
        self,
        state_machine_arn: str,
        inputs: Sequence[str | None],
        *,
        names: Sequence[str | None] | None = None,
    ) -> list[str]:
        """Start many executions of one state machine in one transaction; their ARNs."""
        definition, plan = self._latest(state_machine_arn)
        batch = [
            self._new_execution(definition, plan, text, names[index] if names else None)
            for index, text in enumerate(inputs)
        ]
        if not batch:
            return []
        try:
            self.store.create_executions(batch, NewWakeup("start", batch[0][0].start_date))
        except DuplicateExecution as duplicate:
            raise errors.ExecutionAlreadyExists(str(duplicate)) from None
        self._poll_at = 0.0
        self.loop.wake.set()
        return [new.arn for new, _ in batch]

    def _latest(self, state_machine_arn: str) -> tuple[Definition, Plan]:
        definition = self.store.latest_definition(state_machine_arn)
        if definition is None:
            raise errors.StateMachineDoesNotExist(state_machine_arn)
        return definition, self._plan(definition.id)

    def _new_execution(
        self, definition: Definition, plan: Plan, input_text: str | None, name: str | None
    ) -> tuple[NewExecution, list[EventRecord]]:
        text = _checked_input(input_text)
        run = start_execution(
            plan,
            text,
            clock=self.clock,
            execution_name=name,
            state_machine_name=definition.name,
            region=self.region,
            account=self.account,
            role_arn=self.role_arn,
        )
        express = plan.state_machine_type == "EXPRESS"
        if express:
            run.timeout_seconds = express_timeout(run.timeout_seconds)
        events = [history.to_record(event) for event in run.execution.log.drain()]
        if express and definition.logging_level not in (None, "ALL"):
            events = []  # an Express execution keeps only what its logging level asks
        new = NewExecution(
            run.execution.execution_arn,
            run.execution.execution_object["Name"],
            definition.state_machine_arn,
            definition.id,
            definition.type,
            text,
            run.execution.now,
            dumps(run.checkpoint()),
        )
        return new, events

    def start_sync_execution(
        self,
        state_machine_arn: str,
        input: str | None = None,
        *,
        name: str | None = None,
        timeout: float | None = None,
    ) -> SyncResult:
        """Run an Express execution and wait for its ending (at most once: nothing is written
        before it ends). The engine's loop must be running (``start``) or be stepped by
        another thread."""
        definition = self.store.latest_definition(state_machine_arn)
        if definition is None:
            raise errors.StateMachineDoesNotExist(state_machine_arn)
        if definition.type != "EXPRESS":
            raise errors.StateMachineTypeNotSupported(
                "This operation is not supported by this type of state machine"
            )
        plan = self._plan(definition.id)
        input_text = _checked_input(input)
        run = start_execution(
            plan,
            input_text,
            clock=self.clock,
            execution_name=name,
            state_machine_name=definition.name,
            region=self.region,
            account=self.account,
            role_arn=self.role_arn,
        )
        run.timeout_seconds = express_timeout(run.timeout_seconds)
        started = run.execution.now
        express = ExpressRun(run, None, definition.logging_level)
        with self._sync_lock:
            self._sync_starts.append(express)
        self.loop.wake.set()
        write = express.ending.result(timeout=timeout)
        if definition.logging_level != "OFF":
            new = NewExecution(
                run.execution.execution_arn,
                run.execution.execution_object["Name"],
                state_machine_arn,
                definition.id,
                definition.type,
                input_text,
                started,
                write.checkpoint,
            )
            with contextlib.suppress(DuplicateExecution, StoreError):
                self.store.record_finished(new, write, status=write.status)
        return SyncResult(
            run.execution.execution_arn,
            state_machine_arn,
            run.execution.execution_object["Name"],
            write.status,
            started,
            write.stop_date or 0.0,
            input_text,
            write.output,
            write.error,
            write.cause,
        )

    def describe_execution(self, execution_arn: str) -> dict[str, Any]:
        return history.describe(self._record(execution_arn))

    def list_executions(
        self,
        state_machine_arn: str,
        *,
        status_filter: str | None = None,
        max_results: int = 100,
        next_token: str | None = None,
    ) -> dict[str, Any]:
        """ListExecutions: newest first, ``max_results`` at a time."""
        before = int(next_token) if next_token else None
        records = self.store.executions(
            state_machine_arn=state_machine_arn,
            status=status_filter,
            limit=max_results + 1,
            before_id=before,
        )
        page = records[:max_results]
        listed: dict[str, Any] = {"executions": [history.summary(record) for record in page]}
        if len(records) > max_results:
            listed["nextToken"] = str(page[-1].id)
        return listed

    def get_execution_history(
        self,
        execution_arn: str,
        *,
        reverse_order: bool = False,
        max_results: int = 1000,
        next_token: str | None = None,
        include_execution_data: bool = True,
    ) -> dict[str, Any]:
        """GetExecutionHistory, ``max_results`` events at a time."""
        record = self._record(execution_arn)
        position = int(next_token) if next_token else None
        if reverse_order:
            found = self.store.events(
                record.id, before_id=position, limit=max_results + 1, reverse=True
            )
        else:
            found = self.store.events(record.id, after_id=position or 0, limit=max_results + 1)
        page = found[:max_results]
        result: dict[str, Any] = {
            "events": [
                history.event_to_api(event, include_data=include_execution_data) for event in page
            ]
        }
        if len(found) > max_results:
            result["nextToken"] = str(page[-1].id)
        return result

    def stop_execution(
        self,
        execution_arn: str,
        *,
        error: str | None = None,
        cause: str | None = None,
        wait: float | None = 30.0,
    ) -> dict[str, Any]:
        """Ask for the execution to be aborted. While the loop runs in its thread, waits (up
        to ``wait`` seconds) until it is, as AWS's StopExecution has ended it on return."""
        record = self._record(execution_arn)
        if record.type == "EXPRESS":
            raise errors.StateMachineTypeNotSupported(
                "This operation is not supported by this type of state machine"
            )
        if record.status == "RUNNING":
            body = dumps([error, cause])
            self.store.add_wakeup(record.id, NewWakeup("stop", self._now(), body=body))
            self._poll_at = 0.0
            self.loop.wake.set()
            if self._threads and wait:
                self.wait(execution_arn, timeout=wait)
        stopped = self.store.execution_by_id(record.id)
        stop_date = stopped.stop_date if stopped and stopped.stop_date else self._now()
        return {"stopDate": history.moment(stop_date)}

    def redrive_execution(self, execution_arn: str, *, wait: float | None = 30.0) -> dict[str, Any]:
        """Run a FAILED, TIMED_OUT or ABORTED Standard execution again from where it stopped
        (AWS's RedriveExecution; Stepline keeps no 14-day limit). While the loop runs in its
        thread, waits until the redrive has begun."""
        record = self._record(execution_arn)
        reason = history.redrive_reason(record)
        if reason is not None:
            raise errors.ExecutionNotRedrivable(reason)
        before = record.redrive_count
        now = self._now()
        self.store.add_wakeup(record.id, NewWakeup("redrive", now))
        self._poll_at = 0.0
        self.loop.wake.set()
        if self._threads and wait:
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                current = self.store.execution_by_id(record.id)
                if current is not None and current.redrive_count > before:
                    now = current.redrive_date or now
                    break
                with self._endings:
                    self._endings.wait(timeout=0.05)
        return {"redriveDate": history.moment(now)}

    def list_map_runs(self, execution_arn: str) -> dict[str, Any]:
        """ListMapRuns: the Map Runs an execution's distributed Maps started, newest first."""
        record = self._record(execution_arn)
        return {
            "mapRuns": [
                history.map_run_summary(run, record) for run in self.store.map_runs(record.id)
            ]
        }

    def describe_map_run(self, map_run_arn: str) -> dict[str, Any]:
        """DescribeMapRun: a Map Run's settings, status and counts of its children."""
        run = self.store.map_run(map_run_arn)
        if run is None:
            raise errors.ResourceNotFound(f"Resource not found: '{map_run_arn}'")
        parent = self.store.execution_by_id(run.execution_id)
        assert parent is not None
        return history.describe_map_run(run, parent, self.store.child_counts(map_run_arn))

    def wait(self, execution_arn: str, timeout: float | None = None) -> dict[str, Any]:
        """Block until the execution has ended (the loop must run meanwhile); its description."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            record = self._record(execution_arn)
            if record.status in TERMINAL_STATUSES:
                return history.describe(record)
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise TimeoutError(f"{execution_arn} is still {record.status}")
            with self._endings:
                self._endings.wait(timeout=min(remaining or 0.5, 0.5))

    def check_replay(self, execution_arn: str) -> str | None:
        """Run the execution again from its journal; where its history differs from the
        stored one, or None when it is the same (``engine.replay``)."""
        record = self._record(execution_arn)
        return replay_difference(self._plan(record.definition_id), record, self.store)

    # Answers from outside ---------------------------------------------------------------------

    def send_task_success(self, task_token: str, output: str) -> None:
        task = self._task(task_token)
        value = loads(_checked_input(output))
        self._answer(task.execution_id, TaskSucceeded(task.key, value))

    def send_task_failure(
        self, task_token: str, error: str | None = None, cause: str | None = None
    ) -> None:
        task = self._task(task_token)
        self._answer(task.execution_id, TaskFailed(task.key, error or "", cause or ""))

    def send_task_heartbeat(self, task_token: str) -> None:
        task = self._task(task_token)
        self._answer(task.execution_id, TaskHeartbeat(task.key))

    def _task(self, token: str) -> Any:
        if not token:
            raise errors.InvalidToken("Invalid Token: ''")
        task = self.store.task_by_token(token)
        if task is None:
            raise errors.TaskDoesNotExist("Task Timed Out: 'Provided task does not exist anymore'")
        return task

    def _answer(self, execution_id: int, signal: Signal) -> None:
        body = dumps(encode_signal(signal))
        self.store.add_wakeup(execution_id, NewWakeup("signal", self._now(), body=body))
        self._poll_at = 0.0
        self.loop.wake.set()

    # The loop -----------------------------------------------------------------------------

    def start(self) -> Engine:
        """Run the loop in a thread of its own (and, on PostgreSQL, listen for other nodes)."""
        if not self._threads:
            loop = threading.Thread(target=self._serve, name="stepline-engine", daemon=True)
            self._threads.append(loop)
            listen = getattr(self.store, "listen", None)
            if listen is not None:
                listener = threading.Thread(
                    target=listen,
                    args=(self.loop.wake, self._stopping),
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
            if moved:
                continue
            self.loop.wake.wait(timeout=self._idle_wait())
            self.loop.wake.clear()

    def _idle_wait(self) -> float:
        now = self._now()
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
        claim = self.loop.wake.is_set() or now >= self._poll_at
        self.loop.wake.clear()
        stepped = self.loop.step(now, claim=claim)
        self._flush_express()
        if claim:
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
            if self.workers.in_flight or self.loop.has_answers or self.express.has_answers:
                self.workers.idle.wait(timeout=0.05)
                continue
            dues = [due for due in (self.store.next_due(), self.express.next_due()) if due]
            if not dues:
                return
            due = min(dues)
            now = self._now()
            if max_seconds is not None and due - started > max_seconds:
                return
            if due > now:
                if advance is not None:
                    advance(due - now)
                else:
                    time.sleep(min(due - now, 1.0))

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
        """Write the endings of asynchronous Express executions, all in one transaction."""
        writes, self._express_writes = self._express_writes, []
        if writes:
            self.store.commit(self.node, writes)
            with self._endings:
                self._endings.notify_all()

    def _express_ended(self, express: ExpressRun, now: float) -> None:
        write = self.express.ending(express, now)
        if express.execution_id is not None:
            self._finish_async_express(express, write)
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

    def _plan(self, definition_id: int) -> Plan:
        plan = self.loop.plan(definition_id)
        if isinstance(plan, str):
            raise errors.InvalidDefinition(plan)
        return plan

    def _record(self, execution_arn: str) -> Any:
        record = self.store.execution(execution_arn)
        if record is None:
            raise errors.ExecutionDoesNotExist(execution_arn)
        return record

    def _now(self) -> float:
        return self.clock.now().timestamp()


def _checked_input(text: str | None) -> str:
    if text is None:
        return "{}"
    try:
        loads(text)
    except ValueError:
        raise errors.InvalidExecutionInput(
            "Invalid State Machine Execution Input: 'Unexpected character'"
        ) from None
    return text


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
