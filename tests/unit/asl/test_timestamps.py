"""ASL timestamps: which texts are timestamps, and which instant each names."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stepline.asl.scope import JSON
from stepline.asl.timestamps import (
    InvalidTimestamp,
    is_timestamp,
    parse_timestamp,
    timestamp_or_none,
    to_datetime,
)

SECOND = 1_000_000_000
# 2012-10-09T19:00:55Z, worked out by hand: 15622 days after the epoch, plus 19:00:55.
INSTANT = (15622 * 86_400 + 19 * 3600 + 55) * SECOND


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2012-10-09T19:00:55Z", INSTANT),
        ("2012-10-09T20:00:55+01:00", INSTANT),
        ("2012-10-09T14:30:55-04:30", INSTANT),
        ("2012-10-09T19:00:55+00:00", INSTANT),
        ("2012-10-09T19:00:55-00:00", INSTANT),
        ("2012-10-09T19:00:55.5Z", INSTANT + SECOND // 2),
        ("2012-10-09T19:00:55.000000001Z", INSTANT + 1),
        ("2012-10-09T19:00:55.123456789Z", INSTANT + 123_456_789),
        ("1970-01-01T00:00:00Z", 0),
        ("1969-12-31T23:59:59Z", -SECOND),
        ("2024-02-29T00:00:00Z", 1_709_164_800 * SECOND),
        ("0001-01-01T00:00:00Z", -62_135_596_800 * SECOND),
        ("9999-12-31T23:59:59.999999999Z", 253_402_300_800 * SECOND - 1),
    ],
)
def test_parse_timestamp(text: str, instant: int) -> None:
    assert parse_timestamp(text) == instant
    assert timestamp_or_none(text) == instant
    assert is_timestamp(text)


@pytest.mark.parametrize(
    "text",
    [
        "2012-10-09T19:00:55",  # no zone
        "2012-10-09",  # a date alone
        "19:00:55Z",  # a time alone
        "2012-10-09 19:00:55Z",  # space instead of T
        "2012-10-09t19:00:55Z",  # lowercase t
        "2012-10-09T19:00:55z",  # lowercase z
        "2023-02-24 12:15:56.832957",
        "2012-10-09T19:00:55+0100",  # offset without its colon
        "2012-10-09T19:00:55+01",
        "2012-10-09T19:00:55.Z",  # a point without digits
        "2012-10-09T19:00:55.1234567890Z",  # beyond nanoseconds
        "2012-10-09T19:00Z",  # no seconds
        "12-10-09T19:00:55Z",
        "2012-1-09T19:00:55Z",
        " 2012-10-09T19:00:55Z",
        "2012-10-09T19:00:55Z ",
        "2012-13-09T19:00:55Z",
        "2012-00-09T19:00:55Z",
        "2023-02-29T19:00:55Z",
        "0000-01-01T00:00:00Z",
        "2012-10-09T24:00:00Z",
        "2012-10-09T19:60:00Z",
        "2012-10-09T19:00:60Z",  # leap seconds are not accepted
        "2012-10-09T19:00:55+24:00",
        "2012-10-09T19:00:55+01:60",
        "２０１２-10-09T19:00:55Z",  # non-ASCII digits
        "",
    ],
)
def test_texts_that_are_not_timestamps(text: str) -> None:
    with pytest.raises(InvalidTimestamp):
        parse_timestamp(text)
    assert timestamp_or_none(text) is None
    assert not is_timestamp(text)


@pytest.mark.parametrize(
    "value", [None, 0, 1349809255, 1.5, True, [], {}, ["2012-10-09T19:00:55Z"]]
)
def test_values_that_are_not_strings_are_not_timestamps(value: JSON) -> None:
    assert timestamp_or_none(value) is None
    assert not is_timestamp(value)


def test_to_datetime_gives_an_aware_utc_datetime() -> None:
    moment = to_datetime(parse_timestamp("2012-10-09T20:00:55.123456789+01:00"))
    assert moment == datetime(2012, 10, 9, 19, 0, 55, 123456, tzinfo=UTC)
    assert moment.tzinfo is UTC
    assert to_datetime(parse_timestamp("1969-12-31T23:59:59.5Z")) == datetime(
        1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC
    )
