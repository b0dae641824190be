"""Fields whose value is a JSON structure with expressions inside (Arguments, Output, Assign).

Every string that :func:`is_expression` accepts, at any depth, is compiled when the template
is; everything else is copied through as a literal. AWS fails the state when a nested
expression yields nothing, naming the path to it: ``Output/result``, ``Assign/result``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from stepline.asl.ambient import LIVE, Ambient
from stepline.asl.jsonata.expression import compile_expression, is_expression
from stepline.asl.jsonata.failures import JsonataEvaluationError
from stepline.asl.scope import JSON

_Render = Callable[[Mapping[str, JSON], Mapping[str, JSON], Ambient], JSON]


class JsonataTemplate:
    """A compiled payload template; literal parts are returned without copying."""

    __slots__ = ("_render", "has_expressions", "value")

    def __init__(self, value: JSON) -> None:
        self.value = value
        self._render, self.has_expressions = _compile(value)

    def __repr__(self) -> str:
        return f"JsonataTemplate({self.value!r})"

    def evaluate(
        self, states: Mapping[str, JSON], variables: Mapping[str, JSON], ambient: Ambient = LIVE
    ) -> JSON:
        """The filled-in value; an expression that yields undefined is an error, at any depth."""
        return self._render(states, variables, ambient)


def compile_template(value: JSON) -> JsonataTemplate:
    """Compile every expression string inside ``value`` once (raises ``InvalidJsonata``)."""
    return JsonataTemplate(value)


def _compile(value: JSON) -> tuple[_Render, bool]:
    if is_expression(value):
        return compile_expression(value).evaluate_defined, True
    if isinstance(value, dict):
        return _compile_object(value)
    if isinstance(value, list):
        return _compile_array(value)
    return _literal(value), False


def _literal(value: JSON) -> _Render:
    def render(_states: Mapping[str, JSON], _variables: Mapping[str, JSON], _: Ambient) -> JSON:
        return value

    return render


def _compile_object(value: dict[str, JSON]) -> tuple[_Render, bool]:
    parts = {key: _compile(item) for key, item in value.items()}
    if not any(dynamic for _, dynamic in parts.values()):
        return _literal(value), False
    renders = [(key, render) for key, (render, _) in parts.items()]

    def render(states: Mapping[str, JSON], variables: Mapping[str, JSON], ambient: Ambient) -> JSON:
        return {key: _at(key, part, states, variables, ambient) for key, part in renders}

    return render, True


def _compile_array(value: list[JSON]) -> tuple[_Render, bool]:
    parts = [_compile(item) for item in value]
    if not any(dynamic for _, dynamic in parts):
        return _literal(value), False
    renders = [render for render, _ in parts]

    def render(states: Mapping[str, JSON], variables: Mapping[str, JSON], ambient: Ambient) -> JSON:
        return [
            _at(str(index), part, states, variables, ambient) for index, part in enumerate(renders)
        ]

    return render, True


def _at(
    key: str,
    render: _Render,
    states: Mapping[str, Any],
    variables: Mapping[str, Any],
    ambient: Ambient,
) -> JSON:
    """Render one member, prefixing ``key`` to the location of any failure beneath it."""
    try:
        return render(states, variables, ambient)
    except JsonataEvaluationError as error:
        raise error.within(key) from error
