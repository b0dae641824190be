"""TestState: run one state (alone, or a state of a machine) once and report what it did.

The answer has AWS's TestState shape (boto3's, JSON values as text): ``status`` (SUCCEEDED,
FAILED, RETRIABLE or CAUGHT_ERROR), ``output``, ``error``/``cause``, ``nextState`` and, at the
DEBUG and TRACE levels, ``inspectionData`` with the value after each processing stage.

TestState differs from an execution, which is why it drives the compiled plan's stages itself
instead of running ``StatePlan.run``: a state runs once (a matching retrier is reported as
RETRIABLE with its back-off, not waited for), a Task, Map or Parallel may take a mocked result
or error instead of doing its work, and each stage's value is reported. The stages are the
plan's own compiled callables, so the data flow is the interpreter's, and the interpreter's hot
path carries no inspection cost.

The request is read and checked first (``test_state_requests``, ``test_state_mocks``,
``mock_schemas``); one AWS refuses raises a ``RequestError`` subclass (``test_state_errors``)
named and worded as AWS's API error.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from typing import Any, TypeVar

from stepline.asl.errors import StatesError
from stepline.asl.scope import JSON
from stepline.runtime.clock import Clock, FakeClock, SystemClock, format_timestamp
from stepline.runtime.driver import RoutineRun, drive
from stepline.runtime.effects import Routine
from stepline.runtime.entry import Entry
from stepline.runtime.events import EventLog, Json
from stepline.runtime.frame import NOT_TRUNCATED, Execution, Frame
from stepline.runtime.functions import FunctionRegistry
from stepline.runtime.resources import Invocation
from stepline.runtime.state_plan import StatePlan, Step
from stepline.runtime.test_state_errors import (
    InvalidDefinition,
    InvalidExecutionInput,
    RequestError,
    ValidationException,
)
from stepline.runtime.test_state_mocks import StateConfiguration
from stepline.runtime.test_state_outcomes import Outcome, handle_error, render_response
from stepline.runtime.test_state_requests import Request, parse_request

T = TypeVar("T")

__all__ = [
    "InvalidDefinition",
    "InvalidExecutionInput",
    "RequestError",
    "ValidationException",
    "run_test_state",
    "test_state",
]


def run_test_state(
    definition: str | Mapping[str, Any],
    *,
    input: str | None = None,
    inspection_level: str = "INFO",
    variables: str | None = None,
    context: str | None = None,
    mock: Mapping[str, Any] | None = None,
    state_name: str | None = None,
    state_configuration: Mapping[str, Any] | None = None,
    reveal_secrets: bool = False,
    role_arn: str | None = None,
    functions: FunctionRegistry | None = None,
    clock: Clock | None = None,
    execution_name: str | None = None,
    state_machine_name: str | None = None,
) -> dict[str, Any]:
    """Run the state once as AWS's TestState does; returns the response's fields.

    ``reveal_secrets`` is accepted for the API's sake: only HTTP Tasks have secrets to hide,
    and Stepline runs none yet.
    """
    del reveal_secrets
    request = parse_request(
        definition,
        input_text=input,
        level=inspection_level,
        variables=variables,
        context=context,
        mock=mock,
        state_name=state_name,
        state_configuration=state_configuration,
        role_arn=role_arn,
    )
    # The state runs once and never waits: Wait states and back-offs are reported, not slept.
    fake = FakeClock((clock or SystemClock()).now())
    execution = _execution(
        request,
        fake,
        role_arn,
        names=(
            execution_name or str(uuid.uuid4()),
            state_machine_name or str(uuid.uuid4()),
        ),
    )
    outcome = _run(request, execution, functions or FunctionRegistry(), fake)
    return render_response(outcome, request.level)


test_state = run_test_state
"""The API's own name; ``run_test_state`` spares linters and test collectors the ``test_``."""
test_state.__test__ = False  # type: ignore[attr-defined]  # pytest must not collect it


# Running ---------------------------------------------------------------------------------------


class _TestEntry(Entry):
    """An entry whose context object is the request's, when the request gives one."""

    __slots__ = ("clock", "functions", "given_context")

    def __init__(
        self,
        frame: Frame,
        state: StatePlan,
        data: JSON,
        context: JSON,
        *,
        functions: FunctionRegistry,
        clock: Clock,
    ) -> None:
        super().__init__(frame, state, data, 1, entered_at=frame.execution.now)
        self.given_context = context
        self.functions = functions
        self.clock = clock

    def context(self) -> JSON:
        if self.given_context is not None:
            return self.given_context
        return super().context()


def _execution(
    request: Request,
    clock: Clock,
    role_arn: str | None,
    names: tuple[str, str],
) -> Execution:
    """The (express) execution AWS pretends the tested state runs in, as ``$$`` shows it."""
    region, account = "us-east-1", "111111111111"
    execution_name, machine_name = names
    machine_arn = f"arn:aws:states:{region}:{account}:stateMachine:{machine_name}"
    execution_arn = f"arn:aws:states:{region}:{account}:express:{machine_name}:{execution_name}"
    return Execution(
        log=EventLog(),
        execution_object={
            "Id": execution_arn,
            "Input": request.data,
            "Name": execution_name,
            "RoleArn": role_arn or f"arn:aws:iam::{account}:role/stepline-test-state",
            "StartTime": format_timestamp(clock.now()),
        },
        state_machine_object={"Id": machine_arn, "Name": machine_name},
        seed=os.urandom(16),
        now=clock.now().timestamp(),
        region=region,
        account=account,
        execution_arn=execution_arn,
    )


def _run(
    request: Request, execution: Execution, functions: FunctionRegistry, clock: Clock
) -> Outcome:
    frame = Frame(execution, dict(request.variables))
    plan = request.plan
    frame.add_event(
        plan.entered_type,
        {
            "input": Json(request.data, request.text),
            "inputDetails": NOT_TRUNCATED,
            "name": plan.name,
        },
    )
    entry = _TestEntry(frame, plan, request.data, request.context, functions=functions, clock=clock)
    outcome = Outcome(inspection={"input": request.data})
    try:
        step = _STAGES.get(plan.type, _execute)(request, entry, outcome.inspection)
    except StatesError as error:
        return handle_error(request, entry, error, outcome)
    outcome.output, outcome.has_output = step.output, True
    outcome.next_state = step.next.name if step.next is not None else None
    _note_variables(request, step, outcome)
    return outcome


def _note_variables(request: Request, step: Step, outcome: Outcome) -> None:
    """The variables after the state, when there are any to show."""
    if step.assigned or request.variables:
        outcome.inspection["variables"] = {**request.variables, **(step.assigned or {})}


def _execute(request: Request, entry: Entry, inspection: dict[str, Any]) -> Step:
    """Choice, Succeed, Fail, Wait: the state's own work; AWS shows the input after InputPath."""
    plan = request.plan
    if not plan.is_jsonata:
        selected = entry.input
        if plan.select_input is not None:
            selected = plan.select_input(entry, selected)
        inspection["afterInputPath"] = selected
    return _complete(entry, plan.run(entry))


def _complete(entry: Entry, routine: Routine[T]) -> T:
    """Run ``routine`` to its end, its effects carried out in-process."""
    assert isinstance(entry, _TestEntry)
    result: T = drive(RoutineRun(entry.frame.execution, routine, entry.functions, entry.clock))
    return result


def _pass(request: Request, entry: Entry, inspection: dict[str, Any]) -> Step:
    """Pass: a ``Result`` replaces the input outright (InputPath and Parameters do not apply)."""
    plan: Any = entry.state
    if plan.is_jsonata:
        return plan.finish_jsonata(entry, entry.input)  # type: ignore[no-any-return]
    if plan.has_result:
        result = plan.result
        inspection["result"] = result
    else:
        result = _after_parameters(plan, entry, inspection)
    return _finish_jsonpath(plan, entry, result, inspection)


def _after_parameters(plan: Any, entry: Entry, inspection: dict[str, Any]) -> JSON:
    data = entry.input
    if plan.select_input is not None:
        data = plan.select_input(entry, data)
    inspection["afterInputPath"] = data
    if plan.parameters is not None:
        data = plan.parameters(entry, data)
    inspection["afterParameters"] = data
    return data


def _finish_jsonpath(plan: Any, entry: Entry, result: JSON, inspection: dict[str, Any]) -> Step:
    """ResultSelector, Assign, ResultPath, OutputPath, each stage's value reported."""
    if getattr(plan, "result_selector", None) is not None:
        result = plan.result_selector(entry, result)
    inspection["afterResultSelector"] = result
    assigned = plan.assign(entry, result, {}) if plan.assign is not None else None
    output = plan.place(entry, entry.input, result)
    inspection["afterResultPath"] = output
    if plan.select_output is not None:
        output = plan.select_output(entry, output)
    return Step(output, plan.next, assigned)


def _task(request: Request, entry: Entry, inspection: dict[str, Any]) -> Step:
    plan: Any = entry.state
    if plan.is_jsonata:
        arguments = plan.arguments(entry, {}) if plan.arguments is not None else entry.input
        inspection["afterArguments"] = arguments
    else:
        arguments = _after_parameters(plan, entry, inspection)
    if request.mock is not None:
        result = request.mock.outcome()
    else:
        invocation = Invocation(
            entry, arguments, plan.timeout(entry, arguments), plan.heartbeat(entry, arguments)
        )
        result = _complete(entry, plan.resource.invoke(invocation))
    inspection["result"] = result
    if plan.is_jsonata:
        return plan.finish_jsonata(entry, result, result=result)  # type: ignore[no-any-return]
    return _finish_jsonpath(plan, entry, result, inspection)


def _parallel(request: Request, entry: Entry, inspection: dict[str, Any]) -> Step:
    """Parallel (always mocked): the mock stands for the list of the branches' outputs."""
    plan: Any = entry.state
    assert request.mock is not None
    result = request.mock.outcome()
    if plan.is_jsonata:
        return plan.finish_jsonata(entry, result, result=result)  # type: ignore[no-any-return]
    return _finish_jsonpath(plan, entry, result, inspection)


def _map(request: Request, entry: Entry, inspection: dict[str, Any]) -> Step:
    """Map (always mocked): items and settings are evaluated, the mock is the results' list."""
    plan: Any = entry.state
    data = entry.input
    if not plan.is_jsonata:
        if plan.select_input is not None:
            data = plan.select_input(entry, data)
        inspection["afterInputPath"] = data
        if (
            request.configuration.map_item_reader_data is None
            and plan.map_model.item_reader is None
        ):
            inspection["afterItemsPath"] = _items(plan, entry, data)
    _map_settings(plan, entry, data, inspection)
    assert request.mock is not None
    result = request.mock.outcome()
    _check_failures(request.configuration, inspection, result)
    if plan.is_jsonata:
        return plan.finish_jsonata(entry, result, result=result)  # type: ignore[no-any-return]
    return _finish_jsonpath(plan, entry, result, inspection)


def _items(plan: Any, entry: Entry, data: JSON) -> JSON:
    items = plan.items_path(entry, data) if plan.items_path is not None else data
    if not isinstance(items, list):
        path = str(plan.map_model.items_path).replace("$$", "$", 1)
        raise StatesError(f'Reference path "{path}" must point to array.', "States.Runtime")
    return items


def _map_settings(plan: Any, entry: Entry, data: JSON, inspection: dict[str, Any]) -> None:
    """MaxConcurrency (0 when unset), and the tolerated failures when the state sets them."""
    inspection["maxConcurrency"] = int(plan.max_concurrency(entry, data))
    if plan.tolerated_count is not None:
        inspection["toleratedFailureCount"] = int(plan.tolerated_count(entry, data))
    if plan.tolerated_percentage is not None:
        inspection["toleratedFailurePercentage"] = float(plan.tolerated_percentage(entry, data))


def _check_failures(
    configuration: StateConfiguration, inspection: dict[str, Any], result: JSON
) -> None:
    """``mapIterationFailureCount`` against the tolerated failures the Map declares."""
    failures = configuration.map_iteration_failure_count
    count = inspection.get("toleratedFailureCount")
    percentage = inspection.get("toleratedFailurePercentage")
    if not failures or (count is None and percentage is None):
        return
    total = len(result) if isinstance(result, list) else 0
    exceeded_count = count is not None and failures > count
    exceeded_percentage = percentage is not None and (
        total == 0 or failures * 100 / total > percentage
    )
    if exceeded_count or exceeded_percentage:
        raise StatesError(
            "The specified tolerated failure threshold was exceeded",
            "States.ExceedToleratedFailureThreshold",
        )


_STAGES = {"Task": _task, "Pass": _pass, "Map": _map, "Parallel": _parallel}
