"""Parallel and Map states: branches, item processors, and the Map's many item fields.

A branch or an item processor is a state machine of its own, whose states may nest machines in
turn; the check for one is passed in (``machine`` supplies it), so this module needs no import of
the machine-level checks that use it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from stepline.asl.validation.expressions import (
    check_jsonata_string,
    check_path_field,
    check_payload,
    jsonata_body,
)
from stepline.asl.validation.fields import check_integer, exclusive, is_number
from stepline.asl.validation.report import INVALID_LABEL_NAME, Report, child, index

MAX_LABEL_LENGTH = 40
# Characters AWS documents as not allowed in a Map Label: whitespace, brackets, wildcards,
# punctuation that has a meaning in ARNs and URLs, and control characters.
_LABEL_FORBIDDEN = frozenset(' \t\n\r\f\v<>{}[]?*"#%\\^|~`$&,;:/')
_PROCESSOR_MODES = ("INLINE", "DISTRIBUTED")
_EXECUTION_TYPES = ("STANDARD", "EXPRESS")

NestedMachineCheck = Callable[[Report, str, object, str], None]
"""Checks a machine nested in a state, given its location and the field holding it."""


def check_parallel(
    report: Report,
    location: str,
    body: Mapping[str, Any],
    language: str,
    check_nested_machine: NestedMachineCheck,
) -> None:
    """Parallel: a non-empty array of branches, each a state machine of its own."""
    del language  # branches' states inherit the top-level language, not the Parallel's
    if "Branches" not in body:
        report.required(location, ["Branches"])
        return
    branches = body["Branches"]
    where = child(location, "Branches")
    if not isinstance(branches, list):
        report.wrong_type(where, "Branches", "an array", branches)
        return
    if not branches:
        report.empty(where)
    for position, branch in enumerate(branches):
        check_nested_machine(report, index(where, position), branch, "Branches")


def check_map(
    report: Report,
    location: str,
    body: Mapping[str, Any],
    language: str,
    check_nested_machine: NestedMachineCheck,
) -> None:
    exclusive(report, location, body, "Iterator", "ItemProcessor")
    exclusive(report, location, body, "ItemSelector", "Parameters")
    processor_field = "ItemProcessor" if "ItemProcessor" in body else "Iterator"
    if processor_field not in body:
        report.required(location, ["ItemProcessor"])
    else:
        check_nested_machine(
            report, child(location, processor_field), body[processor_field], processor_field
        )
    _check_items(report, location, body, language)
    _check_limits(report, location, body, language)
    for name in ("ItemReader", "ItemBatcher", "ResultWriter"):
        if name in body:
            _check_config_object(report, location, name, body[name], language)
    if "ItemSelector" in body:
        check_payload(report, location, "ItemSelector", body["ItemSelector"], language)
    if "Label" in body:
        check_label(report, child(location, "Label"), body["Label"])


def _check_items(report: Report, location: str, body: Mapping[str, Any], language: str) -> None:
    if "ItemsPath" in body and language == "JSONPath":
        check_path_field(report, child(location, "ItemsPath"), "ItemsPath", body["ItemsPath"])
    items = body.get("Items")
    if "Items" in body and language == "JSONata":
        if not isinstance(items, list) and jsonata_body(items) is None:
            report.wrong_type(
                child(location, "Items"), "Items", "an array or a JSONata expression", items
            )
        check_jsonata_string(report, child(location, "Items"), items)


def _check_limits(report: Report, location: str, body: Mapping[str, Any], language: str) -> None:
    """MaxConcurrency and the tolerated failures, as numbers or as paths (never both)."""
    for name in ("MaxConcurrency", "ToleratedFailureCount", "ToleratedFailurePercentage"):
        exclusive(report, location, body, name, f"{name}Path")
        if f"{name}Path" in body and language == "JSONPath":
            check_path_field(
                report, child(location, f"{name}Path"), f"{name}Path", body[f"{name}Path"]
            )
    for name in ("MaxConcurrency", "ToleratedFailureCount"):
        if name in body:
            check_integer(
                report, child(location, name), name, body[name], minimum=0, language=language
            )
    percentage = body.get("ToleratedFailurePercentage")
    where = child(location, "ToleratedFailurePercentage")
    if "ToleratedFailurePercentage" not in body:
        return
    if language == "JSONata" and jsonata_body(percentage) is not None:
        check_jsonata_string(report, where, percentage)
    elif not is_number(percentage):
        report.wrong_type(where, "ToleratedFailurePercentage", "a number", percentage)
    elif not 0 <= percentage <= 100:  # type: ignore[operator]  # is_number checked it
        report.add(
            where, "The value of the field 'ToleratedFailurePercentage' must be between 0 and 100"
        )


def _check_config_object(
    report: Report, location: str, name: str, value: object, language: str
) -> None:
    """ItemReader, ItemBatcher and ResultWriter: objects; a reader names its Resource."""
    where = child(location, name)
    if not isinstance(value, dict):
        report.wrong_type(where, name, "an object", value)
        return
    if name == "ItemReader" and "Resource" not in value:
        report.required(where, ["Resource"])
    writer = value.get("WriterConfig")
    if name == "ResultWriter" and isinstance(writer, dict) and "OutputType" not in writer:
        report.required(child(where, "WriterConfig"), ["OutputType"])
    for key in ("Parameters", "Arguments"):
        if key in value:
            check_payload(report, where, key, value[key], language)


def check_label(report: Report, location: str, label: object) -> None:
    if not isinstance(label, str):
        report.wrong_type(location, "Label", "a string", label)
    elif not label:
        report.add(location, "Label cannot be empty", INVALID_LABEL_NAME)
    elif len(label) > MAX_LABEL_LENGTH:
        report.add(
            location, f"Label cannot exceed {MAX_LABEL_LENGTH} characters", INVALID_LABEL_NAME
        )
    else:
        for character in label:
            if character in _LABEL_FORBIDDEN or _is_control(character):
                report.add(
                    location, f"Label contains invalid character: {character!r}", INVALID_LABEL_NAME
                )
                return


def _is_control(character: str) -> bool:
    code = ord(character)
    return code <= 0x1F or 0x7F <= code <= 0x9F


def check_processor_config(report: Report, location: str, value: object) -> None:
    """ProcessorConfig: the Map's Mode and, for distributed maps, the child ExecutionType."""
    if not isinstance(value, dict):
        report.wrong_type(location, "ProcessorConfig", "an object", value)
        return
    for key, allowed in (("Mode", _PROCESSOR_MODES), ("ExecutionType", _EXECUTION_TYPES)):
        if key in value and value[key] not in allowed:
            report.add(
                child(location, key),
                f"The field '{key}' should have one of these values: [{', '.join(allowed)}]",
            )
    for key in value:
        if key not in ("Mode", "ExecutionType"):
            report.unsupported(location, key)
