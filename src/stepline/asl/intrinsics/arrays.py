"""The array intrinsics: States.Array, ArrayPartition, ArrayContains, ArrayRange, ArrayGetItem,
ArrayLength and ArrayUnique."""

from __future__ import annotations

from stepline.asl.intrinsics.arguments import (
    fail,
    json_key,
    require_integer,
    require_list,
)
from stepline.asl.scope import JSON

MAX_RANGE_ITEMS = 1000
"""AWS's limit on the items States.ArrayRange may produce."""


def array(*values: JSON) -> JSON:
    return list(values)


def array_partition(values: JSON, size: JSON) -> JSON:
    name = "States.ArrayPartition"
    items = require_list(name, values, "the first argument")
    chunk = require_integer(name, size, "the chunk size")
    if chunk <= 0:
        fail(name, f"the chunk size must be a positive integer, got {chunk}")
    return [items[start : start + chunk] for start in range(0, len(items), chunk)]


def array_contains(values: JSON, wanted: JSON) -> JSON:
    items = require_list("States.ArrayContains", values, "the first argument")
    key = json_key(wanted)
    return any(json_key(item) == key for item in items)


def array_range(first: JSON, last: JSON, step: JSON) -> JSON:
    name = "States.ArrayRange"
    start = require_integer(name, first, "the first argument")
    end = require_integer(name, last, "the second argument")
    increment = require_integer(name, step, "the step")
    if increment == 0:
        fail(name, "the step must not be zero")
    count = max(0, (end - start) // increment + 1)
    if count > MAX_RANGE_ITEMS:
        fail(name, f"the range would hold {count} items, more than {MAX_RANGE_ITEMS}")
    return list(range(start, start + count * increment, increment))


def array_get_item(values: JSON, index: JSON) -> JSON:
    name = "States.ArrayGetItem"
    items = require_list(name, values, "the first argument")
    position = require_integer(name, index, "the index")
    if not 0 <= position < len(items):
        fail(name, f"the index {position} is out of bounds for an array of length {len(items)}")
    return items[position]


def array_length(values: JSON) -> JSON:
    return len(require_list("States.ArrayLength", values, "the argument"))


def array_unique(values: JSON) -> JSON:
    """Keep first occurrences in order; objects are equal whatever their keys' order."""
    items = require_list("States.ArrayUnique", values, "the argument")
    seen: set[object] = set()
    unique: list[JSON] = []
    for item in items:
        key = json_key(item)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique
