"""ASL timestamps: the RFC 3339 profile Choice rules and the Wait state accept.

ASL narrows RFC 3339: an uppercase ``T`` separates date and time, and the zone is an uppercase
``Z`` or a numeric offset (``+01:00``); fractional seconds are optional. Anything else (a bare
date, a space instead of ``T``, no zone, lowercase letters) is not a timestamp.

A timestamp is held as integer nanoseconds since the Unix epoch (UTC): comparisons are plain
integer comparisons, exact across offsets and at sub-microsecond precision, which ``datetime``
cannot give.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from stepline.asl.scope import JSON

_PATTERN = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_SECONDS_PER_DAY = 86_400
_NANOSECONDS = 1_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class InvalidTimestamp(ValueError):
    """The text is not a timestamp in the form ASL requires."""


def parse_timestamp(text: str) -> int:
    """Return the instant ``text`` names, in nanoseconds since the epoch (UTC).

    Raises ``InvalidTimestamp`` when the text breaks ASL's profile or names no real date or time
    (month 13, February 30th, hour 24, a leap second).
    """
    match = _PATTERN.fullmatch(text)
    if match is None:
        raise InvalidTimestamp(text)
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction, sign, offset_hours, offset_minutes = match.groups()[6:]
    try:
        days = date(year, month, day).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        raise InvalidTimestamp(text) from None
    if hour > 23 or minute > 59 or second > 59:
        raise InvalidTimestamp(text)
    offset = 0
    if sign is not None:
        if int(offset_hours) > 23 or int(offset_minutes) > 59:
            raise InvalidTimestamp(text)
        offset = int(offset_hours) * 3600 + int(offset_minutes) * 60
        offset = -offset if sign == "-" else offset
    seconds = days * _SECONDS_PER_DAY + hour * 3600 + minute * 60 + second - offset
    nanoseconds = int(fraction.ljust(9, "0")) if fraction else 0
    return seconds * _NANOSECONDS + nanoseconds


def timestamp_or_none(value: JSON) -> int | None:
    """The instant a JSON value names if it is a timestamp string, else None (never raises)."""
    if type(value) is not str:
        return None
    try:
        return parse_timestamp(value)
    except InvalidTimestamp:
        return None


def is_timestamp(value: JSON) -> bool:
    """Whether a JSON value is a string holding an ASL timestamp (what ``IsTimestamp`` tests)."""
    return timestamp_or_none(value) is not None


def to_datetime(instant: int) -> datetime:
    """An aware UTC ``datetime`` for an instant (truncated to microseconds), e.g. for timers."""
    return _EPOCH + timedelta(microseconds=instant // 1000)
