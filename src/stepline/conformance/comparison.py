"""Recorded results against Stepline's normalised ones: status, output or error, history.

JSON values are compared strictly: ``1`` and ``1.0`` and ``true`` differ, key order does not.
History events are compared on ``type`` and their ``*EventDetails``; ``timestamp`` and
``roleArn`` are never compared. ``id`` and ``previousEventId`` are compared only outside Map and
Parallel sections, whose branches and iterations interleave differently from run to run; for
the same reason a section whose events differ in order only is accepted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

SECTION_STARTS = frozenset({"MapStateStarted", "ParallelStateStarted", "MapRunStarted"})
SECTION_ENDS = frozenset(
    f"{kind}{outcome}"
    for kind in ("MapState", "ParallelState", "MapRun")
    for outcome in ("Succeeded", "Failed", "Aborted")
)
SECTION_EXITS = frozenset({"MapStateExited", "ParallelStateExited"})
PARALLEL_SORT_ENDS = frozenset(
    {"ParallelStateSucceeded", "ParallelStateAborted", "ParallelStateExited", "ParallelStateFailed"}
)


def canonical(value: Any) -> str:
    """JSON text that is equal for equal values only (sorted keys; ``1`` is not ``1.0``)."""
    return json.dumps(value, sort_keys=True)


# A UUID, or the ``<uuid:N>`` the normalising step put in the place of one.
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|<uuid:\d+>"
# The keys the recordings masked by name, with the form the masked value must still have.
MASKED_KEY_FORMS = {
    "Date": re.compile(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT"),
    "RequestId": re.compile(_UUID),
    "x-amzn-RequestId": re.compile(_UUID),
    "X-Amzn-Trace-Id": re.compile(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}(;.+)?"),
    "x-amz-crc32": re.compile(r"\d+"),
    "Via": re.compile(r".+"),
    "Server": re.compile(r".+"),
    "x-amz-apigw-id": re.compile(r".+"),
    "X-Amz-Cf-Id": re.compile(r".+"),
    "X-Amz-Cf-Pop": re.compile(r".+"),
}


def masked_by_key(key: str, recorded: Any) -> bool:
    """Whether the recording masked this key's value with a key-value transformer.

    The recording tests masked some response fields by key (Lambda's ``Date``,
    ``X-Amzn-Trace-Id``, ``x-amzn-RequestId``, ``RequestId`` ...), and which ones varies by test
    while the cases do not list those transformers. Their mark is in the value itself: the key's
    own name (the transformer's default), ``<headers-KEY>``, or ``date`` for a ``Date`` header.
    Only the keys of ``MASKED_KEY_FORMS`` were ever masked so.
    """
    if key not in MASKED_KEY_FORMS or not isinstance(recorded, str):
        return False
    if recorded in (key, f"<headers-{key}>", f"<headers-{key.lower()}>"):
        return True
    return key == "Date" and recorded in ("date", "<date>")


def masked_form_difference(key: str, actual: Any) -> str | None:
    """Where a masked value does not have the form its key calls for (a UUID is a UUID); a
    header's value may be a list of such values (``AllHttpHeaders``)."""
    values = actual if isinstance(actual, list) and actual else [actual]
    if all(isinstance(value, str) and MASKED_KEY_FORMS[key].fullmatch(value) for value in values):
        return None
    return f"expected a value of the form {key} has, got {_short(actual)}"


def first_difference(
    expected: Any, actual: Any, path: str = "", *, inputs: frozenset[str] | None = None
) -> str | None:
    """The first place where two JSON values differ, as ``path: expected X, got Y``.

    ``inputs`` are the state inputs of the run (as ``canonical`` texts): where a recording
    masked an input quoted in a message (``<json-input:N>``), Stepline's text must quote one of
    them. Without ``inputs``, it must quote JSON.
    """
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(expected.keys() | actual.keys()):
            if key not in actual:
                return f"{path}.{key}: missing (expected {_short(expected[key])})"
            if key not in expected:
                return f"{path}.{key}: unexpected {_short(actual[key])}"
            if masked_by_key(key, expected[key]):
                wrong = masked_form_difference(key, actual[key])
                if wrong:
                    return f"{path}.{key}: {wrong}"
                continue
            found = first_difference(expected[key], actual[key], f"{path}.{key}", inputs=inputs)
            if found:
                return found
        return None
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
            found = first_difference(left, right, f"{path}[{index}]", inputs=inputs)
            if found:
                return found
        return None
    if canonical(expected) == canonical(actual):
        return None
    if (
        isinstance(expected, str)
        and isinstance(actual, str)
        and _matches_json_inputs(expected, actual, inputs)
    ):
        return None
    if isinstance(expected, str) and isinstance(actual, str) and len(expected) > 80:
        return f"{path or '.'}: {_string_difference(expected, actual)}"
    return f"{path or '.'}: expected {_short(expected)}, got {_short(actual)}"


_JSON_INPUT = re.compile(r"<json-input:\d+>")


def _matches_json_inputs(expected: str, actual: str, inputs: frozenset[str] | None) -> bool:
    """Whether ``actual`` reads as ``expected`` with each ``<json-input:N>`` an input's JSON.

    The recordings mask the state input quoted in some causes with ``<json-input:N>``, a
    transformer the cases do not list. Where one stands, Stepline's text must hold a JSON
    object or array: one of ``inputs`` when given, the same text wherever ``N`` repeats.
    """
    numbers = _JSON_INPUT.findall(expected)
    if not numbers:
        return False
    parts = _JSON_INPUT.split(expected)
    pattern = r"([\[{].*[\]}])".join(re.escape(part) for part in parts)
    match = re.fullmatch(pattern, actual, flags=re.DOTALL)
    if match is None:
        return False
    quoted: dict[str, str] = {}
    for number, text in zip(numbers, match.groups(), strict=True):
        try:
            value = canonical(json.loads(text))
        except ValueError:
            return False
        if inputs is not None and value not in inputs:
            return False
        if quoted.setdefault(number, value) != value:
            return False
    return True


def state_inputs(events: Sequence[dict[str, Any]]) -> frozenset[str]:
    """The inputs of an execution and of the states it entered, as ``canonical`` texts."""
    found = set()
    for event in events:
        for key in ("executionStartedEventDetails", "stateEnteredEventDetails"):
            details = event.get(key)
            if isinstance(details, dict) and "input" in details:
                value = details["input"]
                if isinstance(value, str):
                    try:
                        value = json.loads(value)
                    except ValueError:
                        continue
                found.add(canonical(value))
    return frozenset(found)


def _string_difference(expected: str, actual: str) -> str:
    """Long strings: where they part, with a little context either side."""
    at = next(
        (i for i, (a, b) in enumerate(zip(expected, actual, strict=False)) if a != b),
        min(len(expected), len(actual)),
    )
    start = max(0, at - 30)
    return (
        f"strings differ at character {at}: expected ...{_short(expected[start : at + 50])}, "
        f"got ...{_short(actual[start : at + 50])}"
    )


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def sort_parallel_sections(events: list[dict[str, Any]]) -> None:
    """The recorded ``SfnNoneRecursiveParallelTransformer``, in place, quirks included.

    Events after a ``ParallelStateStarted`` get ``id`` ``[0]`` and ``previousEventId`` 0 and are
    sorted by their JSON text when a Parallel end event arrives; as recorded, both the
    ``...Succeeded`` and the ``...Exited`` event re-sort the same slice, which drops the events
    between them, and the walk goes on over the shortened list.
    """
    start = 0
    collected: list[dict[str, Any]] = []
    collecting = False
    index = 0
    while index < len(events):
        event_type = events[index].get("type")
        if event_type is None:
            collecting = False
        elif event_type in PARALLEL_SORT_ENDS:
            events[start:index] = sorted(collected, key=canonical)
            collecting = False
        elif event_type == "ParallelStateStarted":
            collecting, collected, start = True, [], index + 1
        elif collecting:
            events[index]["id"] = [0]
            events[index]["previousEventId"] = 0
            collected.append(events[index])
        index += 1


def section_mask(events: Sequence[dict[str, Any]]) -> list[bool]:
    """For each event, whether it lies inside a Map or Parallel section (end event included).

    A section ends with its ``...Succeeded/Failed/Aborted`` event or, where the Parallel sort
    dropped that event, with the state's ``...Exited`` event.
    """
    open_sections: list[str] = []
    mask: list[bool] = []
    for event in events:
        event_type = str(event.get("type"))
        kind = _section_kind(event_type)
        closes = event_type in SECTION_ENDS or event_type in SECTION_EXITS
        if closes and open_sections and open_sections[-1] == kind:
            mask.append(True)
            open_sections.pop()
            continue
        mask.append(bool(open_sections))
        if event_type in SECTION_STARTS:
            open_sections.append(kind)
    return mask


def _section_kind(event_type: str) -> str:
    for kind in ("MapState", "ParallelState", "MapRun"):
        if event_type.startswith(kind):
            return kind
    return ""


def _comparable(event: dict[str, Any], keep_id: bool, keep_previous: bool) -> dict[str, Any]:
    """The parts of an event that are compared."""
    kept: dict[str, Any] = {}
    for key, value in event.items():
        if key == "timestamp" or (key == "id" and not keep_id):
            continue
        if key == "previousEventId" and not keep_previous:
            continue
        if isinstance(value, dict) and key.endswith("EventDetails"):
            kept[key] = {name: item for name, item in value.items() if name != "roleArn"}
        else:
            kept[key] = value
    return kept


def _projections(
    expected: Sequence[dict[str, Any]], actual: Sequence[dict[str, Any]]
) -> Iterator[tuple[bool, dict[str, Any], dict[str, Any]]]:
    """(in section, expected, actual) per position, ids masked as the expected events dictate."""
    mask = section_mask(expected)
    position_of = {
        event["id"]: index
        for index, event in enumerate(expected)
        if isinstance(event.get("id"), int)
    }
    for index, (left, right) in enumerate(zip(expected, actual, strict=False)):
        previous = position_of.get(left.get("previousEventId"))
        keep_previous = not mask[index] and (previous is None or not mask[previous])
        keep_id = not mask[index]
        yield (
            mask[index],
            _comparable(left, keep_id, keep_previous),
            _comparable(right, keep_id, keep_previous),
        )


def compare_histories(
    expected: Sequence[dict[str, Any]], actual: Sequence[dict[str, Any]], *, prefix: bool = False
) -> str | None:
    """None when the histories match, else a one-line account of the first difference.

    With ``prefix`` the recorded history was taken mid-execution: only its length is compared.
    """
    if prefix:
        actual = actual[: len(expected)]
    inputs = state_inputs(actual)
    rows = list(_projections(expected, actual))
    run: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
    for index, (in_section, left, right) in enumerate(rows):
        if in_section:
            run.append((index, left, right))
            continue
        found = _compare_run(run, inputs) or _compare_event(index, left, right, inputs)
        run = []
        if found:
            return found
    found = _compare_run(run, inputs)
    if found:
        return found
    if len(expected) != len(actual):
        return _length_difference(expected, actual)
    return None


def _compare_event(
    index: int, expected: dict[str, Any], actual: dict[str, Any], inputs: frozenset[str]
) -> str | None:
    found = first_difference(expected, actual, inputs=inputs)
    if found is None:
        return None
    return f"event {index + 1} ({expected.get('type')}): {found}"


def _compare_run(
    run: list[tuple[int, dict[str, Any], dict[str, Any]]], inputs: frozenset[str]
) -> str | None:
    """A section's events: in order, or else as the same events in another order."""
    for index, left, right in run:
        found = _compare_event(index, left, right, inputs)
        if found:
            if sorted(canonical(row[1]) for row in run) == sorted(canonical(row[2]) for row in run):
                return None
            return found
    return None


def _length_difference(expected: Sequence[dict[str, Any]], actual: Sequence[dict[str, Any]]) -> str:
    if len(actual) > len(expected):
        extra = actual[len(expected)]
        return (
            f"{len(actual)} events, expected {len(expected)}; "
            f"first extra event {len(expected) + 1}: {extra.get('type')}"
        )
    missing = expected[len(actual)]
    return (
        f"{len(actual)} events, expected {len(expected)}; "
        f"first missing event {len(actual) + 1}: {missing.get('type')}"
    )
