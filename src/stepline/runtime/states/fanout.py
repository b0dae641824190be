"""What Map and Parallel share: running nested state machines in child frames, recording the
events around them, and the order AWS links those events in.

AWS chains a fan-out's events oddly but consistently: an iteration's (or branch's) closing
event hangs off its last inner event without becoming the new tip, the next iteration starts
from that same inner event, and the state's own Succeeded event does not become the tip either
(its Exited event follows what came before it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stepline.asl.errors import StatesError
from stepline.asl.jsonpath import PathNotFound, compile_path
from stepline.asl.jsontext import dumps
from stepline.asl.model import Payload
from stepline.asl.scope import JSON
from stepline.runtime.dataflow import jsonata_evaluator
from stepline.runtime.entry import Entry
from stepline.runtime.frame import Frame

NumberReader = Callable[[Entry, JSON], JSON]


def succeed_fanout(frame: Frame, event_type: str) -> None:
    """Record ``MapStateSucceeded``/``ParallelStateSucceeded`` without moving the tip."""
    tip = frame.last_event_id
    frame.add_event(event_type)
    frame.last_event_id = tip


def run_child(frame: Frame, run: Callable[[Frame], JSON]) -> tuple[Frame, JSON]:
    """Run ``run`` in a child frame that starts from ``frame``'s tip; errors propagate."""
    child = frame.child()
    return child, run(child)


def number_reader(
    is_jsonata: bool, value: JSON, path_text: str | None, field: str, kind: str
) -> NumberReader | None:
    """MaxConcurrency, ToleratedFailureCount/Percentage: a literal, a path, or JSONata."""
    if is_jsonata and isinstance(value, str):
        evaluate = jsonata_evaluator(Payload(value), field)
        assert evaluate is not None
        return lambda entry, data: evaluate(entry, {})
    if path_text is None:
        return None if value is None else (lambda entry, data: value)
    path = compile_path(path_text)

    def read(entry: Entry, data: JSON) -> JSON:
        try:
            found = path.evaluate(entry.scope(data))
        except PathNotFound:
            raise entry.runtime_error(
                f"Invalid path '{path_text}' : No results for path: {path_text}"
            ) from None
        number = _as_number(found, kind)
        if number is None:
            shown = found if isinstance(found, str) else _text(found)
            raise entry.runtime_error(
                f'The {field}Path field refers to value "{shown}" which is not a valid '
                f"{kind}: {path_text}"
            )
        return number

    return read


def _as_number(value: Any, kind: str) -> int | float | None:
    """The number a path's value stands for (AWS also parses numeric strings), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return int(value) if kind == "integer" else float(value)
    except ValueError:
        return None


def _text(value: JSON) -> str:
    return dumps(value)


def iteration_error(error: StatesError) -> StatesError:
    """The error a failed iteration or branch raises from the Map/Parallel state itself."""
    return StatesError(error.cause, error.error)
