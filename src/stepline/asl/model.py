"""The typed, immutable model of a state machine definition, with ASL's names.

``build_state_machine`` turns a definition that validation accepted into this model. Absent
fields take the defaults the spec gives (``InputPath`` absent means ``"$"``; an explicit JSON
``null`` stays ``None``), so later stages never look at raw dictionaries again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from stepline.asl.scope import JSON

QueryLanguage = Literal["JSONPath", "JSONata"]
JSONPATH: QueryLanguage = "JSONPath"
JSONATA: QueryLanguage = "JSONata"


@dataclass(frozen=True)
class Payload:
    """A field whose presence matters even when null (Parameters, Result, Output...)."""

    value: JSON


@dataclass(frozen=True, kw_only=True)
class Retrier:
    error_equals: tuple[str, ...]
    interval_seconds: int = 1
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_seconds: int | None = None
    jitter_strategy: str = "NONE"
    comment: str | None = None


@dataclass(frozen=True, kw_only=True)
class Catcher:
    error_equals: tuple[str, ...]
    next: str
    result_path: str | None = "$"
    output: Payload | None = None
    assign: Payload | None = None
    comment: str | None = None


@dataclass(frozen=True, kw_only=True)
class State:
    """What every state type has; subclasses add their own fields."""

    name: str
    type: str
    query_language: QueryLanguage = JSONPATH
    comment: str | None = None
    next: str | None = None
    end: bool = False
    input_path: str | None = "$"
    output_path: str | None = "$"
    assign: Payload | None = None
    output: Payload | None = None


@dataclass(frozen=True, kw_only=True)
class PassState(State):
    result: Payload | None = None
    parameters: Payload | None = None
    result_path: str | None = "$"


@dataclass(frozen=True, kw_only=True)
class SucceedState(State):
    pass


@dataclass(frozen=True, kw_only=True)
class FailState(State):
    error: str | None = None
    error_path: str | None = None
    cause: str | None = None
    cause_path: str | None = None


@dataclass(frozen=True, kw_only=True)
class WaitState(State):
    seconds: JSON = None
    timestamp: JSON = None
    seconds_path: str | None = None
    timestamp_path: str | None = None


@dataclass(frozen=True, kw_only=True)
class ChoiceRule:
    """A Choice rule: a comparison, a boolean combination, or a JSONata ``Condition``.

    Only top-level rules (those in ``Choices``) have ``next``, ``assign`` and ``output``.
    ``comparison`` is the operator's ASL name (``StringEquals``, ``NumericLessThanPath``,
    ``IsPresent``...) and ``value`` its operand.
    """

    next: str | None = None
    variable: str | None = None
    comparison: str | None = None
    value: JSON = None
    and_: tuple[ChoiceRule, ...] | None = None
    or_: tuple[ChoiceRule, ...] | None = None
    not_: ChoiceRule | None = None
    condition: JSON = None
    assign: Payload | None = None
    output: Payload | None = None
    comment: str | None = None


@dataclass(frozen=True, kw_only=True)
class ChoiceState(State):
    choices: tuple[ChoiceRule, ...] = ()
    default: str | None = None


@dataclass(frozen=True, kw_only=True)
class TaskState(State):
    resource: str = ""
    parameters: Payload | None = None
    arguments: Payload | None = None
    result_selector: Payload | None = None
    result_path: str | None = "$"
    timeout_seconds: JSON = None
    timeout_seconds_path: str | None = None
    heartbeat_seconds: JSON = None
    heartbeat_seconds_path: str | None = None
    credentials: Payload | None = None
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()


@dataclass(frozen=True, kw_only=True)
class StateMachine:
    """A state machine: the whole definition, a Parallel branch or a Map's item processor."""

    start_at: str
    states: Mapping[str, State]
    query_language: QueryLanguage = JSONPATH
    comment: str | None = None
    version: str | None = None
    timeout_seconds: int | None = None
    processor_mode: str | None = None
    """For a Map's ItemProcessor: ``INLINE`` or ``DISTRIBUTED`` (None elsewhere)."""
    execution_type: str | None = None
    """For a distributed Map's ItemProcessor: ``STANDARD`` or ``EXPRESS``."""
    source: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
    """The definition as written (a distributed Map runs its processor as a state machine)."""


@dataclass(frozen=True, kw_only=True)
class ParallelState(State):
    branches: tuple[StateMachine, ...] = ()
    parameters: Payload | None = None
    arguments: Payload | None = None
    result_selector: Payload | None = None
    result_path: str | None = "$"
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()


@dataclass(frozen=True, kw_only=True)
class MapState(State):
    item_processor: StateMachine
    uses_legacy_iterator: bool = False
    items_path: str | None = "$"
    items: Payload | None = None
    item_selector: Payload | None = None
    """ItemSelector, or the legacy Parameters that stood in its place."""
    item_reader: Payload | None = None
    item_batcher: Payload | None = None
    result_writer: Payload | None = None
    max_concurrency: JSON = 0
    max_concurrency_path: str | None = None
    tolerated_failure_count: JSON = None
    tolerated_failure_count_path: str | None = None
    tolerated_failure_percentage: JSON = None
    tolerated_failure_percentage_path: str | None = None
    label: str | None = None
    arguments: Payload | None = None
    result_selector: Payload | None = None
    result_path: str | None = "$"
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()


# ---------------------------------------------------------------------------------------------
# Building the model from a definition that validation accepted.

_COMMON_FIELDS: dict[str, str] = {
    "Comment": "comment",
    "Next": "next",
    "End": "end",
    "InputPath": "input_path",
    "OutputPath": "output_path",
    "ResultPath": "result_path",
    "TimeoutSecondsPath": "timeout_seconds_path",
    "HeartbeatSecondsPath": "heartbeat_seconds_path",
    "TimeoutSeconds": "timeout_seconds",
    "HeartbeatSeconds": "heartbeat_seconds",
    "Resource": "resource",
    "Seconds": "seconds",
    "Timestamp": "timestamp",
    "SecondsPath": "seconds_path",
    "TimestampPath": "timestamp_path",
    "Error": "error",
    "ErrorPath": "error_path",
    "Cause": "cause",
    "CausePath": "cause_path",
    "Default": "default",
    "ItemsPath": "items_path",
    "MaxConcurrency": "max_concurrency",
    "MaxConcurrencyPath": "max_concurrency_path",
    "ToleratedFailureCount": "tolerated_failure_count",
    "ToleratedFailureCountPath": "tolerated_failure_count_path",
    "ToleratedFailurePercentage": "tolerated_failure_percentage",
    "ToleratedFailurePercentagePath": "tolerated_failure_percentage_path",
    "Label": "label",
}
_PAYLOAD_FIELDS: dict[str, str] = {
    "Assign": "assign",
    "Output": "output",
    "Result": "result",
    "Parameters": "parameters",
    "Arguments": "arguments",
    "ResultSelector": "result_selector",
    "Credentials": "credentials",
    "Items": "items",
    "ItemSelector": "item_selector",
    "ItemReader": "item_reader",
    "ItemBatcher": "item_batcher",
    "ResultWriter": "result_writer",
}
_STATE_CLASSES: dict[str, type[State]] = {
    "Pass": PassState,
    "Succeed": SucceedState,
    "Fail": FailState,
    "Wait": WaitState,
    "Choice": ChoiceState,
    "Task": TaskState,
    "Parallel": ParallelState,
    "Map": MapState,
}
_COMPARISON_KEYS = frozenset(
    {
        f"{kind}{operator}{suffix}"
        for kind in ("String", "Numeric", "Timestamp")
        for operator in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
        for suffix in ("", "Path")
    }
    | {"BooleanEquals", "BooleanEqualsPath", "StringMatches"}
    | {f"Is{kind}" for kind in ("Null", "Present", "Numeric", "String", "Boolean", "Timestamp")}
)


def build_state_machine(
    definition: Mapping[str, Any], inherited_language: QueryLanguage = JSONPATH
) -> StateMachine:
    """Build the model of a (validated) definition or nested state machine."""
    language: QueryLanguage = definition.get("QueryLanguage", inherited_language)
    states = {
        name: _build_state(name, body, language) for name, body in definition["States"].items()
    }
    processor = definition.get("ProcessorConfig") or {}
    return StateMachine(
        start_at=definition["StartAt"],
        states=MappingProxyType(states),
        query_language=language,
        comment=definition.get("Comment"),
        version=definition.get("Version"),
        timeout_seconds=definition.get("TimeoutSeconds"),
        processor_mode=processor.get("Mode"),
        execution_type=processor.get("ExecutionType"),
        source=definition,
    )


def _build_state(name: str, body: Mapping[str, Any], inherited: QueryLanguage) -> State:
    state_type = body["Type"]
    cls = _STATE_CLASSES[state_type]
    language: QueryLanguage = body.get("QueryLanguage", inherited)
    fields: dict[str, Any] = {"name": name, "type": state_type, "query_language": language}
    allowed = cls.__dataclass_fields__
    for key, value in body.items():
        attribute = _COMMON_FIELDS.get(key)
        if attribute is not None and attribute in allowed:
            fields[attribute] = value
            continue
        attribute = _PAYLOAD_FIELDS.get(key)
        if attribute is not None and attribute in allowed:
            fields[attribute] = Payload(value)
    if "Retry" in body and "retry" in allowed:
        fields["retry"] = tuple(_build_retrier(r) for r in body["Retry"])
    if "Catch" in body and "catch" in allowed:
        fields["catch"] = tuple(_build_catcher(c) for c in body["Catch"])
    if state_type == "Choice":
        fields["choices"] = tuple(_build_choice_rule(rule) for rule in body.get("Choices", ()))
    # States nested in a Parallel or Map take the enclosing machine's QueryLanguage, not the
    # Parallel's or Map's own (AWS: a state's QueryLanguage applies to that state only).
    elif state_type == "Parallel":
        fields["branches"] = tuple(build_state_machine(b, inherited) for b in body["Branches"])
    elif state_type == "Map":
        _add_map_fields(fields, body, inherited)
    return cls(**fields)


def _add_map_fields(
    fields: dict[str, Any], body: Mapping[str, Any], language: QueryLanguage
) -> None:
    processor = body.get("ItemProcessor")
    fields["uses_legacy_iterator"] = processor is None
    fields["item_processor"] = build_state_machine(processor or body["Iterator"], language)
    if "ItemSelector" not in body and "Parameters" in body:
        fields["item_selector"] = Payload(body["Parameters"])


def _build_retrier(body: Mapping[str, Any]) -> Retrier:
    fields: dict[str, Any] = {"error_equals": tuple(body["ErrorEquals"])}
    for key, attribute in (
        ("IntervalSeconds", "interval_seconds"),
        ("MaxAttempts", "max_attempts"),
        ("BackoffRate", "backoff_rate"),
        ("MaxDelaySeconds", "max_delay_seconds"),
        ("JitterStrategy", "jitter_strategy"),
        ("Comment", "comment"),
    ):
        if key in body:
            fields[attribute] = body[key]
    return Retrier(**fields)


def _build_catcher(body: Mapping[str, Any]) -> Catcher:
    fields: dict[str, Any] = {"error_equals": tuple(body["ErrorEquals"]), "next": body["Next"]}
    if "ResultPath" in body:
        fields["result_path"] = body["ResultPath"]
    for key, attribute in (("Output", "output"), ("Assign", "assign")):
        if key in body:
            fields[attribute] = Payload(body[key])
    if "Comment" in body:
        fields["comment"] = body["Comment"]
    return Catcher(**fields)


def _build_choice_rule(body: Mapping[str, Any]) -> ChoiceRule:
    fields: dict[str, Any] = {}
    for key, value in body.items():
        if key in _COMPARISON_KEYS:
            fields["comparison"] = key
            fields["value"] = value
        elif key == "Variable":
            fields["variable"] = value
        elif key == "Next":
            fields["next"] = value
        elif key == "And":
            fields["and_"] = tuple(_build_choice_rule(rule) for rule in value)
        elif key == "Or":
            fields["or_"] = tuple(_build_choice_rule(rule) for rule in value)
        elif key == "Not":
            fields["not_"] = _build_choice_rule(value)
        elif key == "Condition":
            fields["condition"] = value
        elif key == "Assign":
            fields["assign"] = Payload(value)
        elif key == "Output":
            fields["output"] = Payload(value)
        elif key == "Comment":
            fields["comment"] = value
    return ChoiceRule(**fields)


__all__ = [
    "JSONATA",
    "JSONPATH",
    "Catcher",
    "ChoiceRule",
    "ChoiceState",
    "FailState",
    "MapState",
    "ParallelState",
    "PassState",
    "Payload",
    "QueryLanguage",
    "Retrier",
    "State",
    "StateMachine",
    "SucceedState",
    "TaskState",
    "WaitState",
    "build_state_machine",
]
