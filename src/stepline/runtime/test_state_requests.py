"""A TestState request read and checked once, before anything runs: the state to test, its
input, variables and context object, the mock and the state configuration.

A request AWS refuses raises a ``RequestError`` subclass (``test_state_errors``), named and
worded as AWS's API error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stepline.asl.definitions import format_invalid_definition, load_definition
from stepline.asl.jsontext import loads
from stepline.asl.model import TaskState
from stepline.asl.scope import JSON
from stepline.runtime.execution import InvalidDefinitionError, compile_definition
from stepline.runtime.state_plan import StatePlan
from stepline.runtime.test_state_errors import (
    InvalidDefinition,
    InvalidExecutionInput,
    RequestError,
    ValidationException,
    enum_error,
)
from stepline.runtime.test_state_mocks import (
    Mock,
    StateConfiguration,
    check_configuration,
    check_mock,
)

INSPECTION_LEVELS = ("INFO", "DEBUG", "TRACE")
SINGLE_STATE_NAME = "StateName"
"""AWS names a state tested on its own ``StateName`` (its ``$$.State.Name`` shows it)."""


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


def parse_request(
    definition: str | Mapping[str, Any],
    *,
    input_text: str | None,
    level: str,
    variables: str | None,
    context: str | None,
    mock: Mapping[str, Any] | None,
    state_name: str | None,
    state_configuration: Mapping[str, Any] | None,
    role_arn: str | None,
) -> Request:
    """The request's fields read and checked; the first problem found is the refusal."""
    if level not in INSPECTION_LEVELS:
        raise enum_error("inspectionLevel", level, INSPECTION_LEVELS)
    text = "{}" if input_text is None else input_text
    data = _parse_json(text, "input", InvalidExecutionInput)
    given_variables = {} if variables is None else _parse_json(variables, "variables")
    if not isinstance(given_variables, dict):
        raise ValidationException("variables must be a JSON object.")
    given_context = None if context is None else _parse_json(context, "context")
    plan = select_state(definition, state_name)
    parsed_mock = Mock.from_request(mock)
    configuration = StateConfiguration.from_request(state_configuration)
    check_mock(plan, parsed_mock, configuration, role_arn)
    check_configuration(plan, parsed_mock, configuration)
    _check_context(plan, given_context)
    return Request(
        plan, data, text, level, given_variables, given_context, parsed_mock, configuration
    )


def _parse_json(text: Any, name: str, error: type[RequestError] = ValidationException) -> JSON:
    try:
        return loads(str(text))
    except ValueError:
        raise error(f"Invalid {name}: the value is not valid JSON.") from None


def _check_context(plan: StatePlan, context: JSON) -> None:
    """``$$.Task`` (the task token) exists only while a Task waits for a job or a callback."""
    if not isinstance(context, dict) or "Task" not in context:
        return
    model = plan.model
    if isinstance(model, TaskState) and (
        ".sync" in model.resource or model.resource.endswith(".waitForTaskToken")
    ):
        return
    raise ValidationException(
        "Invalid Context object provided: Context object contains 'Task' when state is not a "
        "Task state with a '.sync' or '.waitForTaskToken' service integration pattern"
    )


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
        raise ValidationException("State not found in definition")
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
