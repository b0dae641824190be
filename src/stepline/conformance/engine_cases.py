"""Running execution cases on the durable engine (``--mode engine``): each case's definition
is registered on one engine per process (SQLite in a temporary directory, or the PostgreSQL
database ``STEPLINE_CONFORMANCE_DATABASE`` names), started, and run until idle on a fake
clock set to the corpus's frozen "now"; the result and the stored history are compared as
for a run in memory."""

from __future__ import annotations

import atexit
import itertools
import os
import tempfile
from typing import Any

from stepline.conformance.substitutions import Names

_ENGINE: Any = None
_CASE_NUMBERS = itertools.count(1)


def engine_for(names: Names) -> Any:
    """The process's engine, made on first use with the case's region, account and role."""
    global _ENGINE  # noqa: PLW0603 - one engine per process, for every case
    if _ENGINE is None:
        from stepline.engine import Engine  # noqa: PLC0415 - the engine is optional here
        from stepline.runtime import FakeClock, FunctionRegistry  # noqa: PLC0415

        url = os.environ.get("STEPLINE_CONFORMANCE_DATABASE")
        if url is None:
            directory = tempfile.mkdtemp(prefix="stepline-conformance-")
            url = f"sqlite:///{directory}/conformance.db"
        _ENGINE = Engine(
            url,
            functions=FunctionRegistry(),
            clock=FakeClock(),
            region=names.region,
            account=names.account,
            role_arn=names.role_arn,
            workers=4,
        )
        atexit.register(_ENGINE.close)
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
    arn = engine.start_execution(machine, case.input_text, name=names.execution_name)
    engine.run_until_idle()
    described = engine.describe_execution(arn)
    events = engine.get_execution_history(arn, max_results=30_000)["events"]
    return described, events
