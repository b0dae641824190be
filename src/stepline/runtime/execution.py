"""A definition compiled into a plan; an execution of it started, rebuilt, and read.

``in_process.run_execution`` runs an execution to its end in this process (the CLI, users'
tests, the conformance runner, the benchmarks); the durable engine (``stepline.engine``)
drives the same runs through the transition function, committing each step.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from stepline.asl.definitions import format_invalid_definition, parse_state_machine
from stepline.asl.diagnostics import Diagnostic
from stepline.asl.jsontext import loads
from stepline.asl.scope import JSON
from stepline.runtime.checkpoint import resume as resume_run
from stepline.runtime.clock import Clock, SystemClock, format_timestamp
from stepline.runtime.events import EventLog, HistoryEvent, Json
from stepline.runtime.frame import NOT_TRUNCATED, Execution, Frame
from stepline.runtime.functions import FunctionRegistry
from stepline.runtime.machine import MachinePlan
from stepline.runtime.states import compile_machine
from stepline.runtime.transition import ExecutionRun, Status, begin


class InvalidDefinitionError(ValueError):
    """The definition did not validate; ``message`` is AWS's InvalidDefinition text."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        self.message = format_invalid_definition(diagnostics)
        super().__init__(self.message)


@dataclass(frozen=True)
class Plan:
    """A definition compiled once; run it any number of times with ``run_execution``."""

    machine: MachinePlan
    state_machine_type: str
    definition: Mapping[str, Any] | str


def compile_definition(
    definition: str | Mapping[str, Any],
    *,
    state_machine_type: str = "STANDARD",
    substitutions: Mapping[str, str] | None = None,
) -> Plan:
    """Validate and compile; raises ``InvalidDefinitionError`` with every problem found."""
    model, diagnostics = parse_state_machine(
        definition, substitutions=substitutions, state_machine_type=state_machine_type
    )
    if model is None:
        raise InvalidDefinitionError(diagnostics)
    return Plan(compile_machine(model), state_machine_type, definition)


@dataclass
class ExecutionResult:
    status: Status
    output: str | None
    """The execution's output as JSON text (None unless it succeeded)."""
    error: str | None
    cause: str | None
    events: list[HistoryEvent] = field(repr=False)
    execution_arn: str = ""

    def history(self) -> list[dict[str, Any]]:
        """The events as GetExecutionHistory returns them (boto3's shapes)."""
        return [event.to_api() for event in self.events]

    @property
    def output_value(self) -> JSON:
        return None if self.output is None else loads(self.output)


class ExecutionOptions(TypedDict, total=False):
    """Who and where an execution is, as ``start_execution`` takes them."""

    functions: FunctionRegistry | None
    clock: Clock | None
    execution_name: str | None
    state_machine_name: str
    region: str
    account: str
    role_arn: str | None
    seed: bytes | None
    execution_arn: str | None
    redrive_count: int | None


def start_execution(
    plan: Plan,
    input_text: str | None = None,
    *,
    functions: FunctionRegistry | None = None,
    clock: Clock | None = None,
    execution_name: str | None = None,
    state_machine_name: str = "StateMachine",
    region: str = "us-east-1",
    account: str = "111111111111",
    role_arn: str | None = None,
    seed: bytes | None = None,
    execution_arn: str | None = None,
    redrive_count: int | None = 0,
) -> ExecutionRun:
    """An execution of ``plan`` with its ExecutionStarted event recorded and no state entered.

    Move it with ``start`` and ``advance`` (or ``driver.drive``); read how it ended with
    ``execution_result``. ``seed`` names the execution's random draws (fresh when omitted):
    the same seed, input and signals give the same history. A synchronous Express execution
    (``redrive_count=None``) has no ``RedriveCount`` in its context object: it cannot be
    redriven.
    """
    clock = clock or SystemClock()
    started_at = clock.now()
    name = execution_name or str(uuid.uuid4())
    machine_arn = f"arn:aws:states:{region}:{account}:stateMachine:{state_machine_name}"
    if execution_arn is None:
        execution_arn = f"arn:aws:states:{region}:{account}:execution:{state_machine_name}:{name}"
        if plan.state_machine_type == "EXPRESS":
            # An Express execution's ARN carries a generated id after its name.
            execution_arn = (
                f"arn:aws:states:{region}:{account}:express:{state_machine_name}:{name}:"
                f"{uuid.uuid4()}"
            )
    role_arn = role_arn or f"arn:aws:iam::{account}:role/stepline"
    data = loads(input_text) if input_text is not None else {}
    execution = Execution(
        log=EventLog(),
        execution_object={
            "Id": execution_arn,
            "Input": data,
            "Name": name,
            "RoleArn": role_arn,
            "StartTime": format_timestamp(started_at),
        }
        | ({} if redrive_count is None else {"RedriveCount": redrive_count}),
        state_machine_object={"Id": machine_arn, "Name": state_machine_name},
        seed=seed if seed is not None else os.urandom(16),
        now=started_at.timestamp(),
        region=region,
        account=account,
        execution_arn=execution_arn,
    )
    frame = Frame(execution)
    frame.add_event(
        "ExecutionStarted",
        {
            "input": Json(data, input_text),
            "inputDetails": NOT_TRUNCATED,
            "roleArn": role_arn,
        },
    )
    return begin(
        plan.machine,
        execution,
        data,
        input_text,
        timeout_seconds=plan.machine.model.timeout_seconds,
        functions=functions,
        clock=clock,
    )


def resume(
    plan: Plan,
    saved: dict[str, Any],
    *,
    functions: FunctionRegistry | None = None,
    clock: Clock | None = None,
) -> ExecutionRun:
    """The execution ``checkpoint(run)`` saved, rebuilt on ``plan`` (the same definition's).

    Raises ``CheckpointError`` if ``saved`` is not a checkpoint of this plan.
    """
    return resume_run(plan.machine, saved, functions=functions, clock=clock)


def execution_result(
    run: ExecutionRun, events: list[HistoryEvent] | None = None
) -> ExecutionResult:
    """What a finished run produced: its status, output or error, and history (``events``,
    when they were drained from the run's log as it went)."""
    ending = run.result
    if ending is None:
        raise ValueError("the execution has not ended")
    execution = run.execution
    return ExecutionResult(
        ending.status,
        ending.output,
        ending.error,
        ending.cause,
        execution.log.events if events is None else events,
        execution.execution_arn,
    )
