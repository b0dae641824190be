"""The intrinsics that build or compute values: States.JsonMerge, MathAdd, MathRandom and UUID."""

from __future__ import annotations

import random

from stepline.asl.ambient import Ambient, random_integer, random_uuid
from stepline.asl.intrinsics.arguments import (
    fail,
    require_object,
    require_rounded,
)
from stepline.asl.jsontext import type_name
from stepline.asl.scope import JSON


def json_merge(first: JSON, second: JSON, deep: JSON) -> JSON:
    """Shallow merge: the second object's keys win; AWS supports no deep mode."""
    name = "States.JsonMerge"
    left = require_object(name, first, "the first argument")
    right = require_object(name, second, "the second argument")
    if not isinstance(deep, bool):
        fail(name, f"the third argument must be a boolean, got {type_name(deep)}")
    if deep:
        fail(name, "deep merging is not supported; the third argument must be false")
    return {**left, **right}


def math_add(first: JSON, second: JSON) -> JSON:
    """Add after rounding each argument half up (recorded on AWS: 1.49 + 1.5 = 3, -1.5 + 0 = -1)."""
    if type(first) is int and type(second) is int:  # the common case, on loop counters' hot path
        return first + second
    name = "States.MathAdd"
    return require_rounded(name, first, "the first argument") + require_rounded(
        name, second, "the second argument"
    )


def math_random(ambient: Ambient, start: JSON, end: JSON, *seed: JSON) -> JSON:
    """A random integer from start to end inclusive; the same seed always gives the same one,
    and without a seed the execution's own draws decide (replaying gives the same number)."""
    name = "States.MathRandom"
    low = require_rounded(name, start, "the start")
    high = require_rounded(name, end, "the end")
    if high < low:
        fail(name, f"the end ({high}) must not be less than the start ({low})")
    if seed:
        generator = random.Random(require_rounded(name, seed[0], "the seed"))
        return generator.randint(low, high)
    return random_integer(ambient, low, high)


def uuid_(ambient: Ambient) -> JSON:
    return random_uuid(ambient)
