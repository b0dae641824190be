"""Which fields each state type takes in each query language, and the checks every state shares.

The tables are the single statement of ASL's field rules: a field outside its state type's set is
``Field 'X' is not supported``; a field of the other query language gets AWS's language message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from stepline.asl.validation import choice, fields, map_parallel, retry_catch
from stepline.asl.validation.expressions import (
    check_assign,
    check_jsonata_template,
    check_path_field,
    check_payload,
    check_result_path,
)
from stepline.asl.validation.map_parallel import NestedMachineCheck
from stepline.asl.validation.report import INVALID_STATE_NAME, Report, child

STATE_TYPES = ("Task", "Wait", "Pass", "Succeed", "Fail", "Choice", "Parallel", "Map")
MAX_STATE_NAME_LENGTH = 80

JSONPATH_ONLY = frozenset(
    {
        "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "ItemsPath",
        "SecondsPath", "TimestampPath", "TimeoutSecondsPath", "HeartbeatSecondsPath",
        "ErrorPath", "CausePath", "MaxConcurrencyPath", "ToleratedFailureCountPath",
        "ToleratedFailurePercentagePath",
    }
)  # fmt: skip
JSONATA_ONLY = frozenset({"Arguments", "Output", "Items"})

_BASE = frozenset({"Type", "Comment", "QueryLanguage"})
_FLOW = frozenset({"Next", "End"})
_IO = frozenset({"InputPath", "OutputPath", "Output", "Assign"})
_RESULT = frozenset({"ResultPath", "ResultSelector", "Parameters", "Arguments", "Retry", "Catch"})

FIELDS: Mapping[str, frozenset[str]] = {
    "Pass": _BASE | _FLOW | _IO | {"Result", "ResultPath", "Parameters"},
    "Succeed": _BASE | {"InputPath", "OutputPath", "Output"},
    "Fail": _BASE | {"Error", "ErrorPath", "Cause", "CausePath"},
    "Wait": _BASE | _FLOW | _IO | {"Seconds", "SecondsPath", "Timestamp", "TimestampPath"},
    "Choice": _BASE | _IO | {"Choices", "Default"},
    "Task": _BASE | _FLOW | _IO | _RESULT
    | {"Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds",
       "HeartbeatSecondsPath", "Credentials"},
    "Parallel": _BASE | _FLOW | _IO | _RESULT | {"Branches"},
    "Map": _BASE | _FLOW | _IO | _RESULT
    | {"Iterator", "ItemProcessor", "ItemsPath", "Items", "ItemSelector", "ItemReader",
       "ItemBatcher", "ResultWriter", "MaxConcurrency", "MaxConcurrencyPath",
       "ToleratedFailureCount", "ToleratedFailureCountPath", "ToleratedFailurePercentage",
       "ToleratedFailurePercentagePath", "Label"},
}  # fmt: skip

_TYPE_CHECKS: Mapping[str, Callable[[Report, str, Mapping[str, Any], str], None]] = {
    "Pass": fields.check_pass,
    "Fail": fields.check_fail,
    "Wait": fields.check_wait,
    "Task": fields.check_task,
    "Choice": choice.check_choice,
}
# The state types that hold state machines, checked with the nested-machine check passed in.
_NESTING_CHECKS: Mapping[
    str, Callable[[Report, str, Mapping[str, Any], str, NestedMachineCheck], None]
] = {
    "Parallel": map_parallel.check_parallel,
    "Map": map_parallel.check_map,
}


def check_state(
    report: Report,
    location: str,
    name: str,
    body: object,
    language: str,
    *,
    check_nested_machine: NestedMachineCheck,
) -> None:
    """All the rules for one state, given the query language it inherits and the check for the
    machines a Parallel or Map state nests."""
    if len(name) > MAX_STATE_NAME_LENGTH:
        report.add(
            location,
            f"State name cannot be longer than {MAX_STATE_NAME_LENGTH} characters",
            INVALID_STATE_NAME,
        )
    if not isinstance(body, dict):
        report.wrong_type(location, name, "an object", body)
        return
    state_type = body.get("Type")
    if state_type is None:
        report.required(location, ["Type"])
        return
    if state_type not in FIELDS:
        report.add(
            child(location, "Type"),
            f"The field 'Type' should have one of these values: [{', '.join(STATE_TYPES)}]",
        )
        return
    own_language = _state_language(report, location, body, language)
    _check_field_names(report, location, body, state_type, own_language)
    _check_flow(report, location, body, state_type)
    _check_io(report, location, body, own_language)
    if state_type in _NESTING_CHECKS:
        _NESTING_CHECKS[state_type](report, location, body, own_language, check_nested_machine)
    else:
        _TYPE_CHECKS.get(state_type, _no_more_checks)(report, location, body, own_language)
    if "Retry" in FIELDS[state_type]:
        retry_catch.check_retry_catch(report, location, body, own_language)


def _no_more_checks(report: Report, location: str, body: Mapping[str, Any], language: str) -> None:
    """Succeed has nothing of its own beyond the shared fields."""


def _state_language(report: Report, location: str, body: Mapping[str, Any], inherited: str) -> str:
    declared = body.get("QueryLanguage")
    if declared is None:
        return inherited
    if declared not in ("JSONPath", "JSONata"):
        report.add(
            child(location, "QueryLanguage"),
            "The field 'QueryLanguage' should have one of these values: [JSONata, JSONPath]",
        )
        return inherited
    if inherited == "JSONata" and declared == "JSONPath":
        report.add(
            location,
            "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
        )
    return str(declared)


def language_mismatch(report: Report, location: str, field: str, language: str) -> bool:
    """Report (and say whether) ``field`` belongs to the query language the state does not use."""
    if language == "JSONPath" and field in JSONATA_ONLY:
        other = "JSONata"
    elif language == "JSONata" and field in JSONPATH_ONLY:
        other = "JSONPath"
    else:
        return False
    report.add(
        location,
        f"The QueryLanguage is set to '{language}', but field '{field}' is only supported "
        f"for the '{other}' QueryLanguage",
    )
    return True


def _check_field_names(
    report: Report, location: str, body: Mapping[str, Any], state_type: str, language: str
) -> None:
    allowed = FIELDS[state_type]
    for field in body:
        if field not in allowed:
            report.unsupported(location, field)
        else:
            language_mismatch(report, location, field, language)


def _check_flow(report: Report, location: str, body: Mapping[str, Any], state_type: str) -> None:
    """Next xor End on the states that transition; Choice, Succeed and Fail take neither."""
    if "Next" not in FIELDS[state_type]:
        return
    has_next = "Next" in body
    end = body.get("End")
    if "End" in body and not isinstance(end, bool):
        report.wrong_type(child(location, "End"), "End", "a boolean", end)
    if has_next and not isinstance(body["Next"], str):
        report.wrong_type(child(location, "Next"), "Next", "a string", body["Next"])
    if has_next and end is True:
        report.add(location, "Only one of these fields is allowed: [Next, End]")
    elif not has_next and end is not True:
        report.add(location, "One of these fields is required: [Next, End]")


def _check_io(report: Report, location: str, body: Mapping[str, Any], language: str) -> None:
    """The input/output fields every state type shares."""
    if "Comment" in body and not isinstance(body["Comment"], str):
        report.wrong_type(child(location, "Comment"), "Comment", "a string", body["Comment"])
    for name in ("InputPath", "OutputPath"):
        if name in body and body[name] is not None and language == "JSONPath":
            check_path_field(report, child(location, name), name, body[name])
    check_result_path(report, location, body, language)
    for name in ("Parameters", "ResultSelector"):
        if name in body and language == "JSONPath":
            check_payload(report, location, name, body[name], language)
    for name in ("Arguments", "Output"):
        if name in body and language == "JSONata":
            check_jsonata_template(report, child(location, name), body[name])
    if "Assign" in body:
        check_assign(report, location, body["Assign"], language)
