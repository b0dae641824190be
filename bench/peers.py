"""The peer side: moto's in-process ASL interpreter, driven through boto3.

moto only records executions unless ``execute_state_machine`` is set; in that mode it runs each
execution on a worker thread and wants a ``name`` on every ``start_execution``. The state machine
is created once per measurement, outside the timed loop.
"""

from __future__ import annotations

import functools
import gc
import importlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from bench import Workload, check_outputs

REGION = "us-east-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/stepline-bench"
POLL_INTERVAL_S = 0.001
# Sleep through this share of the previous execution's duration before polling: polls take the
# GIL from moto's worker thread, so polling from the start would slow the peer down.
QUIET_SHARE = 0.9

# Where moto 5.2 imports a JSONPath ``parse`` function (module, attribute).
_MOTO_JSONPATH_PARSERS = (
    ("moto.stepfunctions.parser.asl.utils.json_path", "parse"),
    ("moto.stepfunctions.parser.asl.component.common.path.result_path", "parse"),
)


@contextmanager
def _moto_stepfunctions() -> Iterator[Any]:
    """A boto3 Step Functions client on moto's in-process mock, executing state machines."""
    import boto3  # noqa: PLC0415 - benchmark-only dependency, imported when measured
    from moto import mock_aws  # noqa: PLC0415

    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield boto3.client(
            "stepfunctions",
            region_name=REGION,
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )


@contextmanager
def cached_jsonpath_parsing() -> Iterator[None]:
    """Memoise moto's JSONPath parsing for the duration (see bench/README.md for why)."""
    originals = []
    for module_name, attribute in _MOTO_JSONPATH_PARSERS:
        module = importlib.import_module(module_name)
        original = getattr(module, attribute)
        originals.append((module, attribute, original))
        setattr(module, attribute, functools.lru_cache(maxsize=None)(original))
    try:
        yield
    finally:
        for module, attribute, original in originals:
            setattr(module, attribute, original)


def _wait_for_end(client: Any, execution_arn: str, expected_s: float) -> dict[str, Any]:
    """Sleep through most of the expected duration, then poll DescribeExecution until done."""
    time.sleep(expected_s * QUIET_SHARE)
    while True:
        description: dict[str, Any] = client.describe_execution(executionArn=execution_arn)
        if description["status"] != "RUNNING":
            return description
        time.sleep(POLL_INTERVAL_S)


def _run_executions(
    client: Any, state_machine_arn: str, workload: Workload, executions: int
) -> list[tuple[str, str | None]]:
    """Run executions one after another; return each one's status and output text."""
    input_text = workload.input_text
    outcomes: list[tuple[str, str | None]] = []
    expected_s = 0.0
    for index in range(executions):
        started = time.perf_counter()
        response = client.start_execution(
            stateMachineArn=state_machine_arn, name=f"bench-{index}", input=input_text
        )
        description = _wait_for_end(client, response["executionArn"], expected_s)
        expected_s = time.perf_counter() - started
        outcomes.append((description["status"], description.get("output")))
    return outcomes


def measure_moto(workload: Workload, executions: int, *, cache_jsonpath: bool = False) -> float:
    """Run ``executions`` executions on moto; check every output; return the timed seconds."""
    with _moto_stepfunctions() as client:
        state_machine_arn = client.create_state_machine(
            name=f"bench-{workload.name}",
            definition=json.dumps(workload.definition),
            roleArn=ROLE_ARN,
        )["stateMachineArn"]
        gc.collect()
        with cached_jsonpath_parsing() if cache_jsonpath else nullcontext():
            started = time.perf_counter()
            outcomes = _run_executions(client, state_machine_arn, workload, executions)
            elapsed = time.perf_counter() - started
    check_outputs(workload, outcomes)
    return elapsed
