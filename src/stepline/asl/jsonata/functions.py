"""The functions AWS Step Functions adds to JSONata, and the one it takes away (``$eval``).

AWS documents ``$partition``, ``$range``, ``$hash``, ``$random`` (with an optional seed),
``$uuid`` and ``$parse`` as replacements for the JSONPath intrinsics ``States.ArrayPartition``,
``States.ArrayRange``, ``States.Hash``, ``States.MathRandom``, ``States.UUID`` and
``States.StringToJson``; ``$eval`` is "not available", so it is bound to nothing and calling it
fails like any unknown function (``T1006``).
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import threading
from collections.abc import Callable, Sequence
from typing import Any

import jsonata
from jsonata.utils import Utils

from stepline.asl.ambient import LIVE, Ambient, random_fraction, random_uuid

HASH_ALGORITHMS = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


class StepFunctionsFunctionError(ValueError):
    """An AWS-added function refused its arguments (rendered as the error's message)."""


def partition(array: Sequence[Any], size: float) -> list[list[Any]]:
    """Chunks of ``size`` items; the last one may be shorter."""
    chunk = _positive_integer(size, "partition", "size")
    items = list(array)
    return [items[start : start + chunk] for start in range(0, len(items), chunk)]


def range_(start: float, end: float, step: float) -> list[int]:
    """Integers from ``start`` to ``end`` inclusive, ``step`` apart (negative steps count down)."""
    first, last, stride = (_integer(value, "range") for value in (start, end, step))
    if stride == 0:
        raise StepFunctionsFunctionError("The step argument of the range function cannot be 0")
    return list(range(first, last + (1 if stride > 0 else -1), stride))


def hash_(value: str, algorithm: str) -> str:
    """Hex digest of the UTF-8 text with one of AWS's five algorithm names."""
    name = HASH_ALGORITHMS.get(algorithm)
    if name is None:
        supported = ", ".join(HASH_ALGORITHMS)
        raise StepFunctionsFunctionError(
            f"The hash function does not support the algorithm {algorithm!r}; use {supported}"
        )
    return hashlib.new(name, value.encode()).hexdigest()


class _CurrentAmbient(threading.local):
    """The ambient of the evaluation running on this thread (set by ``JsonataExpression``)."""

    current: Ambient = LIVE


AMBIENT = _CurrentAmbient()


def random_(seed: float | None = None) -> float:
    """A number in [0, 1); a seed makes it repeatable (not AWS's sequence, which is unknown),
    and without one the evaluation's ambient draws it."""
    if seed is None:
        return random_fraction(AMBIENT.current)
    return random.Random(_integer(seed, "random")).random()


def uuid_() -> str:
    """A random (version 4) UUID, as ``States.UUID`` makes, from the evaluation's ambient."""
    return random_uuid(AMBIENT.current)


def parse(text: str) -> Any:
    """JSON text to a value; JSON ``null`` must stay null, which the library spells NULL_VALUE."""
    try:
        value = json.loads(text)
    except ValueError as error:
        raise StepFunctionsFunctionError(
            f"The parse function could not parse the JSON string: {error}"
        ) from error
    return Utils.NULL_VALUE if value is None else value


def _integer(value: float, function: str) -> int:
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        raise StepFunctionsFunctionError(f"The {function} function expects integer arguments")
    return int(value)


def _positive_integer(value: float, function: str, argument: str) -> int:
    number = _integer(value, function)
    if number <= 0:
        raise StepFunctionsFunctionError(
            f"The {argument} argument of the {function} function must be a positive integer"
        )
    return number


class _Implementation(jsonata.Jsonata.JFunctionCallable):  # type: ignore[misc]
    """Adapts a plain Python function to the library's calling convention."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self._function = function

    def call(self, focus: Any, args: Sequence[Any] | None) -> Any:
        del focus  # AWS's functions take only explicit arguments
        return self._function(*(args or ()))


# name -> (implementation, JSONata signature); signatures make the library check argument types
# and raise the reference implementation's T0410/T0411 errors, as for built-in functions.
_FUNCTIONS: dict[str, tuple[Callable[..., Any], str]] = {
    "partition": (partition, "<an:a>"),
    "range": (range_, "<nnn:a<n>>"),
    "hash": (hash_, "<ss:s>"),
    "random": (random_, "<n?:n>"),
    "uuid": (uuid_, "<:s>"),
    "parse": (parse, "<s:x>"),
}


def install(program: Any) -> None:
    """Bind AWS's functions on a compiled expression's own frame (once, at compile time)."""
    for name, (function, signature) in _FUNCTIONS.items():
        program.register_function(
            name, jsonata.Jsonata.JFunction(_Implementation(function), signature)
        )
    program.register_function("eval", None)
