"""Stepline's results rewritten the way LocalStack's snapshot library rewrote AWS's.

The recorded responses went through three steps before they were stored, and Stepline's own
responses must go through the same ones to be comparable:

1. strings that start with ``{`` and parse as JSON become objects (only those: ``"[1]"`` and
   ``"1"`` stay strings), recursively through objects and lists of objects, but not into what
   was just parsed;
2. structural rewrites: the case's ``Jsonpath`` and ``KeyValue`` entries, the optional
   ``_convert_output_to_json`` step, and ``<uuid:N>`` for UUID values of keys ending in ``id``;
3. textual rewrites on the serialised document, in order: the case's ``Regex`` entries, then the
   global ones (date-times, region, partition, account, and every other occurrence of a value
   replaced in step 2).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from stepline.conformance.cases import Case

# A UTC ISO-8601 date-time with a zone; impossible months or hours are left alone, as recorded.
DATE_TIME = re.compile(
    r"[1-9]\d{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
    r"T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|[+-][01]\d(?::?[0-5]\d)?)"
)
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MAP_RUN_ARN = re.compile(r"(:mapRun:[^/\"]+/)([^:\"]+):([^\"]+)")
CONVERT_OUTPUT = "_convert_output_to_json"

TextRewrite = Callable[[str], str]


@dataclass(frozen=True)
class Names:
    """The names Stepline ran the case under: the values the case's placeholders stand for."""

    execution_name: str
    state_machine_name: str
    region: str = "us-east-1"
    account: str = "111111111111"
    role_arn: str = "arn:aws:iam::111111111111:role/stepline-execution-role"
    lambda_function_names: tuple[str, ...] = ()
    shifted: tuple[tuple[str, str], ...] = ()
    """Literal values of the recording the run replaced, with what it used instead (timestamps
    derived from "now", regenerated from the server's clock; the ARNs of activities the run
    created in place of the recorded ones)."""


def parse_json_strings(document: dict[str, Any]) -> None:
    """Step 1, in place: parse ``{``-prefixed strings in objects and lists of objects."""
    for key, value in document.items():
        if isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    parse_json_strings(item)
        elif isinstance(value, dict):
            parse_json_strings(value)
        elif isinstance(value, str) and value.startswith("{"):
            with contextlib.suppress(ValueError):
                document[key] = json.loads(value)


def convert_outputs_to_json(document: dict[str, Any]) -> None:
    """The ``_convert_output_to_json`` step: parse the first ``output`` string of each object.

    As recorded, the walk stops inside an object once one of its children's ``output`` was
    converted, and looks into lists only for objects.
    """
    for value in document.values():
        if isinstance(value, dict):
            output = value.get("output")
            if isinstance(output, str):
                try:
                    value["output"] = json.loads(output)
                except ValueError:
                    pass
                else:
                    return
            convert_outputs_to_json(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    convert_outputs_to_json(item)


def _walk(value: Any) -> Iterator[tuple[dict[str, Any], str]]:
    """Every (object, key) pair of a JSON value, depth first, in key order."""
    if isinstance(value, dict):
        for key in list(value):
            yield value, key
            yield from _walk(value[key])
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _replace_everywhere(old: str, new: str) -> TextRewrite:
    pattern = re.compile(re.escape(old))
    return lambda text: pattern.sub(lambda _: new, text)


def _regex(pattern: str, new: str) -> TextRewrite:
    compiled = re.compile(pattern)
    return lambda text: compiled.sub(lambda _: new, text)


@dataclass
class Substitutions:
    """The rewrites of one case, applied to one response of Stepline's (a JSON object)."""

    case: Case
    names: Names
    output: Any = None
    _pending: list[TextRewrite] = field(default_factory=list)

    def apply(self, document: dict[str, Any]) -> dict[str, Any]:
        """Steps 1-3 on a copy of ``document``; returns the rewritten copy."""
        rewritten: dict[str, Any] = json.loads(json.dumps(document, default=str))
        parse_json_strings(rewritten)
        if self.case.has_substitution(CONVERT_OUTPUT):
            convert_outputs_to_json(rewritten)
        self._pending = []
        self._rewrite_structure(rewritten)
        text = json.dumps(rewritten)
        for rewrite in [*self._case_rewrites(), *self._pending, *self._global_rewrites()]:
            text = rewrite(text)
        result: dict[str, Any] = json.loads(text)
        return result

    def _rewrite_structure(self, document: dict[str, Any]) -> None:
        """Step 2: the case's path and key rewrites, then ``<uuid:N>``."""
        for entry in self.case.substitutions:
            if entry.get("type") == "Jsonpath":
                self._overwrite_path(document, str(entry["jsonpath"]), entry["placeholder"])
            elif entry.get("type") == "KeyValue":
                self._replace_key(document, str(entry["key"]), str(entry["placeholder"]))
        self._mark_timestamps(document)
        self._number_uuids(document)

    def _mark_timestamps(self, document: dict[str, Any]) -> None:
        """Keys naming a timestamp get ``timestamp``, except date-times (those become ``date``).

        The recorded ``TimestampValue`` inputs show the split: valid date-times read ``date``,
        anything else ``timestamp``.
        """
        for owner, name in _walk(document):
            value = owner[name]
            is_date_time = isinstance(value, str) and DATE_TIME.fullmatch(value) is not None
            if "timestamp" in name.lower() and not isinstance(value, dict | list):
                owner[name] = value if is_date_time else "timestamp"

    def _overwrite_path(self, document: dict[str, Any], path: str, placeholder: Any) -> None:
        """Every value ``path`` (``.key`` children, ``..key`` descendants) reaches is replaced."""
        for owner, key in _select(document, path):
            owner[key] = placeholder

    def _replace_key(self, document: dict[str, Any], key: str, placeholder: str) -> None:
        for owner, name in _walk(document):
            if name == key and isinstance(owner[name], str):
                self._pending.append(_replace_everywhere(owner[name], placeholder))
                owner[name] = placeholder

    def _number_uuids(self, document: dict[str, Any]) -> None:
        """``<uuid:N>`` for UUIDs under keys ending in ``id``, numbered in order of discovery."""
        numbers: dict[str, int] = {}
        for owner, name in _walk(document):
            value = owner[name]
            if name.lower().endswith("id") and isinstance(value, str) and UUID.match(value):
                if value not in numbers:
                    numbers[value] = len(numbers) + 1
                    placeholder = f"<uuid:{numbers[value]}>"
                    self._pending.append(_replace_everywhere(value, placeholder))
                owner[name] = f"<uuid:{numbers[value]}>"

    def _case_rewrites(self) -> list[TextRewrite]:
        """The case's ``Regex`` entries whose value Stepline knows, in the recorded order."""
        rewrites: list[TextRewrite] = []
        lambda_names = iter(self.names.lambda_function_names)
        for entry in self.case.substitutions:
            if entry.get("type") != "Regex":
                continue
            placeholder = str(entry["placeholder"])
            if entry.get("replaces") == "regex":
                rewrites.append(_regex(str(entry["regex"]), placeholder))
                continue
            if entry.get("replaces") == "resource:create_lambda_function":
                value = next(lambda_names, None)
            else:
                value = self._value_replaced(entry)
            if value:
                rewrites.append(_replace_everywhere(value, placeholder))
        return rewrites

    def _value_replaced(self, entry: Mapping[str, Any]) -> str | None:
        """The value of Stepline's run that plays the role ``entry`` names, if it has one."""
        role = entry.get("replaces")
        if role == "literal":
            return dict(self.names.shifted).get(str(entry["value"]), str(entry["value"]))
        if role == "role_arn":
            return self.names.role_arn
        if role == "state_machine_name" and entry.get("index", 0) == 0:
            return self.names.state_machine_name
        if role == "execution_name" and entry.get("this_case"):
            return self.names.execution_name
        if role == "value_from_execution_output" and entry.get("this_case"):
            return _value_at(self.output, str(entry.get("output_key_path", "")))
        return None

    def _global_rewrites(self) -> list[TextRewrite]:
        """LocalStack's rewrites of every snapshot, after the test's own."""
        rewrites = [
            _regex(DATE_TIME.pattern, "date"),
            _replace_everywhere(self.names.region, "<region>"),
            _replace_everywhere("arn:aws:", "arn:<partition>:"),
            _replace_everywhere(self.names.account, "111111111111"),
        ]
        placeholders = self.case.record.get("placeholders_in_expected") or []
        if "<MapRunArnPart0_0idx>" in placeholders:
            rewrites.insert(0, _number_map_runs)
        for placeholder in placeholders:
            match = _EXPRESS_ARN_PLACEHOLDER.fullmatch(placeholder)
            if match is not None and match.group(2) == "1":
                rewrites.insert(0, _express_arn_parts(match.group(1)))
        return rewrites


_SEGMENT = re.compile(r"(\.\.?)([^.]+)")


def _select(document: dict[str, Any], path: str) -> list[tuple[dict[str, Any], str]]:
    """The (object, key) pairs a JSONPath of ``.key`` and ``..key`` steps reaches."""
    owners: list[Any] = [document]
    found: list[tuple[dict[str, Any], str]] = []
    for step, key in _SEGMENT.findall(path.removeprefix("$")):
        found = []
        for owner in owners:
            if step == "..":
                found.extend((parent, name) for parent, name in _walk(owner) if name == key)
            elif isinstance(owner, dict) and key in owner:
                found.append((owner, key))
        owners = [parent[name] for parent, name in found]
    return found


_EXPRESS_ARN_PLACEHOLDER = re.compile(r"<(\w+)ExecArn_Part([12])_0idx>")
_EXPRESS_ARN = re.compile(r"(:express:[^:\"]+):([^:\"]+):([0-9a-f-]{36})")


def _express_arn_parts(prefix: str) -> TextRewrite:
    """An Express execution ARN's name and generated id, as the recording numbered them."""

    def rewrite(text: str) -> str:
        names = {match.group(2) for match in _EXPRESS_ARN.finditer(text)}
        text = _EXPRESS_ARN.sub(
            rf"\1:<{prefix}ExecArn_Part1_0idx>:<{prefix}ExecArn_Part2_0idx>", text
        )
        for name in names:  # the name also stands alone ($$.Execution.Name)
            text = text.replace(f'"{name}"', f'"<{prefix}ExecArn_Part1_0idx>"')
        return text

    return rewrite


def _number_map_runs(text: str) -> str:
    """Map Run ARNs' two generated parts become ``<MapRunArnPart0_Nidx>``/``Part1``."""
    seen: dict[str, int] = {}

    def replace(match: re.Match[str]) -> str:
        index = seen.setdefault(match.group(2) + ":" + match.group(3), len(seen))
        return f"{match.group(1)}<MapRunArnPart0_{index}idx>:<MapRunArnPart1_{index}idx>"

    return MAP_RUN_ARN.sub(replace, text)


def _value_at(value: Any, dotted_path: str) -> str | None:
    """The string reached by following ``.a.b`` in ``value``, stopping at the first unknown key.

    The recorded paths end in the name of the regex attribute (``.FunctionResult.pattern``), which
    is not part of the output, hence the walk stops where the output ends.
    """
    for name in filter(None, dotted_path.split(".")):
        if not isinstance(value, dict) or name not in value:
            break
        value = value[name]
    return value if isinstance(value, str) else None
