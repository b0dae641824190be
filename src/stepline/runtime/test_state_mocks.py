"""TestState's ``mock`` and ``stateConfiguration``, and the checks AWS makes of them before
the state runs.

A mock stands for the work of a Task, Map or Parallel: a result (JSON text) or an error. Its
result must have the shape of what it stands for: a Map's list of iteration results (an object
when the Map has a ResultWriter), a Parallel's list of branch outputs, a Task's API answer
(``stepline.runtime.mock_schemas``). Texts are AWS's, as the conformance corpus recorded them
(``test_state_mock_validation.py``, ``test_field_validation_mode*.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stepline.asl.errors import TaskError
from stepline.asl.jsontext import loads
from stepline.asl.model import MapState, ParallelState, StateMachine, TaskState
from stepline.asl.scope import JSON
from stepline.runtime.mock_schemas import VALIDATION_MODES, mock_result_problem
from stepline.runtime.state_plan import StatePlan
from stepline.runtime.test_state_errors import ValidationException, enum_error

MOCKABLE_TYPES = frozenset({"Task", "Map", "Parallel"})
NEEDS_MOCK_TYPES = frozenset({"Map", "Parallel"})
SCHEMA_ERROR = "Mock result schema validation error: "


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
    value: JSON = None
    """The result's JSON value, read once."""
    error: str | None = None
    cause: str | None = None
    field_validation_mode: str = "STRICT"

    @classmethod
    def from_request(cls, raw: Mapping[str, Any] | None) -> Mock | None:
        if raw is None:
            return None
        error_output = raw.get("errorOutput")
        if (raw.get("result") is not None) == (error_output is not None):
            raise ValidationException(
                "A test mock should have only one of the following fields: [result, errorOutput]."
            )
        mode = str(raw.get("fieldValidationMode") or "STRICT")
        if mode not in VALIDATION_MODES:
            raise enum_error("mock.fieldValidationMode", mode, VALIDATION_MODES)
        if error_output is not None:
            return cls(None, None, error_output.get("error"), error_output.get("cause"), mode)
        text = str(raw["result"])
        try:
            value = loads(text)
        except ValueError:
            raise ValidationException("Mocked result must be valid JSON") from None
        return cls(text, value, field_validation_mode=mode)

    def outcome(self) -> JSON:
        """The mocked result, or the mocked error raised as the state's own error."""
        if self.result is None:
            raise TaskError(self.error or "", self.cause or "")
        return self.value


def check_mock(
    plan: StatePlan,
    mock: Mock | None,
    configuration: StateConfiguration,
    role_arn: str | None,
) -> None:
    """Refuse, as AWS does, a mock the tested state cannot take or one it needs and lacks."""
    if mock is None:
        _check_unmocked(plan, configuration, role_arn)
        return
    model = plan.model
    if plan.type not in MOCKABLE_TYPES:
        raise ValidationException(
            f"State type '{plan.type}' is not supported when a mock is specified"
        )
    if mock.result is None:
        return
    if isinstance(model, MapState):
        _check_map_result(model, mock.value, configuration)
    elif isinstance(model, ParallelState):
        _check_parallel_result(model, mock.value)
    elif isinstance(model, TaskState):
        problem = mock_result_problem(model.resource, mock.value, mock.field_validation_mode)
        if problem is not None:
            raise ValidationException(SCHEMA_ERROR + problem)


def _check_unmocked(
    plan: StatePlan, configuration: StateConfiguration, role_arn: str | None
) -> None:
    if configuration.map_iteration_failure_count is not None:
        raise ValidationException(
            "TestState does not support MapIterationFailureCount when a mock is not specified."
        )
    if plan.type in NEEDS_MOCK_TYPES:
        raise ValidationException(f"A mock is required to test a {plan.type} state.")
    # Only a Task that really calls its resource acts with the role; a mocked one needs none.
    if plan.type == "Task" and role_arn is None:
        raise ValidationException("RoleArn must be specified when testing a Task state")


def _check_map_result(model: MapState, result: JSON, configuration: StateConfiguration) -> None:
    """A Map's mock is its iterations' results; with a ResultWriter, the writer's answer."""
    if model.result_writer is not None:
        if not isinstance(result, dict):
            raise ValidationException("Mocked result must be a JSON object.")
        return
    if not isinstance(result, list):
        raise ValidationException("Mocked result must be an array.")
    failures = configuration.map_iteration_failure_count
    if failures is not None and failures > len(result):
        raise ValidationException(
            "Map iteration failure count must be less than or equal to the number of Map iterations"
        )


def _check_parallel_result(model: ParallelState, result: JSON) -> None:
    if not isinstance(result, list):
        raise ValidationException("Mocked result must be an array.")
    if len(result) != len(model.branches):
        raise ValidationException(
            "Mocked result must contain the same number of items as number of Parallel branches."
        )


def check_configuration(
    plan: StatePlan, mock: Mock | None, configuration: StateConfiguration
) -> None:
    """``errorCausedByState`` names a state inside the tested one, whose mocked error it is."""
    caused_by = configuration.error_caused_by_state
    if caused_by is None:
        return
    if mock is None or mock.result is not None:
        raise ValidationException("errorCausedByState requires a mocked errorOutput.")
    if caused_by not in _inner_state_names(plan):
        raise ValidationException(
            f"errorCausedByState '{caused_by}' is not a state of the tested {plan.type} state."
        )


def _inner_state_names(plan: StatePlan) -> set[str]:
    model = plan.model
    machines: list[StateMachine] = []
    if isinstance(model, MapState):
        machines.append(model.item_processor)
    if isinstance(model, ParallelState):
        machines.extend(model.branches)
    names: set[str] = set()
    for machine in machines:
        names.update(machine.states)
    return names
