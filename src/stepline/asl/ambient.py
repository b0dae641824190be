"""What an expression may read beyond its data: the time, and random draws.

A few of the language's values are not functions of a state's input: ``States.UUID``,
``States.MathRandom`` without a seed, JSONata's ``$uuid()``, ``$random()``, ``$now()`` and
``$millis()``, and FULL retry jitter. Evaluators read them through an :class:`Ambient`. An
execution supplies its own: the time of the transition being made and draws numbered from a
per-execution seed, so running it again with the same signals yields the same values. ``LIVE``
(the wall clock and Python's generator) serves callers that do not replay: the language's own
unit tests and one-off evaluations.
"""

from __future__ import annotations

import hashlib
import random
import time
import uuid
from typing import Protocol


class Ambient(Protocol):
    def millis(self) -> int:
        """The current time as milliseconds since the POSIX epoch."""
        ...

    def draw(self) -> int:
        """The next 128 random bits, as an integer."""
        ...


class LiveAmbient:
    """The wall clock and Python's own random generator."""

    def millis(self) -> int:
        return round(time.time() * 1000)

    def draw(self) -> int:
        return random.getrandbits(128)


LIVE = LiveAmbient()


def numbered_draw(seed: bytes, number: int) -> int:
    """Draw ``number`` of the stream named by ``seed``: 128 bits that depend on nothing else.

    Each draw hashes (seed, number), so a stream's position is one integer and any draw can be
    made again without making the ones before it.
    """
    digest = hashlib.blake2b(number.to_bytes(8, "big"), digest_size=16, key=seed).digest()
    return int.from_bytes(digest, "big")


def random_fraction(ambient: Ambient) -> float:
    """A number in [0, 1) with the 53 bits of precision a double holds."""
    return (ambient.draw() >> 75) / float(1 << 53)


def random_integer(ambient: Ambient, low: int, high: int) -> int:
    """An integer from ``low`` to ``high`` inclusive, uniformly (rejecting the biased tail)."""
    span = high - low + 1
    bits = max(128, span.bit_length() + 64)
    limit = (1 << bits) - (1 << bits) % span
    while True:
        value = _bits(ambient, bits)
        if value < limit:
            return low + value % span


def random_uuid(ambient: Ambient) -> str:
    """A version 4 UUID made from one draw."""
    return str(uuid.UUID(int=ambient.draw(), version=4))


def _bits(ambient: Ambient, count: int) -> int:
    value, have = 0, 0
    while have < count:
        value = (value << 128) | ambient.draw()
        have += 128
    return value >> (have - count)
