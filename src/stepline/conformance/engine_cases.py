"""Running execution cases on the durable engine (``--mode engine``): each case's definition
is registered on one engine per process (SQLite in a temporary directory, or a database of
its own on the PostgreSQL server ``STEPLINE_CONFORMANCE_DATABASE`` names, dropped at exit),
started, and run until idle on a fake clock set to the corpus's frozen "now"; the result and
the stored history are compared as for a run in memory. A ``sync_execution`` case runs as
StartSyncExecution and is compared by its answer, as through a server."""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import tempfile
from dataclasses import asdict
from typing import Any

from stepline.conformance.outcomes import terminal_event
from stepline.conformance.substitutions import Names

DATABASE_PREFIX = "stepline_conformance_"

_ENGINE: Any = None
_CASE_NUMBERS = itertools.count(1)


def engine_for(names: Names) -> Any:
    """The process's engine, made on first use with the case's region, account and role."""
    global _ENGINE  # noqa: PLW0603 - one engine per process, for every case
    if _ENGINE is None:
        from stepline.engine import Engine  # noqa: PLC0415 - the engine is optional here
        from stepline.runtime import FakeClock, FunctionRegistry  # noqa: PLC0415

        resources = contextlib.ExitStack()
        atexit.register(resources.close)
        server = os.environ.get("STEPLINE_CONFORMANCE_DATABASE")
        if server is None:
            directory = tempfile.mkdtemp(prefix="stepline-conformance-")
            url = f"sqlite:///{directory}/conformance.db"
        else:
            from stepline.store.scratch import scratch_database  # noqa: PLC0415

            # Execution names repeat from one run to the next: each run starts empty.
            url = resources.enter_context(scratch_database(server, DATABASE_PREFIX))
        _ENGINE = Engine(
            url,
            functions=FunctionRegistry(),
            clock=FakeClock(),
            region=names.region,
            account=names.account,
            role_arn=names.role_arn,
            workers=4,
        )
        resources.callback(_ENGINE.close)
    return _ENGINE


def machine_name(base: str) -> str:
    """A state machine name of its own for each case (execution names repeat across cases)."""
    return f"{base}_{next(_CASE_NUMBERS)}"


def run_on_engine(case_definition: Any, case: Any, names: Names, functions: Any, now: Any) -> Any:
    """Run the case on the engine; (status, output text, history as the API returns it)."""
    from stepline.asl.jsontext import dumps  # noqa: PLC0415

    engine = engine_for(names)
    engine.clock.set(now)
    for name, handler in functions.handlers().items():
        engine.functions.register(name, handler)
    definition = case_definition if isinstance(case_definition, str) else dumps(case_definition)
    machine = engine.register_state_machine(
        names.state_machine_name, definition, type=case.state_machine_type
    )
    if case.kind == "sync_execution":
        started = engine.begin_sync_execution(machine, case.input_text, name=names.execution_name)
        engine.run_until_idle()
        ending = engine.end_sync_execution(started, started.ending.result(timeout=0))
        answer = {key: value for key, value in asdict(ending).items() if value is not None}
        return answer, [terminal_event(answer)]
    arn = engine.start_execution(machine, case.input_text, name=names.execution_name)
    engine.run_until_idle()
    described = engine.describe_execution(arn)
    events = engine.get_execution_history(arn, max_results=30_000)["events"]
    return described, events
