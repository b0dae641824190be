"""A state's input and output processing, compiled once per state into small callables.

JSONPath states: InputPath → Parameters → (the state's work) → ResultSelector → ResultPath →
OutputPath, and Assign reading the state's result. JSONata states: Arguments → (work) → Output,
and Assign, evaluated against ``$states`` and the variables. ``None`` stands for "nothing to do"
so the hot path can skip a field that is absent or the identity ``$``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stepline.asl import jsonata
from stepline.asl.errors import StatesError
from stepline.asl.jsonpath import compile_path, compile_reference_path
from stepline.asl.jsontext import dumps
from stepline.asl.model import Payload
from stepline.asl.scope import JSON
from stepline.asl.templates import assign_result, compile_template, read_field
from stepline.runtime.entry import Entry

Transform = Callable[[Entry, JSON], JSON]
"""Maps a value to a value during one entry into a state."""
ResultPlacer = Callable[[Entry, JSON, JSON], JSON]
"""(entry, raw state input, result) → the value ResultPath makes of them."""
Assigner = Callable[[Entry, JSON, dict[str, Any]], dict[str, JSON]]
"""(entry, ``$`` for JSONPath, extra ``$states`` fields for JSONata) → variables to assign."""


def path_selector(text: str | None, field: str) -> Transform | None:
    """InputPath, OutputPath, ItemsPath...: ``None`` input gives ``{}``, ``$`` is the identity."""
    if text == "$":
        return None
    if text is None:
        return lambda entry, value: {}
    path = compile_path(text)

    def select(entry: Entry, value: JSON) -> JSON:
        return read_field(path, entry.scope(value), field)

    return select


def template_transform(payload: Payload | None, field: str) -> Transform | None:
    """Parameters, ResultSelector, ItemSelector: a payload template evaluated over ``$``."""
    if payload is None:
        return None
    template = compile_template(payload.value, field)

    def evaluate(entry: Entry, value: JSON) -> JSON:
        return template.evaluate(entry.scope(value))

    return evaluate


def result_placer(text: str | None) -> ResultPlacer:
    """ResultPath: ``$`` replaces the input, ``null`` discards the result, a path merges."""
    if text == "$":
        return lambda entry, raw_input, result: result
    if text is None:
        return lambda entry, raw_input, result: raw_input
    reference = compile_reference_path(text)

    def place(entry: Entry, raw_input: JSON, result: JSON) -> JSON:
        return assign_result(reference, raw_input, result)

    return place


def jsonpath_assigner(payload: Payload | None) -> Assigner | None:
    """Assign in a JSONPath state: a payload template whose ``$`` is the state's result."""
    if payload is None:
        return None
    template = compile_template(payload.value, "Assign")

    def assign(entry: Entry, data: JSON, extra: dict[str, Any]) -> dict[str, JSON]:
        values: dict[str, JSON] = template.evaluate(entry.scope(data))
        return values

    return assign


def jsonata_evaluator(
    payload: Payload | None, field: str
) -> Callable[[Entry, dict[str, Any]], JSON] | None:
    """A JSONata-mode field (Arguments, Output, Items...) evaluated against ``$states``."""
    if payload is None:
        return None
    template = jsonata.compile_template(payload.value)

    def evaluate(entry: Entry, extra: dict[str, Any]) -> JSON:
        try:
            return template.evaluate(entry.states(**extra), entry.variables, entry.frame.execution)
        except jsonata.JsonataEvaluationError as error:
            raise query_error(entry, error, field) from None

    return evaluate


def jsonata_assigner(payload: Payload | None) -> Assigner | None:
    """Assign in a JSONata state: each variable's expression evaluated on its own."""
    if payload is None:
        return None
    fields = {
        name: jsonata_evaluator(Payload(value), f"Assign/{name}")
        for name, value in payload.value.items()
    }

    def assign(entry: Entry, data: JSON, extra: dict[str, Any]) -> dict[str, JSON]:
        values: dict[str, JSON] = {}
        for name, evaluate in fields.items():
            assert evaluate is not None
            values[name] = evaluate(entry, extra)
        return values

    return assign


def query_error(entry: Entry, error: Any, field: str) -> StatesError:
    """AWS's States.QueryEvaluationError for a failed JSONata expression in ``field``."""
    return jsonata.to_states_error(
        error, state_name=entry.state.name, entered_event_id=entry.entered_id, field=field
    )


def assigned_variables_details(values: dict[str, JSON]) -> dict[str, str]:
    """The ``assignedVariables`` of a StateExited event: names sorted, values as JSON text."""
    return {name: dumps(values[name]) for name in sorted(values)}
