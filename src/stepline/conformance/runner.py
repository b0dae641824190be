"""Runs recorded cases against Stepline and judges each one passed, failed or skipped.

Executions run on a fake clock started at the instant the corpus harness froze "now"
(2001-02-03T04:05:06Z), so inputs derived from "now" need no shifting and Wait states never
sleep. The runtime is imported when a case runs, so loading and comparing work without it.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from stepline.conformance import api_cases, test_state_cases
from stepline.conformance.cases import FROZEN_NOW, Case
from stepline.conformance.comparison import (
    compare_histories,
    first_difference,
    sort_parallel_sections,
    state_inputs,
)
from stepline.conformance.functions import handler_for, unsupported_handlers
from stepline.conformance.outcomes import CaseResult, SkipCase
from stepline.conformance.substitutions import Names, Substitutions

STATE_MACHINE_NAME = "statemachine_stepline"
DEFAULT_EXECUTION_NAME = "stepline-execution"
PARALLEL_TRANSFORMER = "SfnNoneRecursiveParallelTransformer"
TERMINAL_DETAILS = {
    "ExecutionSucceeded": "executionSucceededEventDetails",
    "ExecutionFailed": "executionFailedEventDetails",
    "ExecutionTimedOut": "executionTimedOutEventDetails",
    "ExecutionAborted": "executionAbortedEventDetails",
}
# Kinds whose execution runs here and is compared by status, result and (recorded) history.
_EXECUTION_KINDS = ("execution", "execution_output_only", "sync_execution", "express_async")

MODES = ("memory", "checkpoint", "engine")
"""How executions run: ``memory`` keeps each run in memory from start to end; ``checkpoint``
puts every transition through a JSON checkpoint and rebuilds the run from it (ADR 0005);
``engine`` runs it on the durable engine and reads its history back from the store."""


def run_case(case: Case, mode: str = "memory", endpoint: Any = None) -> CaseResult:
    """Run one case of any kind and judge it; never raises for a case's own problems.

    With ``endpoint`` (a ``remote_cases.Endpoint``), executions run through that server.
    """
    try:
        detail = _run_by_kind(case, mode, endpoint)
    except SkipCase as skip:
        return _result(case, "skipped", str(skip))
    except Exception as error:  # a crash is that case's failure, not the whole run's
        return _result(case, "failed", f"Stepline raised {type(error).__name__}: {error}")
    return _result(case, "failed" if detail else "passed", detail or "")


def run_cases(
    cases: Iterable[Case], mode: str = "memory", endpoint: Any = None
) -> list[CaseResult]:
    """Run every case in order."""
    return [run_case(case, mode, endpoint) for case in cases]


def _result(case: Case, outcome: str, detail: str) -> CaseResult:
    return CaseResult(case.id, case.kind, outcome, detail, feature_labels(case))


def feature_labels(case: Case) -> tuple[str, ...]:
    """Short labels for the tally by feature: state types, query language, intrinsics..."""
    features = case.features
    labels = [f"state:{name}" for name in sorted(features.get("state_types") or {})]
    if features.get("query_language"):
        labels.append(f"query_language:{features['query_language']}")
    labels.extend(f"intrinsic:{name}" for name in features.get("intrinsic_functions") or [])
    labels.extend(f"map:{mode}" for mode in ((features.get("map") or {}).get("modes") or []))
    for flag in ("retry", "catch", "context_object"):
        if features.get(flag):
            labels.append(flag)
    if (features.get("variables") or {}).get("assign"):
        labels.append("assign")
    return tuple(labels)


def _run_by_kind(case: Case, mode: str, endpoint: Any) -> str | None:
    """Dispatch on the case's kind; returns a difference or None."""
    if case.kind == "test_state":
        # TestState judges the case's needs itself: only the tested state's own (unmocked) work
        # matters.
        return test_state_cases.run_test_state_case(case)
    missing = case.missing_services(server=endpoint is not None)
    if missing:
        raise SkipCase(f"needs services Stepline does not provide: {', '.join(missing)}")
    if case.kind in _EXECUTION_KINDS:
        return run_execution_case(case, mode, endpoint)
    return api_cases.run_api_case(case, endpoint)


def run_execution_case(case: Case, mode: str = "memory", endpoint: Any = None) -> str | None:
    """Start the execution as the test did, then compare status, result and history."""
    runtime = _import_runtime()
    names = _names(case)
    if endpoint is not None:
        return _run_on_server(case, names, runtime, endpoint)
    if mode == "engine":
        return _run_on_engine(case, names, runtime)
    plan = runtime.compile_definition(_definition(case), state_machine_type=case.state_machine_type)
    run = runtime.run_execution if mode == "memory" else _run_checkpointed
    result = run(
        plan,
        case.input_text,
        functions=_functions(case, runtime),
        clock=runtime.FakeClock(FROZEN_NOW),
        execution_name=names.execution_name,
        state_machine_name=names.state_machine_name,
        region=names.region,
        account=names.account,
        role_arn=names.role_arn,
        # A synchronous Express execution cannot be redriven: no RedriveCount in its context.
        redrive_count=None if case.kind == "sync_execution" else 0,
    )
    output = _parse(result.output)
    events = normalise_history(case, names, list(result.history()), output)
    return compare_execution(case, result.status, events)


def _run_on_engine(case: Case, names: Names, runtime: Any) -> str | None:
    from stepline.conformance import engine_cases  # noqa: PLC0415 - the engine is optional

    names = dataclasses.replace(
        names, state_machine_name=engine_cases.machine_name(names.state_machine_name)
    )
    runtime.compile_definition(_definition(case), state_machine_type=case.state_machine_type)
    described, events = engine_cases.run_on_engine(
        _definition(case), case, names, _functions(case, runtime), FROZEN_NOW
    )
    output = _parse(described.get("output"))
    normalised = normalise_history(case, names, events, output)
    return compare_execution(case, described["status"], normalised)


def _run_on_server(case: Case, names: Names, runtime: Any, endpoint: Any) -> str | None:
    from stepline.asl.jsontext import dumps  # noqa: PLC0415
    from stepline.conformance import remote_cases  # noqa: PLC0415 - needs boto3

    _functions(case, runtime)  # skips a case whose handlers have no stand-in
    definition = _definition(case)
    text = definition if isinstance(definition, str) else dumps(definition)
    described, events, names = remote_cases.run_through_server(endpoint, case, text, names)
    output = _parse(described.get("output"))
    normalised = normalise_history(case, names, events, output)
    return compare_execution(case, described["status"], normalised)


def _run_checkpointed(plan: Any, input_text: str | None, **options: Any) -> Any:
    """Run an execution whose every transition goes through a checkpoint, as JSON text, and a
    rebuild from it; the result as ``run_execution`` gives it."""
    from stepline.runtime import checkpoint, execution_result, resume  # noqa: PLC0415
    from stepline.runtime.in_process import drive_run  # noqa: PLC0415

    run = _import_runtime().start_execution(plan, input_text, **options)
    events = []
    latest = [run]

    def rebuild(current: Any) -> Any:
        events.extend(current.execution.log.drain())
        saved = json.loads(json.dumps(checkpoint(current)))
        latest[0] = resume(plan, saved, functions=current.functions, clock=current.clock)
        return latest[0]

    drive_run(run, between=rebuild)
    final = latest[0]
    events.extend(final.execution.log.drain())
    return execution_result(final, events)


def normalise_history(
    case: Case, names: Names, events: list[dict[str, Any]], output: Any = None
) -> list[dict[str, Any]]:
    """Stepline's history rewritten as the recorded snapshot was (see ``substitutions``)."""
    substitutions = Substitutions(case, names, output=output)
    rewritten: list[dict[str, Any]] = substitutions.apply({"events": events})["events"]
    if case.has_substitution(PARALLEL_TRANSFORMER):
        sort_parallel_sections(rewritten)
    return rewritten


def compare_execution(case: Case, status: str, events: list[dict[str, Any]]) -> str | None:
    """The first difference between the recorded execution and Stepline's normalised one."""
    expected = case.expected
    history = case.expected_history
    if expected.get("status") == "RUNNING":
        found = compare_histories(history or [], events, prefix=True)
        return f"history: {found}" if found else None
    if status != expected.get("status"):
        return f"status: expected {expected.get('status')}, got {status}"
    inputs = state_inputs(events) if history is not None else None
    found = first_difference(_expected_result(expected), terminal_result(events), inputs=inputs)
    if found:
        return f"result: {found}"
    if case.kind == "execution" and history is not None:
        found = compare_histories(history, events)
        return f"history: {found}" if found else None
    return None


def _expected_result(expected: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in expected.items() if key != "status"}


def terminal_result(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Output, or error and cause, from the normalised terminal event (outputs parsed)."""
    for event in reversed(events):
        details_key = TERMINAL_DETAILS.get(str(event.get("type")))
        if details_key is None:
            continue
        details = event.get(details_key) or {}
        result = {key: details[key] for key in ("output", "error", "cause") if key in details}
        if isinstance(result.get("output"), str):
            result["output"] = _parse(result["output"])
        return result
    return {}


def _parse(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _names(case: Case) -> Names:
    lambda_names = tuple(str(entry["name"]) for entry in case.record.get("lambda_functions") or [])
    return Names(
        execution_name=str(case.record.get("execution_name_in_test") or DEFAULT_EXECUTION_NAME),
        state_machine_name=STATE_MACHINE_NAME,
        lambda_function_names=lambda_names,
    )


def _definition(case: Case) -> Any:
    raw = case.record.get("definition_raw")
    return raw if isinstance(raw, str) else case.record["definition"]


def _functions(case: Case, runtime: Any) -> Any:
    """A registry with a stand-in for every Lambda function the case created."""
    lambda_functions = list(case.record.get("lambda_functions") or [])
    unsupported = unsupported_handlers(lambda_functions)
    if unsupported:
        raise SkipCase(f"no Stepline stand-in for Lambda handler {', '.join(unsupported)}")
    registry = runtime.FunctionRegistry()
    for entry in lambda_functions:
        registry.register(str(entry["name"]), handler_for(str(entry["handler_file"])))
    return registry


def _import_runtime() -> Any:
    """The runtime module, or a skip when it is not there yet."""
    try:
        runtime = importlib.import_module("stepline.runtime")
        for name in ("compile_definition", "run_execution", "FakeClock", "FunctionRegistry"):
            getattr(runtime, name)
    except (ImportError, AttributeError) as error:
        raise SkipCase(f"runtime not available: {error}") from error
    return runtime
