"""The transition function: an execution moves only when it is given a signal, a stop, or time.

An ``ExecutionRun`` is the cursor of one execution: its top-level ``MachineRun`` (and, under
Map and Parallel states, the units of their forks), the effects it awaits, and how it ended.
``start`` runs it from its first state until it ends or has to wait on the world; ``advance``
hands it the signal for one effect it awaits and runs it to the next such point; ``stop``
aborts it. Each call takes the time the transition happens at (``now``, POSIX seconds) and
returns the effects it started or cancelled; between two calls nothing happens.

``checkpoint`` turns a run into plain JSON-ready data and ``resume`` rebuilds the run from it
(ADR 0005), so a durable driver commits the checkpoint with each step's events and effects and
never needs to hold a waiting execution in memory.

The lifecycle follows AWS (``docs/aws-lifecycle.md``): the state machine's ``TimeoutSeconds``
is a timer of the run's own that ends it with ``ExecutionTimedOut``; ``stop`` records
``ExecutionAborted``; a history that reaches 25,000 events fails with ``States.Runtime``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from stepline.asl.errors import RUNTIME, TIMEOUT, StatesError
from stepline.asl.scope import JSON
from stepline.runtime.clock import Clock, SystemClock
from stepline.runtime.cursor import Cursor
from stepline.runtime.effects import (
    ANSWERS,
    Cancel,
    Effect,
    MapRunUpdated,
    Signal,
    StartTimer,
    TaskHeartbeat,
    TaskStarted,
)
from stepline.runtime.events import HISTORY_LIMIT, HistoryLimitReached, Json
from stepline.runtime.fanout import FanOut, Unit
from stepline.runtime.frame import NOT_TRUNCATED, Execution, Frame
from stepline.runtime.functions import FunctionRegistry
from stepline.runtime.machine import MachinePlan
from stepline.runtime.machine_run import MachineRun

Status = Literal["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]

CHECKPOINT_VERSION = 1

HISTORY_LIMIT_CAUSE = (
    f"The execution reached the maximum number of history events ({HISTORY_LIMIT})."
)


class NotRedrivable(ValueError):
    """The execution cannot be redriven; the message is AWS's ``redriveStatusReason``."""


class SignalRefused(ValueError):
    """A signal that cannot answer the effect its key names (a timer answered by a task
    result...): the run is left as it was."""


@dataclass(frozen=True, slots=True)
class Ending:
    """How an execution ended: SUCCEEDED with its output text, or FAILED (TIMED_OUT,
    ABORTED) with error and cause."""

    status: Status
    output: str | None = None
    error: str | None = None
    cause: str | None = None


class ExecutionRun(Cursor):
    """One execution between transitions.

    ``functions`` and ``clock`` serve the in-process driver (``driver.drive``) and callers
    that do not pass ``now``; the transition function itself reads neither.
    """

    def __init__(
        self,
        machine: MachinePlan,
        execution: Execution,
        *,
        timeout_seconds: int | None = None,
        functions: FunctionRegistry | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.machine = machine
        self.execution = execution
        self.timeout_seconds = timeout_seconds
        self.functions = functions or FunctionRegistry()
        self.clock: Clock = clock or SystemClock()
        self.root = MachineRun(self, machine, Frame(execution))
        self.owners: dict[int, Unit | None] = {}
        """Who awaits each effect's signal (None: the run itself, for its deadline)."""
        self.awaited: dict[int, Effect] = {}
        self.running_tasks: set[int] = set()
        """Keys of dispatched work that has started (a repeated TaskStarted is dropped)."""
        self.pending: list[Effect] = []
        self.deadline_key: int | None = None
        self.result: Ending | None = None
        self.redrive_point: dict[str, Any] | None = None
        """Where the execution stopped (FAILED, TIMED_OUT, ABORTED): what a redrive reruns."""
        self.begun = False
        self._input: tuple[JSON, str | None] = (None, None)

    @property
    def finished(self) -> bool:
        return self.result is not None

    # The transition function -------------------------------------------------------------------

    def start(self, now: float | None = None) -> list[Effect]:
        """Run from the first state until the execution ends or awaits effects; those effects."""
        if self.begun:
            return []
        self.begun = True
        self._at(now)
        self._start_deadline()
        data, text = self._input
        self._guarded(self._begin, data, text)
        return self._take_pending()

    def redrive(self, now: float | None = None) -> list[Effect]:
        """Run a FAILED, TIMED_OUT or ABORTED execution again from where it stopped (AWS's
        RedriveExecution): ``ExecutionRedriven``, then the states that had not ended are
        entered again with the input and variables they had; a Map's or Parallel's units
        that had succeeded keep their outputs. Raises ``NotRedrivable`` with AWS's reason."""
        reason = self.not_redrivable()
        if reason is not None:
            raise NotRedrivable(reason)
        point = self.redrive_point
        assert point is not None
        self._at(now)
        execution = self.execution
        count = int(execution.execution_object.get("RedriveCount", 0)) + 1
        execution.execution_object["RedriveCount"] = count
        self.result, self.redrive_point = None, None
        execution.log.limit = HISTORY_LIMIT - 1
        frame = Frame(execution)
        frame.add_event("ExecutionRedriven", {"redriveCount": count})
        self.root = MachineRun(self, self.machine, frame)
        self._start_deadline()
        self._guarded(self._redrive, point)
        return self._take_pending()

    def not_redrivable(self) -> str | None:
        """Why a redrive is refused (AWS's redriveStatusReason), or None if it may go ahead."""
        if self.result is None:
            return "Execution is RUNNING and cannot be redriven"
        if self.result.status == "SUCCEEDED":
            return "Execution is SUCCEEDED and cannot be redriven"
        if self.execution.log.next_id >= HISTORY_LIMIT - 1 or self.redrive_point is None:
            return "Execution history event limit exceeded"
        return None

    def _redrive(self, point: dict[str, Any]) -> None:
        self.root.redrive(point)
        self._cascade(self.root)

    def _start_deadline(self) -> None:
        if self.timeout_seconds is not None:
            key = self.execution.new_key()
            due = self.execution.now + self.timeout_seconds
            self.deadline_key = key
            self.started(StartTimer(key, due, float(self.timeout_seconds)), None)

    def advance(self, signal: Signal, now: float | None = None) -> list[Effect]:
        """Hand the run the answer to one of its effects; the effects it starts (or cancels).

        A signal for a key the run does not await (a duplicate, or an answer to cancelled
        work) changes nothing; one that cannot answer the awaited effect is refused.
        """
        effect = self.awaited.get(signal.key)
        if self.finished or effect is None:
            return []
        if not isinstance(signal, ANSWERS[type(effect)]):
            raise SignalRefused(
                f"{type(signal).__name__} cannot answer {type(effect).__name__} {signal.key}"
            )
        resolves = not isinstance(signal, TaskStarted | TaskHeartbeat)
        if isinstance(signal, TaskStarted):
            if signal.key in self.running_tasks:
                return []
            self.running_tasks.add(signal.key)
        elif resolves:
            del self.awaited[signal.key]
            self.running_tasks.discard(signal.key)
        self._at(now)
        if signal.key == self.deadline_key:
            self.deadline_key = None
            self._end_abnormally("TIMED_OUT", "ExecutionTimedOut", TIMEOUT, None)
            return self._take_pending()
        machine = self.owners[signal.key]
        if resolves:
            del self.owners[signal.key]
        assert machine is not None
        self._guarded(self._resume, machine, signal)
        return self._take_pending()

    def update_map_run(self, update: MapRunUpdated, now: float | None = None) -> list[Effect]:
        """Give a Map Run this execution runs new settings (AWS's UpdateMapRun); the effects
        that follow: more children started, or, when the failures so far pass the new
        threshold, the Map Run failed and its running children stopped. A Map Run the
        execution is not running (it ended, or is not this execution's) is left alone."""
        fork = None if self.finished else self._map_run(update.arn)
        if fork is None:
            return []
        self._at(now)
        self._guarded(self._retune, fork, update)
        return self._take_pending()

    def _map_run(self, arn: str) -> FanOut | None:
        return next((fork for fork in self.root.forks() if fork.source.map_run_arn == arn), None)

    def _retune(self, fork: FanOut, update: MapRunUpdated) -> None:
        fork.retune(update)
        if fork.done:
            machine = fork.parent
            machine.join()
            self._cascade(machine)

    def stop(
        self, error: str | None = None, cause: str | None = None, now: float | None = None
    ) -> list[Effect]:
        """Abort the execution (AWS's StopExecution): every outstanding effect is cancelled.

        AWS records ``ExecutionAborted`` linked to no earlier event and nothing for the states
        that were running (``docs/aws-lifecycle.md``).
        """
        if self.finished:
            return []
        self._at(now)
        self._end_abnormally("ABORTED", "ExecutionAborted", error, cause)
        return self._take_pending()

    # Inside a transition -------------------------------------------------------------------

    def _at(self, now: float | None) -> None:
        self.execution.now = self.clock.now().timestamp() if now is None else now

    def _guarded(self, step: Any, *arguments: Any) -> None:
        """Run one step of the transition; an execution that breaks fails, the caller goes on."""
        try:
            step(*arguments)
        except HistoryLimitReached:
            self._end_for_history_limit()
        except Exception as error:  # a fault of ours fails this execution only
            cause = f"Internal error: {type(error).__name__}: {error}"
            self._cancel_everything()
            self._record_failure(StatesError(cause, RUNTIME))

    def _begin(self, data: JSON, text: str | None) -> None:
        self.root.begin(data, text)
        self._cascade(self.root)

    def _resume(self, machine: Unit, signal: Signal) -> None:
        machine.resume(signal)
        self._cascade(machine)

    def _cascade(self, machine: Unit) -> None:
        """Carry a machine's ending upwards: its fork starts more units or, once done, hands
        its state the outcome, which may end that machine in turn."""
        while machine.ended:
            fork = machine.parent
            if fork is None:
                self._machine_ended()
                return
            fork.unit_ended(machine)
            fork.settle()
            if not fork.done:
                return
            machine = fork.parent
            machine.join()

    def _machine_ended(self) -> None:
        root = self.root
        self._cancel_deadline()
        self.execution.log.limit = HISTORY_LIMIT  # the ending may be the quota's last event
        frame = root.frame
        if root.error is not None:
            self._record_failure(root.error)
            return
        output = root.output
        assert output is not None
        frame.add_event(
            "ExecutionSucceeded",
            {"output": Json(output.value, output.text), "outputDetails": NOT_TRUNCATED},
        )
        self.result = Ending("SUCCEEDED", output.text)

    def _record_failure(self, error: StatesError) -> None:
        self.redrive_point = self.root.failed_at
        self.execution.log.limit = HISTORY_LIMIT
        details = {}
        if error.cause:
            details["cause"] = error.cause
        if error.error:
            details["error"] = error.error
        self.root.frame.add_event("ExecutionFailed", details)
        self.result = Ending("FAILED", None, error.error or None, error.cause or None)

    def _end_abnormally(
        self, status: Status, event_type: str, error: str | None, cause: str | None
    ) -> None:
        self._cancel_everything()
        self.redrive_point = self.root.failed_at
        details: dict[str, str] = {}
        if error is not None:
            details["error"] = error
        if cause is not None:
            details["cause"] = cause
        frame = self.root.frame
        frame.last_event_id = 0
        self.execution.log.limit = HISTORY_LIMIT  # the ending may be the quota's last event
        frame.add_event(event_type, details)
        self.result = Ending(status, None, error, cause)

    def _end_for_history_limit(self) -> None:
        """The next event would pass the quota: the execution fails as AWS fails it, with its
        last event the quota's."""
        self._cancel_everything()
        log = self.execution.log
        frame = self.root.frame
        frame.last_event_id = log.last_id
        self._record_failure(StatesError(HISTORY_LIMIT_CAUSE, RUNTIME))
        self.redrive_point = None

    def _cancel_everything(self) -> None:
        self.root.cancel()
        self._cancel_deadline()

    def _cancel_deadline(self) -> None:
        if self.deadline_key is not None:
            self.cancel(self.deadline_key)
            self.deadline_key = None

    def _take_pending(self) -> list[Effect]:
        effects, self.pending = self.pending, []
        return effects

    # Cursor: what machines tell the run ----------------------------------------------------

    def started(self, effect: Effect, machine: Unit | None) -> None:
        self.owners[effect.key] = machine
        self.awaited[effect.key] = effect
        self.pending.append(effect)

    def restored(self, effect: Effect, machine: Unit | None, started: bool) -> None:
        self.owners[effect.key] = machine
        self.awaited[effect.key] = effect
        if started:
            self.running_tasks.add(effect.key)

    def notice(self, effect: Effect) -> None:
        self.pending.append(effect)

    def cancel(self, key: int) -> None:
        self.owners.pop(key, None)
        self.running_tasks.discard(key)
        if self.awaited.pop(key, None) is not None:
            self.pending.append(Cancel(key))

    # Checkpoints --------------------------------------------------------------------------

    def checkpoint(self) -> dict[str, Any]:
        """The run as JSON-ready data; ``resume`` rebuilds it (ADR 0005)."""
        execution = self.execution
        saved: dict[str, Any] = {
            "version": CHECKPOINT_VERSION,
            "execution": execution.execution_object,
            "stateMachine": execution.state_machine_object,
            "region": execution.region,
            "account": execution.account,
            "arn": execution.execution_arn,
            "seed": execution.seed.hex(),
            "counters": list(execution.counters()),
            "now": execution.now,
            "begun": self.begun,
            "timeoutSeconds": self.timeout_seconds,
        }
        if self.result is not None:
            saved["ending"] = {
                "status": self.result.status,
                "output": self.result.output,
                "error": self.result.error,
                "cause": self.result.cause,
            }
            saved["redrive"] = self.redrive_point
            return saved
        if not self.begun:
            saved["input"] = self._input[1]
            return saved
        saved["deadline"] = None
        if self.deadline_key is not None:
            deadline = self.awaited[self.deadline_key]
            assert isinstance(deadline, StartTimer)
            saved["deadline"] = [self.deadline_key, deadline.due]
        saved["root"] = self.root.checkpoint()
        return saved


def start(run: ExecutionRun, now: float | None = None) -> list[Effect]:
    """Run from the first state until the execution ends or awaits effects; those effects."""
    return run.start(now)


def advance(run: ExecutionRun, signal: Signal, now: float | None = None) -> list[Effect]:
    """Hand ``run`` the answer to one of its effects; the effects it starts (or cancels)."""
    return run.advance(signal, now)


def stop(
    run: ExecutionRun, error: str | None = None, cause: str | None = None, now: float | None = None
) -> list[Effect]:
    """Abort ``run`` (AWS's StopExecution); the effects it cancels."""
    return run.stop(error, cause, now)


def redrive(run: ExecutionRun, now: float | None = None) -> list[Effect]:
    """Run ``run`` again from where it failed (AWS's RedriveExecution); its effects."""
    return run.redrive(now)


def checkpoint(run: ExecutionRun) -> dict[str, Any]:
    """``run`` as JSON-ready data; ``resume`` rebuilds it."""
    return run.checkpoint()


def begin(
    machine: MachinePlan,
    execution: Execution,
    data: JSON,
    text: str | None,
    **options: Any,
) -> ExecutionRun:
    """A run of ``machine`` over ``data`` whose ExecutionStarted is recorded and whose first
    state is not yet entered (``start`` runs its first steps)."""
    run = ExecutionRun(machine, execution, **options)
    run._input = (data, text)
    return run
