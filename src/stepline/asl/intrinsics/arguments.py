"""Run-time checks on intrinsic arguments, and the one place their failure causes are worded.

A function given unusable arguments raises ``StatesIntrinsicFailure`` with the detail
``Invalid arguments in <function>: <problem>``. The opening is AWS's: causes from real executions
contain it (seen for States.MathAdd and States.StringToJson). No full AWS cause for these
failures is on record, so the ``: <problem>`` detail is Stepline's own; the wording lives here
alone so it can be aligned with a recorded text in one edit.

``runtime_failure`` words what AWS records when a call in a payload template fails, for a bad
argument or a path argument naming nothing: ``States.Runtime`` (which ``States.ALL`` never
catches), with the cause ``The function '<expression>' had the following error: <detail>``.
"""

from __future__ import annotations

import math
from typing import NoReturn

from stepline.asl import jsontext
from stepline.asl.errors import StatesIntrinsicFailure, StatesRuntime
from stepline.asl.jsonpath import PathNotFound
from stepline.asl.jsontext import type_name
from stepline.asl.scope import JSON

MAX_STRING_LENGTH = 10_000
"""AWS's limit on the string given to States.Base64Encode, Base64Decode and Hash."""


def fail(function: str, problem: str) -> NoReturn:
    """Raise the failure of an intrinsic that cannot produce a value from its arguments."""
    raise StatesIntrinsicFailure(f"Invalid arguments in {function}: {problem}")


def runtime_failure(
    expression: str, error: StatesIntrinsicFailure | PathNotFound, data: JSON
) -> StatesRuntime:
    """The error AWS records for the call ``expression`` (the whole field, nested calls and
    spacing as written) failing over the data ``data`` (what ``$`` means there)."""
    if isinstance(error, PathNotFound):
        detail = (
            f"The JsonPath argument for the field '{error.path}' "
            f"could not be found in the input '{jsontext.dumps(data)}'"
        )
    else:
        detail = error.cause
    return StatesRuntime(f"The function '{expression}' had the following error: {detail}")


def require_list(function: str, value: JSON, role: str) -> list[JSON]:
    if not isinstance(value, list):
        fail(function, f"{role} must be an array, got {type_name(value)}")
    return value


def require_object(function: str, value: JSON, role: str) -> dict[str, JSON]:
    if not isinstance(value, dict):
        fail(function, f"{role} must be an object, got {type_name(value)}")
    return value


def require_string(function: str, value: JSON, role: str, limit: int | None = None) -> str:
    if not isinstance(value, str):
        fail(function, f"{role} must be a string, got {type_name(value)}")
    if limit is not None and len(value) > limit:
        fail(function, f"{role} must be at most {limit} characters long, got {len(value)}")
    return value


def require_integer(function: str, value: JSON, role: str) -> int:
    """An integer argument; a number with no fractional part (``2.0``) counts as one."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    fail(function, f"{role} must be an integer, got {_shown(value)}")


def require_rounded(function: str, value: JSON, role: str) -> int:
    """A number rounded half up, as AWS rounds States.MathAdd's arguments (1.5 -> 2, -1.5 -> -1)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return math.floor(value + 0.5)
    fail(function, f"{role} must be a number, got {type_name(value)}")


def _shown(value: JSON) -> str:
    return repr(value) if isinstance(value, float) else type_name(value)


def json_key(value: JSON) -> object:
    """A hashable key equal for equal JSON values and distinct across types (``1`` vs ``1.0``).

    JSON equality ignores object key order and never equates a boolean with a number, unlike
    Python's ``==`` (``True == 1 == 1.0``), so membership and uniqueness use these keys.
    """
    if isinstance(value, dict):
        return ("o", frozenset((key, json_key(item)) for key, item in value.items()))
    if isinstance(value, list):
        return ("a", tuple(json_key(item) for item in value))
    return (type(value).__name__, value)
