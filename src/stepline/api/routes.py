"""Routes of the server's own configuration to synchronous workflows: ``[[route]]`` tables in
``stepline serve``'s TOML file, each a method, a path and the state machine it runs::

    [[route]]
    method = "POST"                     # default POST
    path = "/orders/{order_id}/checkout"
    state_machine = "checkout"          # a name, name:alias, name:version or an ARN

A request with a body runs the workflow with the body as its input; one without runs it with
an object of its path parameters and query string (path parameters win), so that
``GET /orders/42`` can run a workflow on ``{"order_id": "42"}``. The answer is ``/invoke``'s.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stepline.asl.jsontext import dumps
from stepline.engine.errors import InvalidExecutionInput

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
RESERVED = ("/", "/health")
"""Paths the server answers itself (and every path under ``/invoke/``)."""

_PATH = re.compile(r"/[A-Za-z0-9._~!$&'()*+,;=:@%{}/-]*")
_PARAMETER = re.compile(r"\{([^{}]*)\}")
_KEYS = frozenset({"method", "path", "state_machine"})


@dataclass(frozen=True, slots=True)
class InvokeRoute:
    """``method path`` runs ``state_machine`` synchronously."""

    method: str
    path: str
    state_machine: str


class RouteError(ValueError):
    """A route of the configuration that cannot be served; the message says which and why."""


def routes_of(tables: Any) -> list[InvokeRoute]:
    """The routes ``[[route]]`` tables describe, checked: every mistake is a ``RouteError``
    naming the route (by its position, 1-based) and what is wrong."""
    if tables is None:
        return []
    if not isinstance(tables, list):
        raise RouteError("route: expected [[route]] tables (method, path, state_machine)")
    routes: list[InvokeRoute] = []
    seen: set[tuple[str, str]] = set()
    for position, table in enumerate(tables, start=1):
        route = _route(position, table)
        if (route.method, route.path) in seen:
            raise RouteError(f"route {position}: {route.method} {route.path} is routed twice")
        seen.add((route.method, route.path))
        routes.append(route)
    return routes


def _route(position: int, table: Any) -> InvokeRoute:
    where = f"route {position}"
    if not isinstance(table, dict):
        raise RouteError(f"{where}: expected a table with method, path and state_machine")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise RouteError(f"{where}: unknown key {unknown[0]!r} (keys: method, path, state_machine)")
    method = table.get("method", "POST")
    path = table.get("path")
    machine = table.get("state_machine")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise RouteError(f"{where}: method must be one of {', '.join(METHODS)}, not {method!r}")
    if not isinstance(path, str) or _PATH.fullmatch(path) is None:
        raise RouteError(f"{where}: path must be a URL path starting with '/', not {path!r}")
    if path in RESERVED or path == "/invoke" or path.startswith("/invoke/"):
        raise RouteError(f"{where}: path {path} is the server's own")
    names = _PARAMETER.findall(path)
    if any(not name.isidentifier() for name in names) or len(set(names)) != len(names):
        raise RouteError(
            f"{where}: path parameters must be distinct names in braces ({{order_id}}): {path}"
        )
    outside = _PARAMETER.sub("", path)
    if "{" in outside or "}" in outside:
        raise RouteError(f"{where}: unbalanced braces in path {path}")
    if not isinstance(machine, str) or not machine:
        raise RouteError(f"{where}: state_machine must name a state machine (name, name:alias)")
    return InvokeRoute(method.upper(), path, machine)


def text_of(body: bytes) -> str:
    """A request body as text; one that is not UTF-8 is refused as AWS refuses such input."""
    try:
        return body.decode()
    except UnicodeDecodeError:
        raise InvalidExecutionInput(
            "Invalid State Machine Execution Input: 'Invalid execution input.'"
        ) from None


def input_of(
    body: bytes, path_parameters: dict[str, str], query: Sequence[tuple[str, str]]
) -> str | None:
    """The input of a routed request: its body, or an object of its path parameters and query
    string when it has none (None when it has neither: the workflow's input is ``{}``)."""
    if body.strip():
        return text_of(body)
    fields = {**dict(query), **path_parameters}
    return dumps(fields) if fields else None
