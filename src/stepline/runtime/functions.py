"""In-process functions: Python callables that Lambda Task resources resolve to.

A function is written like an AWS Lambda Python handler, ``handler(event, context)``, so a
user's real handler can be registered as it is. Both Lambda resource forms reach it:
``arn:aws:states:::lambda:invoke`` (``FunctionName`` in the parameters; the result wrapped in
Lambda's Invoke response) and a function ARN ``arn:aws:lambda:<region>:<account>:function:<name>``
(the handler's return value is the result). An exception raised by the handler becomes the
Lambda error AWS reports: the error is the exception's class name, the cause Lambda's JSON.
"""

from __future__ import annotations

import email.utils
import inspect
import json
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stepline.asl.errors import TaskError
from stepline.asl.jsontext import dumps, loads
from stepline.asl.scope import JSON

Handler = Callable[[JSON, "LambdaContext"], JSON]

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
"""The optimised Lambda integration's resource: FunctionName and Payload in its parameters."""


@dataclass(frozen=True)
class LambdaContext:
    """The subset of Lambda's context object a handler commonly reads."""

    function_name: str
    invoked_function_arn: str
    aws_request_id: str
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 128


def function_name_of(reference: str) -> str:
    """The bare name in a function name, partial ARN or full ARN (qualifier dropped)."""
    if reference.startswith("arn:"):
        parts = reference.split(":")
        return parts[6] if len(parts) > 6 else reference
    return reference.split(":", maxsplit=1)[0]


class FunctionRegistry:
    """Functions by name. ``invoke`` runs one and returns its result or raises ``TaskError``."""

    def __init__(self, handlers: dict[str, Handler] | None = None) -> None:
        self._handlers: dict[str, Handler] = dict(handlers or {})

    def register(self, name: str, handler: Handler) -> None:
        self._handlers[name] = handler

    def handlers(self) -> dict[str, Handler]:
        """The functions registered, by name."""
        return dict(self._handlers)

    def perform(
        self,
        resource: str,
        parameters: JSON,
        *,
        region: str,
        account: str,
        now: datetime | None = None,
    ) -> JSON:
        """Carry out a Task's work addressed to a function: ``resource`` is a Lambda function
        ARN (``parameters`` are the event) or ``lambda:invoke`` (``parameters`` name the
        FunctionName and Payload; the result is Lambda's Invoke response around the output).
        """
        if resource != LAMBDA_INVOKE:
            return self.invoke(resource, parameters, region=region, account=account)
        # Invoke without a Payload (or with a null one) hands the function an empty object.
        payload = parameters.get("Payload")
        if payload is None:
            payload = {}
        result = self.invoke(parameters["FunctionName"], payload, region=region, account=account)
        return invoke_response(result, now=now)

    def invoke(self, reference: str, payload: JSON, *, region: str, account: str) -> JSON:
        """Run the function ``reference`` names with ``payload`` as its event."""
        name = function_name_of(reference)
        arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
        handler = self._handlers.get(name)
        if handler is None:
            raise TaskError(
                "Lambda.ResourceNotFoundException",
                f"Function not found: {arn}:$LATEST (Service: AWSLambda; Status Code: 404; "
                f"Error Code: ResourceNotFoundException; Request ID: {uuid.uuid4()}; Proxy: null)",
            )
        request_id = str(uuid.uuid4())
        context = LambdaContext(name, arn, request_id)
        # The handler gets its own copy, as a real Lambda gets the payload over the wire: a
        # handler that mutates its event must not reach into the execution's values.
        event = loads(dumps(payload))
        try:
            result = handler(event, context)
        except Exception as error:
            raise TaskError(type(error).__name__, _error_cause(error, request_id)) from error
        return _as_payload(result, request_id)


def _as_payload(result: Any, request_id: str) -> JSON:
    """What the caller receives: a handler's value as JSON, or returned bytes as Lambda's raw
    response payload (JSON when they parse as JSON, else their text). A value JSON cannot
    hold (a set, an object, the coroutine of an ``async def`` handler, which Lambda's Python
    runtime never awaits) fails the Task with ``Runtime.MarshalError``, as on Lambda."""
    if isinstance(result, bytes | bytearray):
        try:
            return loads(bytes(result))
        except ValueError:
            return bytes(result).decode("utf-8", errors="replace")
    if inspect.iscoroutine(result):
        result.close()  # never run: closing it spares a "never awaited" warning
    try:
        return loads(dumps(result))
    except (TypeError, ValueError) as error:
        raise TaskError("Runtime.MarshalError", _marshal_cause(error, request_id)) from None


def _marshal_cause(error: Exception, request_id: str) -> str:
    """Lambda's answer when a handler's value cannot be serialised (no stack trace: the
    handler returned; the runtime failed after it)."""
    return json.dumps(
        {
            "errorMessage": f"Unable to marshal response: {error}",
            "errorType": "Runtime.MarshalError",
            "requestId": request_id,
            "stackTrace": [],
        },
        ensure_ascii=False,
    )


def _error_cause(error: Exception, request_id: str) -> str:
    # Lambda's Python runtime writes this JSON with ", " and ": " between items, and the
    # function-ARN Task form passes it on verbatim (lambda:invoke compacts it; see resources).
    frames = traceback.extract_tb(error.__traceback__)[1:]
    return json.dumps(
        {
            "errorMessage": str(error),
            "errorType": type(error).__name__,
            "requestId": request_id,
            "stackTrace": traceback.format_list(frames),
        },
        ensure_ascii=False,
    )


def invoke_response(
    payload: JSON, request_id: str | None = None, *, now: datetime | None = None
) -> dict[str, Any]:
    """Lambda's Invoke response as the optimised ``lambda:invoke`` integration returns it.

    The headers describe the response body as Lambda's Python runtime writes it (``json.dumps``
    with its default ", " and ": " separators), which is what Content-Length counts.
    """
    request_id = request_id or str(uuid.uuid4())
    length = str(len(json.dumps(payload, ensure_ascii=False).encode()))
    date = email.utils.formatdate(now.timestamp() if now else None, usegmt=True)
    trace_id = f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]};Sampled=0"
    return {
        "ExecutedVersion": "$LATEST",
        "Payload": payload,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {
                "X-Amz-Executed-Version": ["$LATEST"],
                "x-amzn-Remapped-Content-Length": ["0"],
                "Connection": ["keep-alive"],
                "x-amzn-RequestId": [request_id],
                "Content-Length": [length],
                "Date": [date],
                "X-Amzn-Trace-Id": [trace_id],
                "Content-Type": ["application/json"],
            },
            "HttpHeaders": {
                "Connection": "keep-alive",
                "Content-Length": length,
                "Content-Type": "application/json",
                "Date": date,
                "X-Amz-Executed-Version": "$LATEST",
                "x-amzn-Remapped-Content-Length": "0",
                "x-amzn-RequestId": request_id,
                "X-Amzn-Trace-Id": trace_id,
            },
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": {"RequestId": request_id},
        "StatusCode": 200,
    }
