"""The 18 intrinsic functions by ASL name, with the argument counts checked at compile time."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from stepline.asl.intrinsics import arrays, strings, values
from stepline.asl.scope import JSON


@dataclass(frozen=True, slots=True)
class Function:
    """An intrinsic: how many arguments it takes (``maximum`` None: any) and what it computes."""

    minimum: int
    maximum: int | None
    implementation: Callable[..., JSON]
    reads_ambient: bool = False
    """Whether the implementation takes the scope's ``Ambient`` before its arguments."""

    def accepts(self, count: int) -> bool:
        return count >= self.minimum and (self.maximum is None or count <= self.maximum)

    def expected(self) -> str:
        if self.maximum is None:
            return f"at least {self.minimum}"
        if self.maximum == self.minimum:
            return str(self.minimum)
        return f"{self.minimum} to {self.maximum}"


FUNCTIONS: Mapping[str, Function] = {
    "States.Format": Function(1, None, strings.format_template),
    "States.StringToJson": Function(1, 1, strings.string_to_json),
    "States.JsonToString": Function(1, 1, strings.json_to_string),
    "States.Array": Function(0, None, arrays.array),
    "States.ArrayPartition": Function(2, 2, arrays.array_partition),
    "States.ArrayContains": Function(2, 2, arrays.array_contains),
    "States.ArrayRange": Function(3, 3, arrays.array_range),
    "States.ArrayGetItem": Function(2, 2, arrays.array_get_item),
    "States.ArrayLength": Function(1, 1, arrays.array_length),
    "States.ArrayUnique": Function(1, 1, arrays.array_unique),
    "States.Base64Encode": Function(1, 1, strings.base64_encode),
    "States.Base64Decode": Function(1, 1, strings.base64_decode),
    "States.Hash": Function(2, 2, strings.hash_),
    "States.JsonMerge": Function(3, 3, values.json_merge),
    "States.MathRandom": Function(2, 3, values.math_random, reads_ambient=True),
    "States.MathAdd": Function(2, 2, values.math_add),
    "States.StringSplit": Function(2, 2, strings.string_split),
    "States.UUID": Function(0, 0, values.uuid_, reads_ambient=True),
}

FUNCTION_NAMES = frozenset(FUNCTIONS)
