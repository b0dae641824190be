"""How a JSONata evaluation fails, and the ``States.QueryEvaluationError`` text AWS writes for it.

The adapter raises :class:`JsonataEvaluationError` knowing only the expression and what went
wrong; the runtime, which knows the state, the entered event and the field, turns it into the
catchable ASL error with :func:`to_states_error`. The sentences below are the ones AWS recorded
in ``tests/data/conformance/cases.jsonl`` (causes of ``States.QueryEvaluationError``).
"""

from __future__ import annotations

import enum
import re
from typing import Any

from stepline.asl.errors import StatesQueryEvaluationError


class FailureKind(enum.Enum):
    """What went wrong; each kind has its own sentence in AWS's cause."""

    UNDEFINED_RESULT = "returned nothing (undefined)."
    UNSUPPORTED_RESULT = "returned an unsupported result type."
    UNEXPECTED_TYPE = "returned an unexpected result type."
    EVALUATION_ERROR = "threw an error during evaluation."


class JsonataEvaluationError(Exception):
    """An expression failed to produce a usable JSON value.

    ``expression`` is the text between ``{%`` and ``%}`` (trimmed, as AWS quotes it), ``detail``
    the sentence AWS appends after the kind's own (library message, expected type...), and
    ``path`` the keys leading from the field to the failing string inside a template.
    """

    def __init__(
        self,
        expression: str,
        kind: FailureKind,
        detail: str = "",
        path: tuple[str, ...] = (),
    ) -> None:
        self.expression = expression
        self.kind = kind
        self.detail = detail
        self.path = path
        super().__init__(f"{expression!r} {kind.value} {detail}".rstrip())

    def within(self, key: str) -> JsonataEvaluationError:
        """The same failure seen one level up a template, under ``key``."""
        return JsonataEvaluationError(self.expression, self.kind, self.detail, (key, *self.path))


class JsonataQueryEvaluationError(StatesQueryEvaluationError):
    """``States.QueryEvaluationError`` plus what the ``EvaluationFailed`` history event needs."""

    def __init__(self, cause: str, *, state_name: str, location: str) -> None:
        super().__init__(cause)
        self.state_name = state_name
        self.location = location


def to_states_error(
    error: JsonataEvaluationError, *, state_name: str, entered_event_id: int, field: str
) -> JsonataQueryEvaluationError:
    """Render AWS's cause; ``field`` is the ASL field (``Output``), nested keys are appended."""
    location = "/".join((field, *error.path))
    cause = (
        f"An error occurred while executing the state '{state_name}' "
        f"(entered at the event id #{entered_event_id}). "
        f"The JSONata expression '{error.expression}' specified for the field '{location}' "
        f"{error.kind.value}"
    )
    if error.detail:
        cause = f"{cause} {error.detail}"
    return JsonataQueryEvaluationError(cause, state_name=state_name, location=location)


_PLACEHOLDER = re.compile(r"\{\{\{?\w+\}?\}\}")


def describe_library_error(error: BaseException, templates: dict[str, str]) -> str:
    """``CODE: message`` as JSONata's reference implementation words it (AWS quotes that).

    jsonata-python inherits jsonata-java's message table, where the word "function" became
    "Object"; the reference (JavaScript) texts say "function", so the template is repaired and
    re-filled with the error's own values, JSON-rendered like the reference does.
    """
    code = getattr(error, "error", None)
    template = templates.get(code) if isinstance(code, str) else None
    if template is None:
        return str(error)
    template = template.replace("Object", "function")
    values = [getattr(error, name, None) for name in ("current", "expected", "extra")]
    return f"{code}: {_fill(template, values)}"


def _fill(template: str, values: list[Any]) -> str:
    """Replace ``{{name}}`` placeholders in order, as the library assigns its values."""
    from stepline.asl import jsontext  # noqa: PLC0415 - keeps this module import-light

    remaining = iter(values)

    def render(match: re.Match[str]) -> str:
        value = next(remaining, None)
        if match.group(0).startswith("{{{") or isinstance(value, int | float):
            return str(value)
        try:
            return jsontext.dumps(value)
        except TypeError:
            return str(value)

    return _PLACEHOLDER.sub(render, template)
