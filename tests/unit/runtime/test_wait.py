"""Wait lets time pass on the execution's clock: a FakeClock jumps, nothing really sleeps."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from stepline.runtime import ExecutionResult, FakeClock, compile_definition, run_execution

START = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)


def wait(state: dict[str, Any], input_value: Any = None) -> tuple[ExecutionResult, FakeClock]:
    clock = FakeClock(START)
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", **state, "End": True}}}
    input_text = json.dumps(input_value if input_value is not None else {})
    return run_execution(compile_definition(definition), input_text, clock=clock), clock


def runtime_failure(result: ExecutionResult) -> str:
    assert result.status == "FAILED"
    assert result.error == "States.Runtime"
    assert result.cause is not None
    prefix = "An error occurred while executing the state 'W' (entered at the event id #2). "
    assert result.cause.startswith(prefix)
    return result.cause.removeprefix(prefix)


def test_wait_seconds_advances_the_clock_and_passes_input_on() -> None:
    result, clock = wait({"Seconds": 90}, {"a": 1})
    assert result.status == "SUCCEEDED"
    assert result.output_value == {"a": 1}
    assert clock.slept == [90]
    assert clock.now() == START + timedelta(seconds=90)
    events = result.history()
    entered = next(e for e in events if e["type"] == "WaitStateEntered")
    exited = next(e for e in events if e["type"] == "WaitStateExited")
    assert exited["timestamp"] - entered["timestamp"] == timedelta(seconds=90)


def test_wait_until_a_timestamp_sleeps_the_difference() -> None:
    result, clock = wait({"Timestamp": "2024-01-01T13:00:00Z"})
    assert result.status == "SUCCEEDED"
    assert clock.now() == datetime(2024, 1, 1, 13, 0, tzinfo=UTC)
    assert sum(clock.slept) == 3600


def test_wait_until_a_timestamp_with_an_offset() -> None:
    result, clock = wait({"Timestamp": "2024-01-01T13:00:30+01:00"})
    assert result.status == "SUCCEEDED"
    assert sum(clock.slept) == 30


def test_wait_until_a_timestamp_truncates_its_milliseconds() -> None:
    result, clock = wait({"Timestamp": "2024-01-01T12:00:10.900Z"})
    assert result.status == "SUCCEEDED"
    assert sum(clock.slept) == 10


def test_wait_until_a_past_timestamp_does_not_wait() -> None:
    result, clock = wait({"Timestamp": "2020-01-01T00:00:00Z"})
    assert result.status == "SUCCEEDED"
    assert clock.now() == START


def test_wait_seconds_path_reads_the_input() -> None:
    result, clock = wait({"SecondsPath": "$.s"}, {"s": 5})
    assert result.status == "SUCCEEDED"
    assert clock.slept == [5]


def test_wait_timestamp_path_reads_the_input() -> None:
    result, clock = wait({"TimestampPath": "$.t"}, {"t": "2024-01-01T12:00:10Z"})
    assert result.status == "SUCCEEDED"
    assert clock.slept == [10]


def test_wait_seconds_path_to_a_missing_field() -> None:
    result, _ = wait({"SecondsPath": "$.input.waitSeconds"}, {})
    assert runtime_failure(result) == (
        "The SecondsPath parameter does not reference an input value: $.input.waitSeconds"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "references a negative value: $.s == -1"),
        (1.5, "cannot be parsed as a long value: $.s == 1.5"),
        ("5", "cannot be parsed as a long value: $.s == 5"),
    ],
)
def test_wait_seconds_path_to_an_invalid_value(value: Any, message: str) -> None:
    result, clock = wait({"SecondsPath": "$.s"}, {"s": value})
    assert runtime_failure(result) == f"The SecondsPath parameter {message}"
    assert clock.slept == []


@pytest.mark.parametrize("value", ["2024-01-01T12:00:00", "2024-13-01T12:00:00Z", 5])
def test_wait_timestamp_path_to_an_invalid_timestamp(value: Any) -> None:
    result, _ = wait({"TimestampPath": "$.t"}, {"t": value})
    assert runtime_failure(result).startswith(
        "The TimestampPath parameter does not reference a valid ISO-8601 extended offset "
        "date-time format string: $.t == "
    )


def test_wait_longer_than_aws_allows_fails() -> None:
    result, clock = wait({"Timestamp": "2099-01-01T00:00:00Z"})
    assert runtime_failure(result) == "Wait state delay is too long."
    assert clock.slept == []


def test_jsonata_wait_seconds() -> None:
    state = {"QueryLanguage": "JSONata", "Seconds": "{% $states.input.s * 2 %}"}
    result, clock = wait(state, {"s": 4})
    assert result.status == "SUCCEEDED"
    assert result.output_value == {"s": 4}
    assert clock.slept == [8]


def test_jsonata_wait_timestamp() -> None:
    state = {"QueryLanguage": "JSONata", "Timestamp": "{% $states.input.t %}"}
    result, clock = wait(state, {"t": "2024-01-01T12:01:00Z"})
    assert result.status == "SUCCEEDED"
    assert clock.slept == [60]


def test_jsonata_wait_output() -> None:
    state = {"QueryLanguage": "JSONata", "Seconds": 1, "Output": "{% $states.input.s %}"}
    result, clock = wait(state, {"s": "out"})
    assert result.output_value == "out"
    assert clock.slept == [1]


def test_jsonata_wait_seconds_that_is_not_a_number_fails() -> None:
    state = {"QueryLanguage": "JSONata", "Seconds": "{% $states.input.s %}"}
    result, clock = wait(state, {"s": "soon"})
    assert result.status == "FAILED"
    assert clock.slept == []
