"""The string and encoding intrinsics: States.Format, StringSplit, StringToJson, JsonToString,
Base64Encode, Base64Decode and Hash."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache

from stepline.asl import jsontext
from stepline.asl.intrinsics.arguments import MAX_STRING_LENGTH, fail, require_string
from stepline.asl.scope import JSON

FORMAT = "States.Format"

_HASH_ALGORITHMS = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


def split_literal_template(raw: str) -> tuple[str, ...]:
    """Split a Format template written as a literal (escapes kept) at its ``{}`` placeholders.

    The escapes must still be in place here: ``\\{\\}`` writes braces that are not a placeholder,
    which the unescaped value could no longer tell apart from ``{}``.
    """
    segments: list[str] = []
    current: list[str] = []
    position = 0
    while position < len(raw):
        character = raw[position]
        if character == "\\" and position + 1 < len(raw):
            current.append(raw[position + 1])
            position += 2
        elif raw.startswith("{}", position):
            segments.append("".join(current))
            current = []
            position += 2
        else:
            current.append(character)
            position += 1
    segments.append("".join(current))
    return tuple(segments)


def format_segments(segments: Sequence[str], values: Sequence[JSON]) -> str:
    """Interleave template segments with the rendered values (one fewer value than segments)."""
    parts = [segments[0]]
    for value, segment in zip(values, segments[1:], strict=True):
        parts.append(render(value))
        parts.append(segment)
    return "".join(parts)


def format_template(template: JSON, *values: JSON) -> JSON:
    """States.Format with a template only known at run time (a path or a nested call)."""
    text = require_string(FORMAT, template, "the template")
    segments = text.split("{}")
    if len(segments) - 1 != len(values):
        fail(
            FORMAT,
            f"the template has {len(segments) - 1} placeholders but {len(values)} values follow",
        )
    return format_segments(segments, values)


def render(value: JSON) -> str:
    """A value as States.Format writes it.

    AWS writes values the way Java's ``toString`` does: strings bare, objects as
    ``{Id=arn..., Name=x}`` (recorded for ``$$.StateMachine``), arrays as ``[1, 2]``, doubles as
    ``1.0E20``.
    """
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _render_double(value)
    if isinstance(value, list):
        return "[" + ", ".join(render(item) for item in value) + "]"
    return "{" + ", ".join(f"{key}={render(item)}" for key, item in value.items()) + "}"


def _render_double(value: float) -> str:
    """Java's ``Double.toString``: plain from 10^-3 up to 10^7, otherwise ``d.dddE<n>``."""
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        return repr(value)
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)  # finite: JSON has no NaN or Infinity
    mantissa = "".join(str(digit) for digit in digits)
    scientific_exponent = len(digits) - 1 + exponent
    return f"{'-' if sign else ''}{mantissa[0]}.{mantissa[1:] or '0'}E{scientific_exponent}"


def string_split(text: JSON, delimiters: JSON) -> JSON:
    """Split at any of the delimiter's characters and drop empty pieces, as AWS does.

    Recorded: ``",,,,"`` split on ``","`` gives ``[]`` and ``"a.b+c"`` split on ``".+"`` gives
    ``["a", "b", "c"]``.
    """
    name = "States.StringSplit"
    value = require_string(name, text, "the first argument")
    separators = require_string(name, delimiters, "the delimiter")
    if not separators:
        return [value] if value else []
    return [piece for piece in _separator_pattern(separators).split(value) if piece]


@lru_cache(maxsize=256)
def _separator_pattern(separators: str) -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(character) for character in separators) + "]")


def string_to_json(text: JSON) -> JSON:
    """Parse JSON text; blank text gives null (recorded on AWS for ``""`` and ``" "``)."""
    name = "States.StringToJson"
    value = require_string(name, text, "the argument")
    if not value.strip():
        return None
    try:
        return jsontext.loads(value)
    except ValueError:
        fail(name, "the argument is not valid JSON text")


def json_to_string(value: JSON) -> JSON:
    return jsontext.dumps(value)


def base64_encode(text: JSON) -> JSON:
    value = require_string("States.Base64Encode", text, "the argument", MAX_STRING_LENGTH)
    return base64.b64encode(value.encode()).decode("ascii")


def base64_decode(text: JSON) -> JSON:
    """Decode MIME Base64: characters outside the alphabet are skipped and padding is optional."""
    name = "States.Base64Decode"
    value = require_string(name, text, "the argument", MAX_STRING_LENGTH)
    alphabet = re.sub(r"[^A-Za-z0-9+/]", "", value.split("=", 1)[0])
    if len(alphabet) % 4 == 1:
        fail(name, "the argument is not valid Base64")
    # Whole quartets, padded and cleaned as above, always decode.
    decoded = base64.b64decode(alphabet + "=" * (-len(alphabet) % 4))
    return decoded.decode("utf-8", errors="replace")


def hash_(data: JSON, algorithm: JSON) -> JSON:
    name = "States.Hash"
    value = require_string(name, data, "the data", MAX_STRING_LENGTH)
    algorithm_name = require_string(name, algorithm, "the algorithm")
    if algorithm_name not in _HASH_ALGORITHMS:
        supported = ", ".join(_HASH_ALGORITHMS)
        fail(name, f"the algorithm must be one of {supported}, got {algorithm_name}")
    return hashlib.new(_HASH_ALGORITHMS[algorithm_name], value.encode()).hexdigest()
