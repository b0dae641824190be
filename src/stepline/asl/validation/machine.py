"""A whole definition and the machines nested in it (Parallel branches, Map item processors).

States in nested machines inherit the top-level query language, not their Map's or Parallel's
(AWS rejects a JSONata-only field inside a JSONata Map of a JSONPath machine), so the top-level
language travels down with the walk. The walk recurses through ``states`` and ``map_parallel``
without their importing this module: ``check_state`` is handed ``check_nested_machine``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from stepline.asl.validation.fields import check_integer
from stepline.asl.validation.map_parallel import check_processor_config
from stepline.asl.validation.report import DUPLICATE_STATE_NAME, Report, child
from stepline.asl.validation.states import check_state
from stepline.asl.validation.transitions import check_transitions

_ROOT_FIELDS = frozenset(
    {"Comment", "StartAt", "States", "TimeoutSeconds", "Version", "QueryLanguage"}
)
_NESTED_FIELDS = frozenset({"Comment", "StartAt", "States"})
_LANGUAGES = ("JSONata", "JSONPath")


def check_definition(report: Report, document: object) -> None:
    if not isinstance(document, dict):
        report.add("", "Definition must be a valid JSON object")
        return
    language = document.get("QueryLanguage", "JSONPath")
    if language not in _LANGUAGES:
        report.add(
            "/QueryLanguage",
            "The field 'QueryLanguage' should have one of these values: [JSONata, JSONPath]",
        )
        language = "JSONPath"
    report.root_language = str(language)
    for name in document:
        if name not in _ROOT_FIELDS:
            report.unsupported("/", name)
    if "TimeoutSeconds" in document:
        check_integer(
            report, "/TimeoutSeconds", "TimeoutSeconds", document["TimeoutSeconds"], minimum=1
        )
    for name in ("Comment", "Version"):
        if name in document and not isinstance(document[name], str):
            report.wrong_type(child("/", name), name, "a string", document[name])
    _check_machine(report, "/", document)
    _check_duplicate_names(report, document)


def check_nested_machine(report: Report, location: str, machine: object, field: str) -> None:
    """A Parallel branch or a Map's ItemProcessor/Iterator."""
    if not isinstance(machine, dict):
        report.wrong_type(location, field, "an object", machine)
        return
    allowed = _NESTED_FIELDS | ({"ProcessorConfig"} if field != "Branches" else set())
    for name in machine:
        if name not in allowed:
            report.unsupported(location, name)
    if "ProcessorConfig" in machine and field != "Branches":
        check_processor_config(
            report, child(location, "ProcessorConfig"), machine["ProcessorConfig"]
        )
    _check_machine(report, location, machine)


def _check_machine(report: Report, location: str, machine: Mapping[str, Any]) -> None:
    missing = [name for name in ("States", "StartAt") if name not in machine]
    if missing:
        report.required(location, missing)
    start_at, states = machine.get("StartAt"), machine.get("States")
    if "StartAt" in machine and not isinstance(start_at, str):
        report.wrong_type(child(location, "StartAt"), "StartAt", "a string", start_at)
    if "States" in machine and not isinstance(states, dict):
        report.wrong_type(child(location, "States"), "States", "an object", states)
        return
    if not isinstance(states, dict):
        return
    if not states:
        report.empty(child(location, "States"))
    for name, body in states.items():
        state_location = child(child(location, "States"), name)
        check_state(
            report,
            state_location,
            name,
            body,
            report.root_language,
            check_nested_machine=check_nested_machine,
        )
    if isinstance(start_at, str) and states:
        check_transitions(report, location, start_at, states)


def _nested(machine: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    states = machine.get("States")
    if not isinstance(states, dict):
        return
    for body in states.values():
        if not isinstance(body, dict):
            continue
        branches = body.get("Branches")
        children = list(branches) if isinstance(branches, list) else []
        children += [body[key] for key in ("ItemProcessor", "Iterator") if key in body]
        for nested in children:
            if isinstance(nested, dict):
                yield nested
                yield from _nested(nested)


def _check_duplicate_names(report: Report, document: Mapping[str, Any]) -> None:
    """State names are unique across the whole definition, nested machines included."""
    seen: set[str] = set()
    for machine in (document, *_nested(document)):
        states = machine.get("States")
        for name in states if isinstance(states, dict) else ():
            if name in seen:
                report.add("/", f"Duplicate State name: '{name}'", DUPLICATE_STATE_NAME)
            seen.add(name)
