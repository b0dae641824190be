"""The page tokens of Stepline's list actions: a position (a row id or an offset) written as
decimal digits. A token Stepline could not have given is refused as AWS refuses one."""

from __future__ import annotations

import re

from stepline.engine import errors

_POSITION = re.compile(r"[0-9]{1,18}")
"""ASCII digits only, and few enough for any database's 64-bit integer."""


def position(next_token: str | None) -> int | None:
    """The position ``next_token`` names, None for the first page; ``InvalidToken`` when it
    is not one of Stepline's tokens."""
    if not next_token:
        return None
    if _POSITION.fullmatch(next_token) is None:
        raise errors.InvalidToken("Invalid Token: 'Invalid token'")
    return int(next_token)
