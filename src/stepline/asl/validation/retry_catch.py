"""Retry and Catch: retriers' numbers and jitter, catchers' targets, and ErrorEquals' order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stepline.asl.validation.expressions import (
    check_assign,
    check_jsonata_string,
    check_jsonata_template,
    check_result_path,
    jsonata_body,
)
from stepline.asl.validation.fields import check_integer, check_string, is_number
from stepline.asl.validation.report import Report, child, index

ALL = "States.ALL"
MAX_DELAY_SECONDS = 31_622_400
_RETRIER_FIELDS = frozenset(
    {"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds",
     "JitterStrategy", "Comment"}
)  # fmt: skip
_CATCHER_FIELDS = {
    "JSONPath": frozenset({"ErrorEquals", "Next", "ResultPath", "Assign", "Comment"}),
    "JSONata": frozenset({"ErrorEquals", "Next", "Output", "Assign", "Comment"}),
}


def check_retry_catch(
    report: Report, location: str, body: Mapping[str, Any], language: str
) -> None:
    for name, check in (("Retry", _check_retrier), ("Catch", _check_catcher)):
        if name not in body:
            continue
        entries = body[name]
        if not isinstance(entries, list):
            report.wrong_type(child(location, name), name, "an array", entries)
            continue
        for position, entry in enumerate(entries):
            entry_location = index(child(location, name), position)
            if not isinstance(entry, dict):
                report.wrong_type(entry_location, name, "an object", entry)
                continue
            check(report, entry_location, entry, language)
            _check_error_equals(report, entry_location, entry, position == len(entries) - 1)


def _check_error_equals(
    report: Report, location: str, entry: Mapping[str, Any], is_last: bool
) -> None:
    """ErrorEquals: non-empty strings; ``States.ALL`` alone, in the last retrier or catcher."""
    if "ErrorEquals" not in entry:
        report.required(location, ["ErrorEquals"])
        return
    names = entry["ErrorEquals"]
    where = child(location, "ErrorEquals")
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        report.wrong_type(where, "ErrorEquals", "an array of strings", names)
    elif not names:
        report.empty(where)
    elif ALL in names and (len(names) > 1 or not is_last):
        report.add(where, f"{ALL} must appear alone, in the last element of the array")


def _check_retrier(
    report: Report, location: str, retrier: Mapping[str, Any], language: str
) -> None:
    for name in retrier:
        if name not in _RETRIER_FIELDS:
            report.unsupported(location, name)
    bounds = {"IntervalSeconds": 1, "MaxAttempts": 0, "MaxDelaySeconds": 1}
    for name, minimum in bounds.items():
        if name in retrier:
            maximum = MAX_DELAY_SECONDS if name == "MaxDelaySeconds" else 99_999_999
            check_integer(
                report,
                child(location, name),
                name,
                retrier[name],
                minimum=minimum,
                maximum=maximum,
                language=language,
            )
    rate = retrier.get("BackoffRate")
    if language == "JSONata" and jsonata_body(rate) is not None:
        check_jsonata_string(report, child(location, "BackoffRate"), rate)
    elif "BackoffRate" in retrier and not is_number(rate):
        report.wrong_type(child(location, "BackoffRate"), "BackoffRate", "a number", rate)
    elif "BackoffRate" in retrier and rate < 1.0:  # type: ignore[operator]  # a number
        report.add(
            child(location, "BackoffRate"),
            "The value of the field 'BackoffRate' must be at least 1",
        )
    if "JitterStrategy" in retrier and retrier["JitterStrategy"] not in ("FULL", "NONE"):
        report.add(
            child(location, "JitterStrategy"),
            "The field 'JitterStrategy' should have one of these values: [FULL, NONE]",
        )
    if "Comment" in retrier:
        check_string(report, child(location, "Comment"), "Comment", retrier["Comment"])


def _check_catcher(
    report: Report, location: str, catcher: Mapping[str, Any], language: str
) -> None:
    for name in catcher:
        if name not in _CATCHER_FIELDS[language]:
            report.unsupported(location, name)
    if "Next" not in catcher:
        report.required(location, ["Next"])
    elif not isinstance(catcher["Next"], str):
        report.wrong_type(child(location, "Next"), "Next", "a string", catcher["Next"])
    check_result_path(report, location, catcher, language)
    if "Output" in catcher and language == "JSONata":
        check_jsonata_template(report, child(location, "Output"), catcher["Output"])
    if "Assign" in catcher:
        check_assign(report, location, catcher["Assign"], language)
