"""The whole ASL corpus: real definitions must validate, known-invalid ones must be rejected.

Exceptions are listed by file with the reason; each one is a fact about the file (a test marker,
a fixture AWS itself would reject), never a rule bent for it.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from stepline.asl.definitions import format_invalid_definition, load_definition
from stepline.asl.diagnostics import Diagnostic
from stepline.asl.validation import validate_definition

CORPUS = Path(__file__).parents[1] / "data" / "asl-corpus"
CASES = Path(__file__).parents[1] / "data" / "conformance" / "cases.jsonl"

# valid/ files AWS would reject as they stand, with why.
VALID_EXCEPTIONS = {
    # LocalStack templates whose markers the test replaces before sending them to AWS.
    "context_object_input_path.json": "%CONTEXT_OBJECT_LITERAL_PLACEHOLDER% marker",
    "context_object_items_path.json": "%CONTEXT_OBJECT_LITERAL_PLACEHOLDER% marker",
    "context_object_output_path.json": "%CONTEXT_OBJECT_LITERAL_PLACEHOLDER% marker",
    "context_object_result_selector.json": "%CONTEXT_OBJECT_LITERAL_PLACEHOLDER% marker",
    "context_object_variable.json": "%CONTEXT_OBJECT_LITERAL_PLACEHOLDER% marker",
    "task_service_lambda_invoke_catch_tbd.json": "_tbd_ marker in ErrorEquals",
    "BASE_REFERENCE_IN_WAIT_.recorded-content.describe_response.json": (
        "snapshot masked the TimestampPath value as 'timestamp'"
    ),
    # LocalStack templates of tests that expect CreateStateMachine to fail.
    "empty_credentials.json": "AWS rejects it (recorded: RoleArn required)",
    "map_state_label_invalid_char_fail.json": "AWS rejects it (invalid Label character)",
    "task_retry_reference_exception.json": "strings where Retry needs numbers",
    "lambda_list_functions.json": "lambda:listFunctions is an aws-sdk action only",
    # TestState templates: a lone ItemProcessor, not a state machine.
    "__ItemProcessor.json": "a lone ItemProcessor template for TestState",
    "step-functions__web-search-agent.json": "States.Default is not an AWS intrinsic",
    # statelint fixtures statelint accepts but AWS's schema does not.
    "test__map-with-itemspath-context-object.json": "Parameters is a string, not an object",
    "test__pass-with-parameters.json": "Parameters is a string, not an object",
    "test__map-with-resultselector.json": "Parameters is a string, not an object",
    "test__parallel-with-parameters.json": "Parameters is a string, not an object",
    "test__map-with-parameters.json": "Parameters is a string, not an object",
    "test__parallel-with-resultselector.json": "Parameters is a string, not an object",
    "test__task-with-parameters.json": "Parameters is a string, not an object",
    "test__task-with-credentials.json": "Credentials key 'roleArn' (AWS needs 'RoleArn')",
    "spec__state_node_spec.rb__should_use_Default_field_correctly.json": (
        "a Choice rule with no comparison operator"
    ),
    "documentSucceedFailTerminalState.json": "state name reused across Parallel branches",
    # Tool fixtures whose Task Resource is no ARN; the tool accepts it, AWS does not.
    "test__backoff-with-backoffrate-decimal.json": "statelint fixture: Resource 'foo:bar'",
    "test__backoff-with-backoffrate-integer.json": "statelint fixture: Resource 'foo:bar'",
    "test__backoff-with-jitter-on-retry.json": "statelint fixture: Resource 'foo:bar'",
    "test__states-array-intrinsic-functions.json": "statelint fixture: Resource 'foo:bar'",
    "test__states-array-invocation.json": "statelint fixture: Resource 'foo:bar'",
    "test__states-encoding-decoding-intrinsic-functions.json": "statelint: Resource 'foo:bar'",
    "test__states-format-invocation.json": "statelint fixture: Resource 'foo:bar'",
    "test__states-hash-intrinsic-functions.json": "statelint fixture: Resource 'foo:bar'",
    "test__states-json-intrinsic-functions.json": "statelint fixture: Resource 'foo:bar'",
    "test__states-jsontostring-invocation.json": "statelint fixture: Resource 'foo:bar'",
    "test__states-math-intrinsic-functions.json": "statelint fixture: Resource 'foo:bar'",
    "test__states-string-intrinsic-functions.json": "statelint fixture: Resource 'foo:bar'",
    "test__states-stringtojson-invocation.json": "statelint fixture: Resource 'foo:bar'",
    "test__states-uuid-intrinsic-functions.json": "statelint fixture: Resource 'foo:bar'",
    "test__task-with-dynamic-timeouts.json": "statelint fixture: Resource 'foo:bar'",
    "test__task-with-resultpath.json": "statelint fixture: Resource 'foo:bar'",
    "test__task-with-resultselector.json": "statelint fixture: Resource 'foo:bar'",
    "documentTaskInvalidArn.json": "language-service fixture: Resource 'InvalidArn'",
    "schema_validation_1__StateMachine.json": "SAM translator input: Resource 'someresource'",
    "schema_validation_2__StateMachinetoSQS.json": "SAM translator input: Resource 'someresource'",
    "state_machine_with_api_and_propagate_tags__Post.json": "SAM input: 'random-resource'",
    "sample-project-job-poller__block2.json": "the guide's ARN lacks its service ('arn:aws::')",
    # (invalid/) an EXPRESS-only rejection whose activity ARN is a "__tbd__" test marker.
    "invalid/localstack__localstack/base_activity_task.json": "Resource is a test marker",
    # A deploy-time template whose Items marker is replaced by the tool list.
    "step-functions__dynamic-sql-agent-template.json": "Items: 'AGENT_TOOL_LIST' marker",
}
EXPRESS_ONLY_NOTE = "EXPRESS-ONLY"


@cache
def corpus_index() -> list[dict[str, Any]]:
    lines = (CORPUS / "INDEX.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _exception_for(path: str) -> str | None:
    return next((why for name, why in VALID_EXCEPTIONS.items() if path.endswith(name)), None)


def _pointer_value(document: Any, location: str) -> Any:
    """The value at an AWS-style location (``/States/A/Choices[0]``).

    AWS does not escape ``/`` in state names, so steps are joined back until they name a key.
    """
    value = document
    steps = location.strip("/").split("/") if location.strip("/") else []
    while steps:
        for size in range(len(steps), 0, -1):
            name, _, rest = "/".join(steps[:size]).partition("[")
            if "/" in rest:
                continue
            if not name or (isinstance(value, dict) and name in value):
                break
        value = value[name] if name else value
        for position in filter(None, rest.replace("]", "").split("[")):
            value = value[int(position)]
        steps = steps[size:]
    return value


# What a person or a test fills in before AWS sees the definition: deploy-time substitutions
# (``${X}``), the guide's ``<PARTITION>``, snapshot masks
# (``<partition>``) and LocalStack's test markers (``_tbd_``, ``%X%``).
_PLACEHOLDER = re.compile(r"\$\{|<[A-Za-z_]+>|%[A-Z_]+%|_tbd_|_tbc_", re.IGNORECASE)


def _blamed_on_placeholder(document: Any, diagnostic: Diagnostic) -> bool:
    """A diagnostic about a value holding a placeholder to be filled in before deployment."""
    try:
        value = _pointer_value(document, diagnostic.location)
    except (KeyError, IndexError, TypeError, ValueError):
        return False
    return _PLACEHOLDER.search(json.dumps(value)) is not None


def _load(entry: dict[str, Any]) -> tuple[Any, list[Diagnostic]]:
    text = (CORPUS / entry["path"]).read_text(encoding="utf-8")
    return load_definition(text)


@pytest.mark.slow
def test_valid_definitions_validate() -> None:
    failures = {}
    for entry in corpus_index():
        if entry["expect"] != "valid" or _exception_for(entry["path"]):
            continue
        document, diagnostics = _load(entry)
        diagnostics = diagnostics or validate_definition(document)
        unexplained = [d for d in diagnostics if not _blamed_on_placeholder(document, d)]
        if unexplained:
            failures[entry["path"]] = [str(d) for d in unexplained]
    assert failures == {}


@pytest.mark.slow
def test_valid_exceptions_are_still_needed() -> None:
    """Every listed exception is rejected today; a stale entry would hide a regression."""
    for entry in corpus_index():
        if entry["expect"] == "valid" and _exception_for(entry["path"]):
            document, diagnostics = _load(entry)
            assert diagnostics or validate_definition(document), entry["path"]


@pytest.mark.slow
def test_invalid_definitions_are_rejected() -> None:
    accepted = []
    for entry in corpus_index():
        if entry["expect"] != "invalid" or _exception_for(entry["path"]):
            continue
        express = EXPRESS_ONLY_NOTE in json.dumps(entry.get("expected", {}))
        document, diagnostics = _load(entry)
        if not diagnostics:
            kind = "EXPRESS" if express else "STANDARD"
            diagnostics = validate_definition(document, state_machine_type=kind)
        if not diagnostics:
            accepted.append(entry["path"])
    assert accepted == []


def _definition_cases() -> list[dict[str, Any]]:
    cases = [json.loads(line) for line in CASES.read_text(encoding="utf-8").split("\n") if line]
    return [
        case
        for case in cases
        if case["kind"] == "validate_definition"
        or (
            case["kind"] == "api_error"
            and case["expected_error"]["code"] == "InvalidDefinition"
            # TestState sends one state, not a machine: the api engineer's concern.
            and case["operation"] != "test_state"
        )
    ]


def _diagnose(case: dict[str, Any]) -> list[Diagnostic]:
    machine_type = case.get("request", {}).get("type") or case["features"].get(
        "state_machine_type", "STANDARD"
    )
    if case.get("definition") is None and "definition_raw" in case:
        document, diagnostics = load_definition(case["definition_raw"])
        if diagnostics:
            return diagnostics
    else:
        document = case["definition"]
    return validate_definition(document, state_machine_type=machine_type)


def _matches(case: dict[str, Any]) -> bool:
    diagnostics = _diagnose(case)
    if case["kind"] == "validate_definition":
        expected: list[dict[str, str]] = case["expected_response"]["diagnostics"]
        listed = [
            {"code": d.code, "message": d.message, "severity": d.severity}
            | ({"location": d.location} if d.location else {})
            for d in diagnostics
        ]
        return listed == expected
    # The recording masked the partition (``arn:aws:`` became ``arn:<partition>:``).
    shown = format_invalid_definition(diagnostics).replace("arn:aws:", "arn:<partition>:")
    recorded: str = case["expected_error"]["message"]
    return shown == recorded


@pytest.mark.slow
def test_recorded_aws_definition_errors_match() -> None:
    """AWS-recorded texts must match exactly; LocalStack-authored texts (Label) only reject."""
    mismatched = []
    for case in _definition_cases():
        message = case.get("expected_error", {}).get("message", "")
        if message.startswith("Error=ValueError"):
            # LocalStack's own wording (not AWS-validated); the definition must still be rejected.
            assert _diagnose(case), case["id"]
        elif not _matches(case):
            mismatched.append(case["id"])
    assert mismatched == []
