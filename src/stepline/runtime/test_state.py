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

Requests AWS rejects raise ``RequestError`` subclasses named and worded as AWS's API errors.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from stepline.asl.definitions import format_invalid_definition, load_definition
from stepline.asl.errors import StatesError, TaskError, error_matches
from stepline.asl.jsontext import dumps, loads
from stepline.asl.model import MapState, Retrier, StateMachine
from stepline.asl.scope import JSON
from stepline.runtime.clock import Clock, FakeClock, SystemClock, format_timestamp
from stepline.runtime.driver import RoutineRun, drive
from stepline.runtime.effects import Routine
from stepline.runtime.entry import Entry
from stepline.runtime.events import EventLog, Json
from stepline.runtime.execution import InvalidDefinitionError, compile_definition
from stepline.runtime.frame import NOT_TRUNCATED, Execution, Frame
from stepline.runtime.functions import FunctionRegistry
from stepline.runtime.resources import Invocation
from stepline.runtime.state_plan import StatePlan, Step

T = TypeVar("T")

INSPECTION_LEVELS = ("INFO", "DEBUG", "TRACE")
FIELD_VALIDATION_MODES = ("STRICT", "PRESENT", "NONE")
SINGLE_STATE_NAME = "StateName"
"""AWS names a state tested on its own ``StateName`` (its ``$$.State.Name`` shows it)."""
MOCKABLE_TYPES = frozenset({"Task", "Map", "Parallel"})
NEEDS_MOCK_TYPES = frozenset({"Map", "Parallel"})
_NUMERIC_FIELDS = frozenset(
    {"maxConcurrency", "toleratedFailureCount", "toleratedFailurePercentage", "errorDetails"}
)


class RequestError(Exception):
    """A TestState request AWS rejects; ``code`` is AWS's error name, ``message`` its text."""

    code = ""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class InvalidDefinition(RequestError):
    code = "InvalidDefinition"


class InvalidExecutionInput(RequestError):
    code = "InvalidExecutionInput"


class ValidationException(RequestError):
    code = "ValidationException"


@dataclass(frozen=True)
class StateConfiguration:
    """TestState's ``stateConfiguration``: what the mocked run is to assume happened."""

    retrier_retry_count: int = 0
    error_caused_by_state: str | None = None
    map_iteration_failure_count: int | None = None
    map_item_reader_data: str | None = None

    @classmethod
    def from_request(cls, raw: Mapping[str, Any] | None) -> StateConfiguration:
        raw = raw or {}
        return cls(
            retrier_retry_count=int(raw.get("retrierRetryCount") or 0),
            error_caused_by_state=raw.get("errorCausedByState"),
            map_iteration_failure_count=raw.get("mapIterationFailureCount"),
            map_item_reader_data=raw.get("mapItemReaderData"),
        )


@dataclass(frozen=True)
class Mock:
    """A mocked outcome for a Task, Map or Parallel: a result (JSON text) or an error."""

    result: str | None = None
    error: str | None = None
    cause: str | None = None
    field_validation_mode: str = "STRICT"

    @classmethod
    def from_request(cls, raw: Mapping[str, Any] | None) -> Mock | None:
        if raw is None:
            return None
        error_output = raw.get("errorOutput")
        if ("result" in raw) == (error_output is not None):
            raise ValidationException("A mock must specify exactly one of result or errorOutput.")
        mode = str(raw.get("fieldValidationMode") or "STRICT")
        if mode not in FIELD_VALIDATION_MODES:
            raise ValidationException(_enum_message("mock.fieldValidationMode", mode))
        if error_output is not None:
            return cls(None, error_output.get("error"), error_output.get("cause"), mode)
        result = raw["result"]
        _parse_json(result, "mock.result", ValidationException)
        return cls(str(result), field_validation_mode=mode)

    def outcome(self) -> JSON:
        """The mocked result, or the mocked error raised as the state's own error."""
        if self.result is None:
            raise TaskError(self.error or "", self.cause or "")
        return loads(self.result)


@dataclass
class Outcome:
    """What the tested state did, before it is rendered as AWS's response."""

    status: str = "SUCCEEDED"
    output: JSON = None
    has_output: bool = False
    error: str | None = None
    cause: str | None = None
    next_state: str | None = None
    inspection: dict[str, Any] = field(default_factory=dict)


@dataclass
class Request:
    """A TestState request, parsed and checked once."""

    plan: StatePlan
    data: JSON
    text: str
    level: str
    variables: dict[str, JSON]
    context: JSON
    mock: Mock | None
    configuration: StateConfiguration


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
    request = _parse_request(
        definition,
        input_text=input,
        level=inspection_level,
        variables=variables,
        context=context,
        mock=mock,
        state_name=state_name,
        state_configuration=state_configuration,
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
    return _response(outcome, request.level)


test_state = run_test_state
"""The API's own name; ``run_test_state`` spares linters and test collectors the ``test_``."""
test_state.__test__ = False  # type: ignore[attr-defined]  # pytest must not collect it


# Request ---------------------------------------------------------------------------------------


def _parse_request(
    definition: str | Mapping[str, Any],
    *,
    input_text: str | None,
    level: str,
    variables: str | None,
    context: str | None,
    mock: Mapping[str, Any] | None,
    state_name: str | None,
    state_configuration: Mapping[str, Any] | None,
) -> Request:
    if level not in INSPECTION_LEVELS:
        raise ValidationException(_enum_message("inspectionLevel", level))
    text = "{}" if input_text is None else input_text
    data = _parse_json(text, "input", InvalidExecutionInput)
    given_variables = {} if variables is None else _parse_json(variables, "variables")
    if not isinstance(given_variables, dict):
        raise ValidationException("variables must be a JSON object.")
    given_context = None if context is None else _parse_json(context, "context")
    plan = select_state(definition, state_name)
    parsed_mock = Mock.from_request(mock)
    _check_mock(plan, parsed_mock)
    configuration = StateConfiguration.from_request(state_configuration)
    _check_configuration(plan, parsed_mock, configuration)
    return Request(
        plan, data, text, level, given_variables, given_context, parsed_mock, configuration
    )


def _parse_json(text: Any, name: str, error: type[RequestError] = ValidationException) -> JSON:
    try:
        return loads(str(text))
    except ValueError:
        raise error(f"Invalid {name}: the value is not valid JSON.") from None


def _enum_message(name: str, value: str) -> str:
    allowed = {"inspectionLevel": INSPECTION_LEVELS}.get(name, FIELD_VALIDATION_MODES)
    return (
        f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy "
        f"constraint: Member must satisfy enum value set: [{', '.join(allowed)}]"
    )


def _check_mock(plan: StatePlan, mock: Mock | None) -> None:
    if mock is not None and plan.type not in MOCKABLE_TYPES:
        raise ValidationException(f"A mock cannot be specified for a {plan.type} state.")
    if mock is None and plan.type in NEEDS_MOCK_TYPES:
        raise ValidationException(f"A mock is required to test a {plan.type} state.")


def _check_configuration(
    plan: StatePlan, mock: Mock | None, configuration: StateConfiguration
) -> None:
    caused_by = configuration.error_caused_by_state
    if caused_by is None:
        return
    if mock is None or mock.result is not None:
        raise ValidationException("errorCausedByState requires a mocked errorOutput.")
    inner = _inner_state_names(plan)
    if caused_by not in inner:
        raise ValidationException(
            f"errorCausedByState '{caused_by}' is not a state of the tested {plan.type} state."
        )


def _inner_state_names(plan: StatePlan) -> set[str]:
    model = plan.model
    machines: list[StateMachine] = []
    if isinstance(model, MapState):
        machines.append(model.item_processor)
    machines.extend(getattr(model, "branches", ()))
    names: set[str] = set()
    for machine in machines:
        names.update(machine.states)
    return names


def select_state(definition: str | Mapping[str, Any], state_name: str | None) -> StatePlan:
    """The compiled state to test: a state on its own, or ``state_name`` of a whole machine."""
    document: JSON = definition
    if isinstance(definition, str):
        document, diagnostics = load_definition(definition)
        if diagnostics:
            raise InvalidDefinition(format_invalid_definition(diagnostics))
    if not isinstance(document, dict):
        raise InvalidDefinition(
            "Invalid State Machine Definition: the definition is not an object."
        )
    is_machine = "States" in document or "StartAt" in document
    if not is_machine:
        if state_name is not None:
            raise ValidationException(
                "stateName can only be given with a state machine definition."
            )
        document = _single_state_machine(document)
        state_name = SINGLE_STATE_NAME
    elif state_name is None:
        raise ValidationException("stateName is required with a state machine definition.")
    try:
        plan = compile_definition(document)
    except InvalidDefinitionError as error:
        raise InvalidDefinition(error.message) from None
    if state_name not in plan.machine.states:
        raise ValidationException(f"State '{state_name}' is not in the state machine definition.")
    return plan.machine.states[state_name]


def _single_state_machine(state: dict[str, Any]) -> dict[str, Any]:
    """A machine holding the state, with an empty stand-in for each state it transitions to.

    A state tested on its own may name successors that are not there; TestState reports the
    name as ``nextState`` without entering it.
    """
    targets = [state.get("Next"), state.get("Default")]
    targets += [rule.get("Next") for rule in state.get("Choices") or () if isinstance(rule, dict)]
    targets += [
        catcher.get("Next") for catcher in state.get("Catch") or () if isinstance(catcher, dict)
    ]
    states: dict[str, Any] = {SINGLE_STATE_NAME: state}
    for target in targets:
        if isinstance(target, str) and target not in states:
            states[target] = {"Type": "Succeed"}
    return {"StartAt": SINGLE_STATE_NAME, "States": states}


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
        return _handle_error(request, entry, error, outcome)
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


# Errors ----------------------------------------------------------------------------------------


def _handle_error(request: Request, entry: Entry, error: StatesError, outcome: Outcome) -> Outcome:
    """A retrier with attempts left makes it RETRIABLE; else a catcher, else FAILED."""
    outcome.error, outcome.cause = error.error or None, error.cause or None
    plan = request.plan
    retriers: tuple[Retrier, ...] = getattr(plan.model, "retry", ())
    count = request.configuration.retrier_retry_count
    for index, retrier in enumerate(retriers):
        if error_matches(retrier.error_equals, error.error):
            if count < retrier.max_attempts:
                outcome.status = "RETRIABLE"
                outcome.inspection["errorDetails"] = {
                    "retryBackoffIntervalSeconds": _backoff(retrier, count),
                    "retryIndex": index,
                }
                return outcome
            break
    for index, catcher in enumerate(plan.catchers):
        if error_matches(catcher.error_equals, error.error):
            step = catcher.handle(entry, {"Error": error.error, "Cause": error.cause})
            outcome.status = "CAUGHT_ERROR"
            outcome.output, outcome.has_output = step.output, True
            outcome.next_state = catcher.next_name
            outcome.inspection["errorDetails"] = {"catchIndex": index}
            return outcome
    outcome.status = "FAILED"
    return outcome


def _backoff(retrier: Retrier, count: int) -> int:
    """The back-off before retry ``count + 1``, without jitter: TestState reports, not waits."""
    delay = retrier.interval_seconds * retrier.backoff_rate**count
    if retrier.max_delay_seconds is not None:
        delay = min(delay, retrier.max_delay_seconds)
    return int(delay)


# Response --------------------------------------------------------------------------------------


def _response(outcome: Outcome, level: str) -> dict[str, Any]:
    response: dict[str, Any] = {"status": outcome.status}
    if outcome.has_output:
        response["output"] = dumps(outcome.output)
    if outcome.error is not None:
        response["error"] = outcome.error
    if outcome.cause is not None:
        response["cause"] = outcome.cause
    if outcome.next_state is not None:
        response["nextState"] = outcome.next_state
    if level != "INFO":
        response["inspectionData"] = {
            key: value if key in _NUMERIC_FIELDS else dumps(value)
            for key, value in outcome.inspection.items()
        }
    return response
