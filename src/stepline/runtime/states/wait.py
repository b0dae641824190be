"""Wait: lets time pass on the execution's clock, for Seconds or until a Timestamp."""

from __future__ import annotations

from collections.abc import Callable

from stepline.asl import jsonata
from stepline.asl.jsonpath import PathNotFound, compile_path
from stepline.asl.model import Payload, WaitState
from stepline.asl.scope import JSON
from stepline.asl.timestamps import timestamp_or_none, to_datetime
from stepline.runtime.dataflow import jsonata_evaluator
from stepline.runtime.effects import Routine, sleep
from stepline.runtime.entry import Entry
from stepline.runtime.state_plan import StatePlan, Step

# AWS keeps delays in a signed 32-bit count of seconds.
MAX_DELAY_SECONDS = 2**31 - 1

Delay = Callable[[Entry, JSON], float]


class WaitPlan(StatePlan):
    suspends = True

    def __init__(self, state: WaitState) -> None:
        super().__init__(state)
        self.delay = self._compile_delay(state)

    def _compile_delay(self, state: WaitState) -> Delay:
        if self.is_jsonata and jsonata.is_expression(state.seconds):
            seconds_of = jsonata_evaluator(Payload(state.seconds), "Seconds")
            assert seconds_of is not None
            return lambda entry, data: _seconds(entry, seconds_of(entry, {}), "Seconds", "")
        if self.is_jsonata and jsonata.is_expression(state.timestamp):
            moment_of = jsonata_evaluator(Payload(state.timestamp), "Timestamp")
            assert moment_of is not None
            return lambda entry, data: _until(entry, moment_of(entry, {}), "Timestamp", "")
        if state.seconds is not None:
            seconds = state.seconds
            return lambda entry, data: float(seconds)
        if state.timestamp is not None:
            timestamp = state.timestamp
            return lambda entry, data: _until(entry, timestamp, "Timestamp", "")
        path_text = state.seconds_path or state.timestamp_path or "$"
        path = compile_path(path_text)
        field = "SecondsPath" if state.seconds_path is not None else "TimestampPath"
        measure = _seconds if state.seconds_path is not None else _until

        def by_path(entry: Entry, data: JSON) -> float:
            try:
                value = path.evaluate(entry.scope(data))
            except PathNotFound:
                raise entry.runtime_error(
                    f"The {field} parameter does not reference an input value: {path_text}"
                ) from None
            return measure(entry, value, field, path_text)

        return by_path

    def run(self, entry: Entry) -> Routine[Step]:
        data = entry.input
        if self.select_input is not None:
            data = self.select_input(entry, data)
        seconds = self.delay(entry, data)
        if seconds > MAX_DELAY_SECONDS:
            raise entry.runtime_error("Wait state delay is too long.")
        yield from sleep(entry.frame.execution, seconds)
        if self.is_jsonata:
            return self.finish_jsonata(entry, entry.input)
        return self.finish_jsonpath(entry, data)


def _seconds(entry: Entry, value: JSON, field: str, path_text: str) -> float:
    described = f"{path_text} == {value}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise entry.runtime_error(
            f"The {field} parameter cannot be parsed as a long value: {described}"
        )
    if isinstance(value, float) and not value.is_integer():
        raise entry.runtime_error(
            f"The {field} parameter cannot be parsed as a long value: {described}"
        )
    if value < 0:
        raise entry.runtime_error(f"The {field} parameter references a negative value: {described}")
    return float(value)


def _until(entry: Entry, value: JSON, field: str, path_text: str) -> float:
    instant = timestamp_or_none(value)
    if instant is None:
        raise entry.runtime_error(
            f"The {field} parameter does not reference a valid ISO-8601 extended offset "
            f"date-time format string: {path_text} == {value}"
        )
    # AWS counts a timestamp to the second: the fraction is dropped, not waited for.
    moment = to_datetime(instant).replace(microsecond=0)
    return max(0.0, moment.timestamp() - entry.frame.execution.now)
