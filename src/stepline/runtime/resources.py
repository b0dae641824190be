"""Task resources: what a Task's ``Resource`` ARN resolves to, and the events it records.

Resolution happens once, when the plan is compiled. This issue's one family is in-process
functions (``stepline.runtime.functions``) reached through Lambda's two ARN forms; the real
integrations (HTTP, containers, activities, callbacks, nested executions) plug in here later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from stepline.asl.errors import TIMEOUT, StatesError, StatesRuntime, StatesTimeout, TaskError
from stepline.asl.jsontext import dumps, loads
from stepline.asl.scope import JSON
from stepline.runtime.effects import (
    InvokeFunction,
    Routine,
    TaskFailed,
    TaskSucceeded,
    TaskTimedOut,
    await_effect,
)
from stepline.runtime.entry import Entry
from stepline.runtime.events import Json
from stepline.runtime.frame import NOT_TRUNCATED
from stepline.runtime.functions import function_name_of
from stepline.runtime.plan import checked_text

_FUNCTION_ARN = re.compile(r"arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:[^:]+(:[^:]+)?\Z")


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
    if arn.startswith("arn:aws:states:::lambda:invoke") and arn.count(".") == 0:
        return LambdaInvokeIntegration()
    if _FUNCTION_ARN.match(arn):
        return LambdaFunction(arn)
    return UnsupportedResource(arn)


def _call(
    invocation: Invocation, function: str, payload: JSON, *, as_invoke_response: bool = False
) -> Routine[JSON]:
    """Have the driver run ``function``; its answer becomes the result or a StatesError."""
    effect = InvokeFunction(
        invocation.entry.frame.execution.new_key(),
        function,
        payload,
        invocation.timeout_seconds,
        invocation.heartbeat_seconds,
        as_invoke_response,
    )
    signal = yield from await_effect(effect)
    if isinstance(signal, TaskFailed):
        raise TaskError(signal.error, signal.cause)
    if isinstance(signal, TaskTimedOut):
        raise StatesTimeout("")
    assert isinstance(signal, TaskSucceeded), signal
    return signal.output


class LambdaFunction:
    """``arn:aws:lambda:…:function:NAME``: the parameters are the event, the return the result."""

    def __init__(self, arn: str) -> None:
        self.arn = arn

    def invoke(self, invocation: Invocation) -> Routine[JSON]:
        frame = invocation.entry.frame
        scheduled: dict[str, Any] = {
            "input": Json(invocation.parameters),
            "inputDetails": NOT_TRUNCATED,
            "resource": self.arn,
        }
        if invocation.timeout_seconds is not None:
            scheduled["timeoutInSeconds"] = invocation.timeout_seconds
        frame.add_event("LambdaFunctionScheduled", scheduled)
        frame.add_event("LambdaFunctionStarted")
        try:
            result = yield from _call(invocation, self.arn, invocation.parameters)
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
        frame.add_event("TaskStarted", dict(named))
        try:
            result = yield from self._run(invocation)
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

    def _run(self, invocation: Invocation) -> Routine[JSON]:
        parameters = invocation.parameters
        if not isinstance(parameters, dict) or not isinstance(parameters.get("FunctionName"), str):
            raise StatesRuntime(
                "The Parameters of a lambda:invoke Task must name a FunctionName string."
            )
        name = function_name_of(parameters["FunctionName"])
        # Invoke without a Payload (or with a null one) hands the function an empty object.
        payload = parameters.get("Payload")
        if payload is None:
            payload = {}
        try:
            result = yield from _call(invocation, name, payload, as_invoke_response=True)
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


class UnsupportedResource:
    """A resource Stepline cannot run in-process yet: the Task fails with a clear cause."""

    def __init__(self, arn: str) -> None:
        self.arn = arn

    def invoke(self, invocation: Invocation) -> Routine[JSON]:
        raise StatesRuntime(f"The resource '{self.arn}' is not supported by Stepline yet.")
        yield []  # pragma: no cover - makes this a routine
