"""Task resources: what a Task's ``Resource`` ARN resolves to, and the events it records.

Resolution happens once, when the plan is compiled. Two families run today: in-process
functions (``stepline.runtime.functions``) reached through Lambda's two ARN forms, and
activities (``arn:aws:states:<region>:<account>:activity:<name>``), whose work waits for a
worker outside Stepline to ask for it (GetActivityTask) and answer by its token. The other
integrations (HTTP, containers, callbacks, nested executions) plug in here later.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from stepline.asl.errors import TIMEOUT, StatesError, StatesRuntime, StatesTimeout, TaskError
from stepline.asl.jsontext import dumps, loads
from stepline.asl.scope import JSON
from stepline.runtime.effects import (
    Cancel,
    Dispatch,
    Effect,
    Routine,
    Signal,
    StartTimer,
    TaskFailed,
    TaskHeartbeat,
    TaskStarted,
    TaskSucceeded,
    TimerFired,
    task_token,
)
from stepline.runtime.entry import Entry
from stepline.runtime.events import Json
from stepline.runtime.frame import NOT_TRUNCATED, Execution, Frame
from stepline.runtime.functions import LAMBDA_INVOKE
from stepline.runtime.state_plan import checked_text

_FUNCTION_ARN = re.compile(r"arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:[^:]+(:[^:]+)?\Z")
_ACTIVITY_ARN = re.compile(r"arn:aws[a-z-]*:states:[^:]+:[^:]+:activity:[^:]+\Z")


def is_activity(resource: str) -> bool:
    """Whether a Task's (or a dispatch's) resource is an activity: its work is done by a
    worker that polls for it, never by Stepline's own workers."""
    return _ACTIVITY_ARN.match(resource) is not None


@dataclass(frozen=True, slots=True)
class Invocation:
    entry: Entry
    parameters: JSON
    timeout_seconds: int | None
    heartbeat_seconds: int | None


class Resource(Protocol):
    def invoke(self, invocation: Invocation) -> Routine[JSON]:
        """Have the work done, recording its events; return the result or raise a StatesError."""
        ...


def resolve_resource(arn: str) -> Resource:
    if arn.startswith(LAMBDA_INVOKE) and arn.count(".") == 0:
        return LambdaInvokeIntegration()
    if _FUNCTION_ARN.match(arn):
        return LambdaFunction(arn)
    if is_activity(arn):
        return Activity(arn)
    return UnsupportedResource(arn)


def perform(
    invocation: Invocation,
    resource: str,
    parameters: JSON,
    on_started: Callable[[Signal], None],
) -> Routine[JSON]:
    """Have the driver do the work; its answer becomes the result or a StatesError.

    ``on_started`` records the resource's Started event once the work really starts (before
    the result, if the driver sends that first); it is given the signal that started it (an
    activity's TaskStarted names its worker). From then on the Task's TimeoutSeconds and
    HeartbeatSeconds run as timers; whichever fires first fails the Task with
    ``States.Timeout`` (AWS reports a missed heartbeat with the same error). What the routine
    still awaits when it ends (the work, a timer) is cancelled by the machine running it.
    """
    execution = invocation.entry.frame.execution
    key = execution.new_key()
    timeout, heartbeat = invocation.timeout_seconds, invocation.heartbeat_seconds
    dispatch = Dispatch(key, resource, parameters, task_token(execution, key), timeout, heartbeat)
    started = False
    heartbeat_key: int | None = None
    timers: set[int] = set()
    signal = yield [dispatch]
    while True:
        if isinstance(signal, TimerFired):
            raise StatesTimeout("")
        if not started:
            started = True
            on_started(signal)
            effects: list[Effect] = []
            if timeout is not None:
                effects.append(_timer(execution, timeout, timers))
            if heartbeat is not None:
                effects.append(_timer(execution, heartbeat, timers))
                heartbeat_key = effects[-1].key
            if isinstance(signal, TaskStarted | TaskHeartbeat):
                signal = yield effects
                continue
        if isinstance(signal, TaskHeartbeat):
            effects = []
            if heartbeat_key is not None:
                effects = [Cancel(heartbeat_key), _timer(execution, heartbeat or 0, timers)]
                heartbeat_key = effects[-1].key
            signal = yield effects
            continue
        if isinstance(signal, TaskStarted):
            signal = yield []
            continue
        if isinstance(signal, TaskFailed):
            raise TaskError(signal.error, signal.cause)
        assert isinstance(signal, TaskSucceeded), signal
        return signal.output


def _recorder(
    frame: Frame, event_type: str, details: dict[str, Any] | None = None
) -> Callable[[Signal], None]:
    """Records ``event_type`` when called (a resource's Started event)."""

    def record(signal: Signal) -> None:
        frame.add_event(event_type, dict(details) if details is not None else None)

    return record


def _timer(execution: Execution, seconds: int, timers: set[int]) -> StartTimer:
    timer = StartTimer(execution.new_key(), execution.now + seconds, float(seconds))
    timers.add(timer.key)
    return timer


def _scheduled(invocation: Invocation, arn: str) -> dict[str, Any]:
    """The details of a ...Scheduled event: the input, the resource, the timeout if any."""
    scheduled: dict[str, Any] = {
        "input": Json(invocation.parameters),
        "inputDetails": NOT_TRUNCATED,
        "resource": arn,
    }
    if invocation.timeout_seconds is not None:
        scheduled["timeoutInSeconds"] = invocation.timeout_seconds
    return scheduled


class LambdaFunction:
    """``arn:aws:lambda:…:function:NAME``: the parameters are the event, the return the result."""

    def __init__(self, arn: str) -> None:
        self.arn = arn

    def invoke(self, invocation: Invocation) -> Routine[JSON]:
        frame = invocation.entry.frame
        frame.add_event("LambdaFunctionScheduled", _scheduled(invocation, self.arn))
        try:
            result = yield from perform(
                invocation,
                self.arn,
                invocation.parameters,
                _recorder(frame, "LambdaFunctionStarted"),
            )
            checked_text(result, self.arn)
        except StatesError as error:
            if error.error == TIMEOUT:
                frame.add_event("LambdaFunctionTimedOut", {"error": error.error})
            else:
                frame.add_event(
                    "LambdaFunctionFailed", {"cause": error.cause, "error": error.error}
                )
            raise
        frame.add_event(
            "LambdaFunctionSucceeded", {"output": Json(result), "outputDetails": NOT_TRUNCATED}
        )
        return result


class LambdaInvokeIntegration:
    """``arn:aws:states:::lambda:invoke``: FunctionName and Payload in, Invoke's response out."""

    resource = "invoke"
    resource_type = "lambda"

    def invoke(self, invocation: Invocation) -> Routine[JSON]:
        frame = invocation.entry.frame
        named = {"resource": self.resource, "resourceType": self.resource_type}
        scheduled: dict[str, Any] = {
            "parameters": Json(invocation.parameters),
            "region": frame.execution.region,
            **named,
        }
        if invocation.timeout_seconds is not None:
            scheduled["timeoutInSeconds"] = invocation.timeout_seconds
        if invocation.heartbeat_seconds is not None:
            scheduled["heartbeatInSeconds"] = invocation.heartbeat_seconds
        frame.add_event("TaskScheduled", scheduled)
        try:
            result = yield from self._run(invocation, _recorder(frame, "TaskStarted", named))
        except StatesError as error:
            if error.error == TIMEOUT:
                frame.add_event("TaskTimedOut", {"error": error.error, **named})
            else:
                frame.add_event("TaskFailed", {"cause": error.cause, "error": error.error, **named})
            raise
        frame.add_event(
            "TaskSucceeded", {"output": Json(result), "outputDetails": NOT_TRUNCATED, **named}
        )
        return result

    def _run(self, invocation: Invocation, on_started: Callable[[Signal], None]) -> Routine[JSON]:
        parameters = invocation.parameters
        if not isinstance(parameters, dict) or not isinstance(parameters.get("FunctionName"), str):
            raise StatesRuntime(
                "The Parameters of a lambda:invoke Task must name a FunctionName string."
            )
        try:
            result = yield from perform(invocation, LAMBDA_INVOKE, parameters, on_started)
        except TaskError as error:
            raise TaskError(error.error, _compact(error.cause)) from None
        checked_text(result, self.resource_type)
        return result


def _compact(cause: str) -> str:
    """The optimised integration re-serialises a JSON cause compactly."""
    try:
        return dumps(loads(cause))
    except ValueError:
        return cause


class Activity:
    """``arn:aws:states:…:activity:NAME``: the effective input waits for a worker to ask for it
    (GetActivityTask); the worker's answer (SendTaskSuccess, SendTaskFailure) is the result.

    AWS records ActivityScheduled when the task is queued and ActivityStarted (with the
    worker's name) when a worker takes it; TimeoutSeconds and HeartbeatSeconds count from
    then, so a task no worker takes waits until the execution's own timeout
    (``docs/aws-lifecycle.md`` section 7).
    """

    def __init__(self, arn: str) -> None:
        self.arn = arn

    def invoke(self, invocation: Invocation) -> Routine[JSON]:
        frame = invocation.entry.frame
        scheduled = _scheduled(invocation, self.arn)
        if invocation.heartbeat_seconds is not None:
            scheduled["heartbeatInSeconds"] = invocation.heartbeat_seconds
        frame.add_event("ActivityScheduled", scheduled)

        def started(signal: Signal) -> None:
            worker = signal.worker_name if isinstance(signal, TaskStarted) else None
            frame.add_event("ActivityStarted", {} if worker is None else {"workerName": worker})

        try:
            result = yield from perform(invocation, self.arn, invocation.parameters, started)
            checked_text(result, self.arn)
        except StatesError as error:
            if error.error == TIMEOUT:
                frame.add_event("ActivityTimedOut", {"error": error.error})
            else:
                frame.add_event("ActivityFailed", _failure_details(error))
            raise
        frame.add_event(
            "ActivitySucceeded", {"output": Json(result), "outputDetails": NOT_TRUNCATED}
        )
        return result


def _failure_details(error: StatesError) -> dict[str, str]:
    """A worker's error and cause, each left out when it sent none (as ExecutionFailed)."""
    details = {}
    if error.cause:
        details["cause"] = error.cause
    if error.error:
        details["error"] = error.error
    return details


class UnsupportedResource:
    """A resource Stepline cannot run in-process yet: the Task fails with a clear cause."""

    def __init__(self, arn: str) -> None:
        self.arn = arn

    def invoke(self, invocation: Invocation) -> Routine[JSON]:
        raise StatesRuntime(f"The resource '{self.arn}' is not supported by Stepline yet.")
        yield []  # pragma: no cover - makes this a routine
