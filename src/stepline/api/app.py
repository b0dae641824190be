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
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

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
reads are local (``_at_hand``), as a client polling an execution makes them many times."""

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
) -> Starlette:
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

    async def aws(request: Request) -> Response:
        return await _answer(engine, request, keys)

    async def invoke(request: Request) -> Response:
        return await _invoke(engine, request)

    async def health(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    return Starlette(
        routes=[
            Route("/", aws, methods=["POST"]),
            Route("/invoke/{name:path}", invoke, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
            *(_route(engine, route) for route in routes),
        ],
        lifespan=lifespan,
    )


def _route(engine: Engine, route: InvokeRoute) -> Route:
    async def routed(request: Request) -> Response:
        return await _routed(engine, route, request)

    return Route(route.path, routed, methods=[route.method])


async def _answer(engine: Engine, request: Request, keys: Mapping[str, str] | None) -> Response:
    try:
        body = await request.body()
        if keys:
            sigv4.verify(keys, request.method, str(request.url), request.headers, body)
        action = protocol.action_of(request.headers.get("x-amz-target"))
        parameters = protocol.parameters_of(body)
        document = await _perform(engine, action, parameters)
    except ApiError as error:
        return _error(error)
    except EngineError as error:
        return _error(from_engine(error))
    except Exception:  # a fault of ours: AWS's shape, and a log line
        log.exception("action failed unexpectedly")
        return _error(internal_failure())
    return Response(protocol.encode(document), media_type=protocol.CONTENT_TYPE)


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
    if action in AT_HAND:
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
    """``call`` (a start of a synchronous workflow: reads, and work for the CPU) made here, on
    the event loop, when the store's reads are local (SQLite's: microseconds, never a wait on a
    writer), sparing the request two thread hops; on the thread pool when they are not."""
    if engine.store.local_reads:
        return call(*args, **kwargs)
    return await in_thread(call, *args, **kwargs)


INVOKE_STATUS = {"FAILED": 422, "TIMED_OUT": 504, "ABORTED": 409}
"""HTTP statuses of ``/invoke`` for a workflow that did not succeed: it failed (the request
was understood, the work refused: 422), it ran out of time (504), it was stopped (409)."""


def _error(error: ApiError) -> Response:
    return _json(error.body(), error.status, protocol.CONTENT_TYPE)


def _json(document: Any, status: int, media_type: str = "application/json") -> Response:
    return Response(protocol.encode(document), status_code=status, media_type=media_type)
