"""The engine as a Python API: state machines, executions and their histories, task answers,
and the loop that advances them (in a thread of its own, or step by step on a fake clock).

One ``Engine`` is one node. Several engines over one PostgreSQL database share its
executions (each advanced by one node at a time, ``docs/adr/0008-leases.md``); SQLite is one
node's, guarded by a lock file.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Self

from stepline.asl.first_run import states_before_waiting
from stepline.asl.json_errors import json_syntax_error
from stepline.asl.jsontext import dumps, loads
from stepline.engine import arns, errors, history, paging
from stepline.engine.activities import Activities, checked_failure, checked_output
from stepline.engine.express import ExpressRun
from stepline.engine.loop import express_timeout
from stepline.engine.machines import Machines
from stepline.engine.map_runs import MapRuns
from stepline.engine.node import Node
from stepline.engine.replay import replay_difference
from stepline.engine.targets import FIRST_RUN_LIMIT, Route, Target, Targets
from stepline.runtime import start_execution
from stepline.runtime.effects import TaskFailed, TaskHeartbeat, TaskSucceeded
from stepline.runtime.transition import ExecutionRun
from stepline.store import (
    Claim,
    DuplicateExecution,
    EventRecord,
    ExecutionRecord,
    NewExecution,
    NewWakeup,
    StepWrite,
    Wakeup,
)
from stepline.store.records import TERMINAL_STATUSES


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


@dataclass(frozen=True, slots=True)
class StartedExecution:
    """What StartExecution answers."""

    execution_arn: str
    start_date: float


@dataclass(frozen=True, slots=True)
class SyncStart:
    """A synchronous Express execution handed to the loop; ``ending`` resolves when it ends."""

    target: Target
    run: ExecutionRun
    input: str
    start_date: float
    ending: Future[StepWrite]


class Engine(Node, Machines, Activities, MapRuns):
    """One node of Stepline's durable engine.

    ``store`` is a store or a URL (``sqlite:///PATH``, ``postgresql://...``). ``cache_size``
    bounds the runs kept in memory between steps (0: rebuild every execution from its
    checkpoint at each step). ``lease_seconds`` is how long a node that stopped renewing its
    lease keeps its executions before live nodes take them over.
    """

    def __enter__(self) -> Self:
        return self

    @functools.cached_property
    def targets(self) -> Targets:
        """What starts resolve to, kept while the catalog's revision stays the same."""
        return Targets(self.store.catalog_revision, self._routes)

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Executions --------------------------------------------------------------------------

    def start_execution(
        self,
        state_machine_arn: str,
        input: str | None = None,
        *,
        name: str | None = None,
        trace_header: str | None = None,
    ) -> str:
        """StartExecution (Standard, or asynchronous Express) of a state machine, a version or
        an alias; the execution's ARN."""
        started = self.start_execution_output(
            state_machine_arn, input, name=name, trace_header=trace_header
        )
        return started.execution_arn

    def start_execution_output(
        self,
        state_machine_arn: str,
        input: str | None = None,
        *,
        name: str | None = None,
        trace_header: str | None = None,
    ) -> StartedExecution:
        """StartExecution with what AWS answers: the execution's ARN and start date."""
        target = self._target(state_machine_arn)
        new, events, run = self._new_execution(target, input, name, trace_header)
        try:
            if self.running and target.definition.type == "STANDARD":
                # This node's loop runs: a short start is applied here and committed with the
                # execution (ADR 0011); a long one (a Map, a Parallel, a loop or over
                # FIRST_RUN_LIMIT states before it waits), or one that begins child
                # executions, is handed to the loop, owned by this node (ADR 0010), so that
                # StartExecution answers at once whatever the definition.
                if target.starts_at_once and self.loop.start_stepped(new, events, run):
                    return StartedExecution(new.arn, new.start_date)
                wakeup = NewWakeup("start", new.start_date)
                execution_id, wakeup_id = self.store.create_owned_execution(
                    new, wakeup, events, self.node
                )
                start = Wakeup(wakeup_id, execution_id, "start", new.start_date)
                self.loop.hand(
                    Claim(execution_id, 0, "RUNNING", new.definition_id, new.type, [start])
                )
                return StartedExecution(new.arn, new.start_date)
            self.store.create_execution(new, NewWakeup("start", new.start_date), events)
        except DuplicateExecution:
            return self._repeated_start(new)
        self.nudge()
        return StartedExecution(new.arn, new.start_date)

    def _repeated_start(self, new: NewExecution) -> StartedExecution:
        """A start whose name is taken. As on AWS, a Standard start that repeats a running
        execution's name and input succeeds with that execution's answer (so a client may
        retry a start whose answer it lost); any other is ExecutionAlreadyExists."""
        existing = self.store.execution(new.arn)
        if (
            existing is None
            or existing.type != "STANDARD"
            or existing.status != "RUNNING"
            or existing.input != new.input
        ):
            raise errors.ExecutionAlreadyExists(new.arn)
        return StartedExecution(existing.arn, existing.start_date)

    def start_executions(
        self,
        state_machine_arn: str,
        inputs: Sequence[str | None],
        *,
        names: Sequence[str | None] | None = None,
    ) -> list[str]:
        """Start many executions of one state machine in one transaction; their ARNs."""
        target = self._target(state_machine_arn)
        batch = [
            self._new_execution(target, text, names[index] if names else None, None)[:2]
            for index, text in enumerate(inputs)
        ]
        if not batch:
            return []
        try:
            self.store.create_executions(batch, NewWakeup("start", batch[0][0].start_date))
        except DuplicateExecution as duplicate:
            raise errors.ExecutionAlreadyExists(str(duplicate)) from None
        self.nudge()
        return [new.arn for new, _ in batch]

    def _target(self, arn: str) -> Target:
        return self.targets.target(arn)

    def starts_at_once(self, state_machine_arn: str) -> bool:
        """Whether a start of ``state_machine_arn`` does little enough before it waits or
        ends (at most ``FIRST_RUN_LIMIT`` states that never wait, no Map or Parallel) to be
        made on a server's event loop instead of a thread (ADR 0010)."""
        return self.targets.starts_at_once(state_machine_arn)

    def _routes(self, arn: str) -> tuple[Route, ...]:
        """Every target a start of ``arn`` may run (``Targets`` keeps them)."""
        routes = []
        for resolved in self.resolve(arn):
            definition = self.store.definition(resolved.definition_id)
            if definition is None or resolved.machine.status != "ACTIVE":
                raise errors.StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")
            plan = self._plan(definition.id)
            target = Target(
                resolved.machine.arn,
                definition,
                plan,
                resolved.role,
                resolved.version_arn,
                resolved.alias_arn,
                states_before_waiting(plan.machine.model, FIRST_RUN_LIMIT) is not None,
            )
            routes.append(Route(target, resolved.weight))
        return tuple(routes)

    def _new_execution(
        self, target: Target, input_text: str | None, name: str | None, trace_header: str | None
    ) -> tuple[NewExecution, list[EventRecord], ExecutionRun]:
        """A new execution's row and first events, and its run (its start not applied)."""
        text = _checked_input(input_text)
        if name is not None:
            arns.check_name(name)
        run = self._start_run(target, text, name)
        definition = target.definition
        express = target.plan.state_machine_type == "EXPRESS"
        events = [history.to_record(event) for event in run.execution.log.drain()]
        if express and definition.logging_level not in (None, "ALL"):
            events = []  # an Express execution keeps only what its logging level asks
        new = NewExecution(
            run.execution.execution_arn,
            run.execution.execution_object["Name"],
            target.machine_arn,
            definition.id,
            definition.type,
            text,
            run.execution.now,
            dumps(run.checkpoint()),
            version_arn=target.version_arn,
            alias_arn=target.alias_arn,
            trace_header=trace_header,
        )
        return new, events, run

    def _start_run(
        self, target: Target, text: str, name: str | None, *, synchronous: bool = False
    ) -> ExecutionRun:
        """An execution's run with its ExecutionStarted recorded (Express ones capped at
        AWS's five minutes)."""
        run = start_execution(
            target.plan,
            text,
            clock=self.clock,
            execution_name=name,
            state_machine_name=target.definition.name,
            region=self.region,
            account=self.account,
            role_arn=target.role,
            redrive_count=None if synchronous else 0,
        )
        if target.plan.state_machine_type == "EXPRESS":
            run.timeout_seconds = express_timeout(run.timeout_seconds)
        return run

    def start_sync_execution(
        self,
        state_machine_arn: str,
        input: str | None = None,
        *,
        name: str | None = None,
        timeout: float | None = None,
    ) -> SyncResult:
        """StartSyncExecution: run an Express execution and wait for its ending (at most
        once: nothing is written before it ends). The loop must be running (``start``) or
        be stepped by another thread."""
        started = self.begin_sync_execution(state_machine_arn, input, name=name)
        return self.end_sync_execution(started, started.ending.result(timeout=timeout))

    def begin_sync_execution(
        self,
        state_machine_arn: str,
        input: str | None = None,
        *,
        name: str | None = None,
    ) -> SyncStart:
        """Hand a synchronous Express execution to the loop; ``ending`` resolves when it ends
        (a server awaits it without holding a thread), then ``end_sync_execution``."""
        target = self._target(state_machine_arn)
        if target.definition.type != "EXPRESS":
            raise errors.StateMachineTypeNotSupported(
                "This operation is not supported by this type of state machine"
            )
        input_text = _checked_input(input)
        if name is not None:
            arns.check_name(name)
        run = self._start_run(target, input_text, name, synchronous=True)
        level = target.definition.logging_level
        express = ExpressRun(run, None, level, record=_sync_record(target, run, input_text))
        started = SyncStart(target, run, input_text, run.execution.now, express.ending)
        self.run_sync(express)
        return started

    def end_sync_execution(self, started: SyncStart, write: StepWrite) -> SyncResult:
        """StartSyncExecution's answer, once ``started.ending`` has resolved (the loop wrote
        what the state machine's logging level keeps before it did; nothing here blocks)."""
        run, target = started.run, started.target
        return SyncResult(
            run.execution.execution_arn,
            target.machine_arn,
            run.execution.execution_object["Name"],
            write.status,
            started.start_date,
            write.stop_date or started.start_date,
            started.input,
            write.output,
            write.error,
            write.cause,
        )

    def describe_execution(self, execution_arn: str) -> dict[str, Any]:
        # AWS answers DescribeExecution of a malformed ARN with ExecutionDoesNotExist.
        return history.describe(self._record(execution_arn, check_arn=False))

    def list_executions(
        self,
        state_machine_arn: str | None = None,
        *,
        map_run_arn: str | None = None,
        status_filter: str | None = None,
        redrive_filter: str | None = None,
        max_results: int = 100,
        next_token: str | None = None,
    ) -> dict[str, Any]:
        """ListExecutions of a state machine (or of a Map Run), newest first, a page at a
        time; ``redrive_filter`` is ``REDRIVEN`` or ``NOT_REDRIVEN``."""
        if (state_machine_arn is None) == (map_run_arn is None):
            raise errors.ValidationException(
                "Must provide a StateMachine ARN or a MapRun ARN, but not both"
            )
        if state_machine_arn is not None:
            arns.machine_of(state_machine_arn)
            if arns.qualifier(state_machine_arn) is None:
                self._machine(state_machine_arn)
        before_id = paging.position(next_token)
        records = self.store.executions(
            state_machine_arn=None if map_run_arn else arns.machine_of(state_machine_arn or ""),
            map_run_arn=map_run_arn,
            status=status_filter,
            limit=max_results + 1,
            before_id=before_id,
        )
        if state_machine_arn is not None and arns.qualifier(state_machine_arn) is not None:
            records = [
                record
                for record in records
                if state_machine_arn in (record.version_arn, record.alias_arn)
            ]
        if redrive_filter is not None:
            redriven = redrive_filter == "REDRIVEN"
            records = [record for record in records if (record.redrive_count > 0) == redriven]
        page = records[:max_results]
        listed: dict[str, Any] = {"executions": [history.summary(record) for record in page]}
        if len(records) > max_results:
            listed["nextToken"] = str(page[-1].id)
        return listed

    def describe_state_machine_for_execution(self, execution_arn: str) -> dict[str, Any]:
        """DescribeStateMachineForExecution: the definition and settings it runs with."""
        record = self._record(execution_arn)
        definition = self.store.definition(record.definition_id)
        machine = self.store.state_machine(record.state_machine_arn)
        settings = loads(machine.settings) if machine is not None else {}
        described: dict[str, Any] = {
            "stateMachineArn": record.version_arn or record.state_machine_arn,
            "name": definition.name if definition is not None else "",
            "definition": definition.text if definition is not None else "",
            "roleArn": loads(record.checkpoint or "{}").get("execution", {}).get("RoleArn", ""),
            "updateDate": history.moment(
                (machine.update_date or machine.creation_date) if machine else record.start_date
            ),
            **settings,
        }
        if machine is not None:
            described["revisionId"] = machine.revision_id
        if record.map_run_arn is not None:
            described["mapRunArn"] = record.map_run_arn
            described["label"] = record.map_run_arn.rsplit(":", 1)[0].split("/", 1)[-1]
        return described

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
        position = paging.position(next_token)
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
            self.nudge()
            if self.running and wait:
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
        self.nudge()
        if self.running and wait:
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                current = self.store.execution_by_id(record.id)
                if current is not None and current.redrive_count > before:
                    now = current.redrive_date or now
                    break
                self.wait_for_endings(0.05)
        return {"redriveDate": history.moment(now)}

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
            self.wait_for_endings(min(remaining or 0.5, 0.5))

    def check_replay(self, execution_arn: str) -> str | None:
        """Run the execution again from its journal; where its history differs from the
        stored one, or None when it is the same (``engine.replay``)."""
        record = self._record(execution_arn)
        return replay_difference(self._plan(record.definition_id), record, self.store)

    # Answers from outside (activity workers, callbacks): ``activities.answer_task`` --------

    def send_task_success(self, task_token: str, output: str) -> None:
        value = loads(checked_output(output))
        self.answer_task(task_token, lambda key: TaskSucceeded(key, value))

    def send_task_failure(
        self, task_token: str, error: str | None = None, cause: str | None = None
    ) -> None:
        checked_failure(error, cause)
        self.answer_task(task_token, lambda key: TaskFailed(key, error or "", cause or ""))

    def send_task_heartbeat(self, task_token: str) -> None:
        """Restarts the task's HeartbeatSeconds clock (no event is recorded, as on AWS)."""
        self.answer_task(task_token, TaskHeartbeat)

    def _record(self, execution_arn: str, *, check_arn: bool = True) -> ExecutionRecord:
        if check_arn:
            arns.parse(execution_arn)
        record = self.store.execution(execution_arn)
        if record is None:
            raise errors.ExecutionDoesNotExist(execution_arn)
        return record


def _sync_record(target: Target, run: ExecutionRun, input_text: str) -> NewExecution | None:
    """The row a synchronous Express execution leaves when it ends: only when a logging level
    that keeps something is configured (with none, AWS keeps nothing of it)."""
    if target.definition.logging_level in (None, "OFF"):
        return None
    execution = run.execution
    return NewExecution(
        execution.execution_arn,
        execution.execution_object["Name"],
        target.machine_arn,
        target.definition.id,
        target.definition.type,
        input_text,
        execution.now,
        "",
        version_arn=target.version_arn,
        alias_arn=target.alias_arn,
    )


def _checked_input(text: str | None) -> str:
    """The execution input, refused as AWS refuses text that is not JSON."""
    if text is None:
        return "{}"
    if not text.strip():
        raise errors.InvalidExecutionInput(
            "Invalid State Machine Execution Input: 'Invalid execution input.'"
        )
    try:
        loads(text)
    except json.JSONDecodeError as error:
        reason = json_syntax_error(text, error).reason
        raise errors.InvalidExecutionInput(
            f"Invalid State Machine Execution Input: '{reason}'"
        ) from None
    except ValueError:
        raise errors.InvalidExecutionInput(
            "Invalid State Machine Execution Input: 'Invalid execution input.'"
        ) from None
    return text
