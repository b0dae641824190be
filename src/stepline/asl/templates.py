"""JSONPath payload templates (Parameters, ResultSelector, ItemSelector...) and path reads.

``compile_template`` turns a template into a tree of callables once: keys ending in ``.$`` take
a path or an intrinsic function call and lose the suffix in the result; subtrees with nothing to
evaluate are returned as they are (JSON values are immutable here, never copied).

The run-time failures raise ``StatesRuntime`` with the cause text AWS records, a failing
intrinsic call included (``States.Runtime``, which ``States.ALL`` never catches). The runtime
adds AWS's prefix ("An error occurred while executing the state 'X' (entered at the event id
#N). ").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from stepline.asl import jsontext
from stepline.asl.errors import (
    StatesIntrinsicFailure,
    StatesResultPathMatchFailure,
    StatesRuntime,
)
from stepline.asl.intrinsics import compile_intrinsic, runtime_failure
from stepline.asl.jsonpath import (
    InvalidPath,
    JsonPath,
    PathNotFound,
    ReferencePath,
    compile_path,
)
from stepline.asl.scope import JSON, Scope

__all__ = ["Template", "assign_result", "compile_template", "read_field"]

Evaluator = Callable[[Scope], JSON]
_INTRINSIC_PREFIX = "States."

# Fields whose missing path AWS reports by quoting the input, like payload template keys do.
_QUOTING_FIELDS = frozenset({"ErrorPath", "CausePath"})
# Wait-state fields with their own wording.
_WAIT_FIELDS = frozenset({"SecondsPath", "TimestampPath"})


def _not_found_in_input(path: str, field_name: str, scope: Scope) -> StatesRuntime:
    return StatesRuntime(
        f"The JSONPath '{path}' specified for the field '{field_name}' "
        f"could not be found in the input '{jsontext.dumps(scope.data)}'"
    )


def read_field(path: JsonPath, scope: Scope, field_name: str) -> JSON:
    """Evaluate the path held by a state's field, failing the way AWS words it for that field.

    InputPath, OutputPath, ItemsPath, TimeoutSecondsPath and the other ``*Path`` fields quote
    Jayway (``Invalid path '$.x' : No results for path: $['x']``); ErrorPath and CausePath quote
    the input; SecondsPath and TimestampPath have the Wait state's own sentence.
    """
    try:
        return path.evaluate(scope)
    except PathNotFound as error:
        if field_name in _QUOTING_FIELDS:
            raise _not_found_in_input(path.text, field_name, scope) from None
        if field_name in _WAIT_FIELDS:
            message = f"The {field_name} parameter does not reference an input value: {path.text}"
            raise StatesRuntime(message) from None
        raise StatesRuntime(f"Invalid path '{path.text}' : {error.detail}") from None


def assign_result(path: ReferencePath, document: JSON, value: JSON) -> JSON:
    """Place a result with ResultPath; a path that cannot be applied fails the state.

    AWS names this ``States.ResultPathMatchFailure``; no recorded cause text was available, so
    the wording here is ours.
    """
    try:
        return path.assign(document, value)
    except PathNotFound:
        cause = f"Unable to apply ResultPath '{path.text}' to input '{jsontext.dumps(document)}'"
        raise StatesResultPathMatchFailure(cause) from None


@dataclass(frozen=True)
class Template:
    """A compiled payload template; ``evaluate(scope)`` builds the payload."""

    field: str
    evaluate: Evaluator = dataclass_field(repr=False, compare=False)
    is_constant: bool = False


def compile_template(value: JSON, field: str) -> Template:
    """Compile the template held by ``field`` (``Parameters``, ``ResultSelector``...)."""
    evaluator = _compile(value)
    if evaluator is None:
        return Template(field, lambda _scope: value, True)
    return Template(field, evaluator)


def _compile(value: JSON) -> Evaluator | None:
    """An evaluator for a template value, or None when the value is constant."""
    if isinstance(value, dict):
        return _compile_object(value)
    if isinstance(value, list):
        return _compile_array(value)
    return None


def _compile_object(template: dict[str, JSON]) -> Evaluator | None:
    parts: list[tuple[str, JSON, Evaluator | None]] = []
    dynamic = False
    for key, value in template.items():
        if key.endswith(".$"):
            parts.append((key[:-2], None, _compile_reference(key, value)))
            dynamic = True
            continue
        evaluator = _compile(value)
        dynamic = dynamic or evaluator is not None
        parts.append((key, value, evaluator))
    if not dynamic:
        return None

    def evaluate(scope: Scope) -> JSON:
        return {
            key: (constant if evaluator is None else evaluator(scope))
            for key, constant, evaluator in parts
        }

    return evaluate


def _compile_array(template: list[JSON]) -> Evaluator | None:
    items = [(item, _compile(item)) for item in template]
    if all(evaluator is None for _, evaluator in items):
        return None

    def evaluate(scope: Scope) -> JSON:
        return [
            constant if evaluator is None else evaluator(scope) for constant, evaluator in items
        ]

    return evaluate


def _compile_reference(key: str, text: JSON) -> Evaluator:
    """The evaluator of a ``key.$`` entry: a path or an intrinsic function call.

    A malformed call raises ``InvalidIntrinsic`` (a ``ValueError``, like ``InvalidPath``).
    """
    if not isinstance(text, str):
        raise InvalidPath(f"{key}: {jsontext.dumps(text)}")
    if text.startswith(_INTRINSIC_PREFIX):
        return compile_call(text)
    read = compile_path(text).evaluate

    def evaluate(scope: Scope) -> JSON:
        try:
            return read(scope)
        except PathNotFound as error:
            raise _not_found_in_input(error.path, key, scope) from None

    return evaluate


def compile_call(text: str) -> Evaluator:
    """An intrinsic call's evaluator: any failure of the call is AWS's ``States.Runtime``."""
    call = compile_intrinsic(text).evaluate

    def evaluate(scope: Scope) -> JSON:
        try:
            return call(scope)
        except (StatesIntrinsicFailure, PathNotFound) as error:
            raise runtime_failure(text, error, scope.data) from None

    return evaluate
