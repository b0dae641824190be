"""The HTTP server's application: AWS's JSON protocol on ``POST /`` and synchronous workflows
on ``POST /invoke/<state machine name or alias>``, over one engine.

Actions run on a thread pool of the API's own (the engine and its store block); StartSyncExecution
and ``/invoke`` await the execution's ending without holding a thread. Every failure is
answered in AWS's shape; a fault of ours is logged and answered ``InternalFailure``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.datastructures import URL, Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from stepline.api import protocol, sigv4
from stepline.api.actions import ACTIONS
from stepline.api.actions.activities import begin_get_activity_task
from stepline.api.actions.executions import sync_result
from stepline.api.errors import ApiError, from_engine, internal_failure
from stepline.api.routes import InvokeRoute, input_of, text_of
from stepline.api.validation import validate
from stepline.engine import Engine, EngineError

log = logging.getLogger("stepline.api")
T = TypeVar("T")

AT_HAND = frozenset({"DescribeExecution", "DescribeStateMachine", "DescribeMapRun"})
"""Actions that read a row or two and nothing more: made on the event loop when the store's
reads are local (``_at_hand``), as a client polling an execution makes them many times. A
StartExecution is made there too when its first run is short (``Engine.starts_at_once``)."""

_THREADS = ThreadPoolExecutor(max_workers=40, thread_name_prefix="stepline-api")
"""Where actions that block (the store's reads and writes) run: as many threads as Starlette's
pool would give, at about half its CPU per hop (49 against 104 us, measured under uvloop)."""


async def in_thread(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``call`` made on the API's thread pool, awaited."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_THREADS, functools.partial(call, *args, **kwargs))


SYNC_LIMIT_SECONDS = 330.0
"""How long a synchronous call waits at most (an Express execution ends within 300 s)."""


def create_app(
    engine: Engine,
    *,
    close_engine: bool = True,
    keys: Mapping[str, str] | None = None,
    routes: Sequence[InvokeRoute] = (),
) -> ASGIApp:
    """The application over ``engine`` (started with the app, closed with it). With ``keys``
    (access key id to secret), every API request's SigV4 signature is checked; ``routes``
    (the configuration's ``[[route]]`` tables) run synchronous workflows as ``/invoke`` does."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine.start()
        try:
            yield
        finally:
            if close_engine:
                await in_thread(engine.close)

    async def invoke(request: Request) -> Response:
        return await _invoke(engine, request)

    async def health(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    application = Starlette(
        routes=[
            Route("/invoke/{name:path}", invoke, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
            *(_route(engine, route) for route in routes),
        ],
        lifespan=lifespan,
    )
    return AwsFrontDoor(application, engine, keys)


def _route(engine: Engine, route: InvokeRoute) -> Route:
    async def routed(request: Request) -> Response:
        return await _routed(engine, route, request)

    return Route(route.path, routed, methods=[route.method])


def _signature_check(
    keys: Mapping[str, str] | None, scope: Scope
) -> Callable[[bytes], None] | None:
    """What checks a request's SigV4 signature, when keys are configured."""
    if not keys:
        return None
    url, headers = str(URL(scope=scope)), Headers(scope=scope)
    return lambda body: sigv4.verify(keys, scope["method"], url, headers, body)


async def _answer_body(
    engine: Engine, body: bytes, target: str | None, check: Callable[[bytes], None] | None
) -> tuple[int, bytes]:
    """An AWS request's answer: its status and body (JSON in AWS's shape, errors too), once
    ``check`` (the signature's) has passed."""
    try:
        if check is not None:
            check(body)
        action = protocol.action_of(target)
        parameters = protocol.parameters_of(body)
        document = await _perform(engine, action, parameters)
    except ApiError as error:
        return error.status, protocol.encode(error.body())
    except EngineError as error:
        failure = from_engine(error)
        return failure.status, protocol.encode(failure.body())
    except Exception:  # a fault of ours: AWS's shape, and a log line
        log.exception("action failed unexpectedly")
        failure = internal_failure()
        return failure.status, protocol.encode(failure.body())
    return 200, protocol.encode(document)


class AwsFrontDoor:
    """``POST /`` (AWS's JSON protocol, most of the server's traffic) answered in plain ASGI;
    every other request goes to ``app``. Starlette's middleware, routing and request and
    response objects cost about a third of the event loop's time per request (a py-spy
    profile of back-to-back StartExecution calls), and none of them is needed here. The body
    is read only up to ``protocol.MAX_BODY_BYTES``: a larger one is refused without being
    held in memory."""

    def __init__(self, app: ASGIApp, engine: Engine, keys: Mapping[str, str] | None) -> None:
        self.app = app
        self.engine = engine
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body = await _body_of(receive)
        if body is None:
            return  # the client went away
        target = None
        for name, value in scope["headers"]:
            if name == b"x-amz-target":
                target = value.decode("latin-1")
                break
        if isinstance(body, ApiError):
            status, payload = body.status, protocol.encode(body.body())
        else:
            check = _signature_check(self.keys, scope)
            status, payload = await _answer_body(self.engine, body, target, check)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", _CONTENT_TYPE),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


_CONTENT_TYPE = protocol.CONTENT_TYPE.encode()


async def _body_of(receive: Receive) -> bytes | ApiError | None:
    """The request's body; an ApiError past ``MAX_BODY_BYTES`` (the rest is not read); None
    when the client disconnected."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > protocol.MAX_BODY_BYTES:
            return ApiError("RequestEntityTooLargeException", "Request body is too large", 413)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _perform(engine: Engine, action: str, parameters: dict[str, Any]) -> dict[str, Any]:
    validate(action, parameters)
    if action == "StartSyncExecution":
        return await _start_sync(engine, parameters)
    if action == "GetActivityTask":  # a long poll (up to 60 s) awaited, holding no thread
        polling = await in_thread(begin_get_activity_task, engine, parameters)
        return await asyncio.wrap_future(polling)
    perform = ACTIONS.get(action)
    if perform is None:
        raise ApiError("UnknownOperationException", f"Unknown operation {action}")
    if action in AT_HAND or (
        action == "StartExecution"
        and engine.store.local_reads
        and engine.starts_at_once(parameters["stateMachineArn"])
    ):
        return await _at_hand(engine, perform, engine, parameters)
    return await in_thread(perform, engine, parameters)


async def _start_sync(engine: Engine, parameters: dict[str, Any]) -> dict[str, Any]:
    started = await _at_hand(
        engine,
        engine.begin_sync_execution,
        parameters["stateMachineArn"],
        parameters.get("input"),
        name=parameters.get("name"),
    )
    write = await asyncio.wait_for(asyncio.wrap_future(started.ending), SYNC_LIMIT_SECONDS)
    result = engine.end_sync_execution(started, write)  # it does not block
    return sync_result(result, parameters.get("traceHeader"))


async def _invoke(engine: Engine, request: Request) -> Response:
    """``POST /invoke/<name>``: the body is the input."""
    body = await request.body()
    return await _run_sync(engine, request.path_params["name"], lambda: text_of(body) or None)


async def _routed(engine: Engine, route: InvokeRoute, request: Request) -> Response:
    """A route of the configuration: the body is the input, or else the path parameters and
    query string (``routes.input_of``)."""
    body = await request.body()
    parameters = {key: str(value) for key, value in request.path_params.items()}
    query = list(request.query_params.multi_items())
    return await _run_sync(engine, route.state_machine, lambda: input_of(body, parameters, query))


async def _run_sync(
    engine: Engine, name: str, input_of_request: Callable[[], str | None]
) -> Response:
    """Run ``name`` (a state machine's name, ``name:alias`` or an ARN) synchronously; the
    answer is its output (200), or the error and cause with ``INVOKE_STATUS``."""
    try:
        text = input_of_request()
        machine = engine.state_machine_arn_of(name)
        started = await _at_hand(
            engine, engine.begin_sync_execution, machine, text if text and text.strip() else None
        )
        write = await asyncio.wait_for(asyncio.wrap_future(started.ending), SYNC_LIMIT_SECONDS)
        result = engine.end_sync_execution(started, write)
    except EngineError as error:
        status = 404 if error.code == "StateMachineDoesNotExist" else 400
        return _json({"error": error.code, "cause": error.message}, status)
    except Exception:
        log.exception("invoke failed unexpectedly")
        return _json({"error": "InternalFailure", "cause": "an unknown error"}, 500)
    if result.status == "SUCCEEDED":
        return Response(result.output or "null", media_type="application/json")
    return _json(
        {"error": result.error, "cause": result.cause, "status": result.status},
        INVOKE_STATUS.get(result.status, 500),
    )


async def _at_hand(engine: Engine, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``call`` (reads, a short start: work for the CPU and a local commit) made here, on the
    event loop, when the store's reads are local (SQLite's: microseconds), sparing the request
    two thread hops and the GIL's hand-overs between threads; on the thread pool when they are
    not. A start's commit may wait for the one SQLite writer, the engine's loop, for as long
    as its commit takes (ADR 0010)."""
    if engine.store.local_reads:
        return call(*args, **kwargs)
    return await in_thread(call, *args, **kwargs)


INVOKE_STATUS = {"FAILED": 422, "TIMED_OUT": 504, "ABORTED": 409}
"""HTTP statuses of ``/invoke`` for a workflow that did not succeed: it failed (the request
was understood, the work refused: 422), it ran out of time (504), it was stopped (409)."""


def _json(document: Any, status: int, media_type: str = "application/json") -> Response:
    return Response(protocol.encode(document), status_code=status, media_type=media_type)
