"""``stepline serve``: the server. AWS's Step Functions API on ``POST /`` (boto3, the AWS CLI
and the SDKs talk to it with ``--endpoint-url``) and synchronous workflows on
``POST /invoke/<name>``.

With no options it keeps its data in SQLite under ``~/.stepline`` (``STEPLINE_DATA_DIR``)
and listens on 127.0.0.1:8083, the port Step Functions Local uses. A TOML file
(``--config``) may set any option; the command line wins over it.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import sys
import tomllib
from pathlib import Path
from typing import Any

from stepline.cli.errors import UsageError

DEFAULT_PORT = 8083
"""Step Functions Local's port: clients configured for it find Stepline unchanged."""
DEFAULT_HOST = "127.0.0.1"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("serve", help="run the server", description=__doc__)
    parser.add_argument("--host", help=f"address to listen on (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, help=f"port to listen on (default {DEFAULT_PORT})")
    parser.add_argument(
        "--database",
        metavar="URL",
        help="sqlite:///PATH or postgresql://... (default: SQLite in the data directory)",
    )
    parser.add_argument("--data-dir", type=Path, help="where the default database lives")
    parser.add_argument(
        "--functions",
        action="append",
        metavar="MODULE",
        help="a module (dotted name or .py file) whose functions Lambda Tasks may call",
    )
    parser.add_argument("--config", type=Path, help="a TOML file with any of these options")
    parser.add_argument("--node", help="this node's name (several nodes share PostgreSQL)")
    parser.add_argument(
        "--access-key",
        action="append",
        metavar="ID:SECRET",
        help="accept only requests signed with this key (repeatable; default: any signature)",
    )
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    parser.add_argument(
        "--time-skipping",
        action="store_true",
        default=None,
        help="for tests: whenever nothing runs, jump the clock to the next Wait, retry or "
        "timeout instead of waiting for it (a day-long Wait ends at once)",
    )
    parser.set_defaults(handler=serve)


CONFIG_KEYS = (
    "host",
    "port",
    "database",
    "data_dir",
    "functions",
    "node",
    "log_level",
    "access_key",
    "time_skipping",
    "route",
)
"""What a configuration file may set: every option, and ``[[route]]`` tables."""
COMMAND_LINE_KEYS = tuple(key for key in CONFIG_KEYS if key != "route")
"""The options the command line may set too (it wins over the file)."""


def settings_of(arguments: argparse.Namespace) -> dict[str, Any]:
    """The options: the command line's, over the configuration file's, over the defaults."""
    settings: dict[str, Any] = {}
    if arguments.config is not None:
        try:
            settings = tomllib.loads(arguments.config.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise UsageError(f"cannot read {arguments.config}: {error}") from None
        unknown = sorted(set(settings) - set(CONFIG_KEYS))
        if unknown:
            raise UsageError(
                f"{arguments.config}: unknown option {unknown[0]!r} "
                f"(options: {', '.join(CONFIG_KEYS)})"
            )
    for key in COMMAND_LINE_KEYS:
        value = getattr(arguments, key)
        if value is not None:
            settings[key] = value
    data_dir = Path(
        settings.get("data_dir") or os.environ.get("STEPLINE_DATA_DIR") or Path.home() / ".stepline"
    )
    settings["data_dir"] = data_dir
    settings.setdefault("database", f"sqlite:///{data_dir / 'stepline.db'}")
    settings.setdefault("host", DEFAULT_HOST)
    settings.setdefault("port", DEFAULT_PORT)
    settings.setdefault("log_level", "info")
    settings.setdefault("functions", [])
    settings.setdefault("access_key", [])
    return settings


class JsonLines(logging.Formatter):
    """One JSON object per log line: time, level, logger, message (and the error, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def serve(arguments: argparse.Namespace) -> int:
    import uvicorn  # noqa: PLC0415 - only the server needs it

    from stepline.api.app import create_app  # noqa: PLC0415
    from stepline.api.routes import RouteError, routes_of  # noqa: PLC0415
    from stepline.api.sigv4 import parse_keys  # noqa: PLC0415
    from stepline.cli.run import load_functions  # noqa: PLC0415
    from stepline.engine import Engine, EngineError  # noqa: PLC0415
    from stepline.runtime.clock import SkippingClock  # noqa: PLC0415
    from stepline.store import StoreError  # noqa: PLC0415

    settings = settings_of(arguments)
    try:
        routes = routes_of(settings.get("route"))
    except RouteError as error:
        raise UsageError(f"{arguments.config}: {error}") from None
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    logging.basicConfig(level=settings["log_level"].upper(), handlers=[handler], force=True)
    log = logging.getLogger("stepline.serve")
    database = str(settings["database"])
    log.info(
        "Stepline %s on http://%s:%s, data in %s",
        _version(),
        settings["host"],
        settings["port"],
        _where(database),
    )
    try:
        keys = parse_keys(list(settings["access_key"]))
        functions = load_functions(list(settings["functions"]))
        clock = SkippingClock() if settings.get("time_skipping") else None
        engine = Engine(database, functions=functions, node=settings.get("node"), clock=clock)
    except (EngineError, StoreError, OSError, ValueError) as error:
        print(f"stepline serve: {error}", file=sys.stderr)
        return 1
    if clock is not None:
        log.info("time skipping: the clock jumps over waits whenever nothing runs")
    if keys:
        log.info("requests must be signed with one of %d access keys", len(keys))
    for route in routes:
        log.info("route: %s %s runs %s", route.method, route.path, route.state_machine)
    config = uvicorn.Config(
        create_app(engine, keys=keys, routes=routes),
        host=settings["host"],
        port=int(settings["port"]),
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=10,
    )
    _tune_collector()
    uvicorn.Server(config).run()
    return 0


GC_THRESHOLDS = (10_000, 50, 100)
"""The cyclic collector's thresholds for a server (Python's: 700, 10, 10). A request allocates
a few hundred objects, nearly all freed by reference counting; with Python's thresholds the
collector ran every few requests, and its older generations (the compiled plans, the caches)
often enough to show in the tail of ``/invoke`` (ADR 0010)."""


def _tune_collector() -> None:
    """Move what start-up made (modules, the engine) out of the collector's sight, and collect
    less often: cycles are rare in a request's garbage."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _where(database: str) -> str:
    if database.startswith("sqlite:///"):
        return database.removeprefix("sqlite:///")
    return database.rsplit("@", maxsplit=1)[-1] if "@" in database else database


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("stepline")
    except PackageNotFoundError:
        return "(not installed)"
