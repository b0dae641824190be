"""What an expression can read while a state runs: ``$`` (the data), ``$$`` and the variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stepline.asl.ambient import LIVE, Ambient

JSON = Any
"""A JSON value as Python holds it: dict, list, str, int, float, bool or None.

Values are treated as immutable everywhere: code that needs a changed value builds a new one and
copies only what lies along the changed path.
"""


@dataclass(slots=True)
class Scope:
    """The data a JSONPath expression, payload template or intrinsic function sees.

    ``data`` is what ``$`` means at that point (the state input for InputPath/Parameters, the
    task result for ResultSelector, ...); ``context`` is the context object (``$$``);
    ``variables`` are the workflow variables visible to the state (``$name`` in JSONPath);
    ``ambient`` is where the time and random draws come from (``stepline.asl.ambient``).
    """

    data: JSON
    context: JSON
    variables: Mapping[str, JSON]
    ambient: Ambient = LIVE

    def with_data(self, data: JSON) -> Scope:
        return Scope(data, self.context, self.variables, self.ambient)
