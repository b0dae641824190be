"""Retry: which retrier takes an error, and how long to back off before the next attempt."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from stepline.asl.ambient import Ambient, random_fraction
from stepline.asl.errors import StatesError, error_matches
from stepline.asl.model import Retrier
from stepline.runtime.effects import Routine, sleep
from stepline.runtime.frame import Execution

T = TypeVar("T")


def backoff_seconds(retrier: Retrier, attempt: int, ambient: Ambient) -> float:
    """The wait before retry number ``attempt + 1`` (0-based), capped and jittered as AWS does
    (FULL jitter draws from ``ambient``, so a replay waits the same)."""
    delay = retrier.interval_seconds * retrier.backoff_rate**attempt
    if retrier.max_delay_seconds is not None:
        delay = min(delay, retrier.max_delay_seconds)
    if retrier.jitter_strategy == "FULL":
        delay = random_fraction(ambient) * delay
    return float(delay)


def with_retries(
    retriers: Sequence[Retrier],
    execution: Execution,
    attempt: Callable[[], Routine[T]],
    on_retry: Callable[[int], None] | None = None,
) -> Routine[T]:
    """Run ``attempt`` until it succeeds or an error no retrier takes (or one exhausted) escapes.

    Each retrier counts its own attempts; the first retrier whose ErrorEquals matches the error
    decides, as the spec says, even if it has no attempts left.
    """
    counts = [0] * len(retriers)
    retries = 0
    while True:
        try:
            return (yield from attempt())
        except StatesError as error:
            index = _matching(retriers, error.error)
            if index is None or counts[index] >= retriers[index].max_attempts:
                raise
            yield from sleep(execution, backoff_seconds(retriers[index], counts[index], execution))
            counts[index] += 1
            retries += 1
            if on_retry is not None:
                on_retry(retries)


def _matching(retriers: Sequence[Retrier], error: str) -> int | None:
    for index, retrier in enumerate(retriers):
        if error_matches(retrier.error_equals, error):
            return index
    return None
