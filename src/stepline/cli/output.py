"""What remote commands print: the API's answer as JSON (``--output json``, dates in ISO 8601
as the AWS CLI prints them), or plain aligned text, readable in any terminal and log.

Plain text rather than a table library: a dozen lines do it, the command starts faster, and
output piped to ``grep``, ``awk`` or a CI log has no box-drawing characters or colour codes.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TextIO

CELL_LIMIT = 72
"""Longer cells (an input, an output, a cause) are cut in tables; ``--output json`` has them."""


def print_json(document: Any, stream: TextIO | None = None) -> None:
    print(json.dumps(document, indent=2, ensure_ascii=False, default=_encode), file=stream)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot show {type(value).__name__} as JSON")


def print_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    empty: str,
    stream: TextIO | None = None,
) -> None:
    """Columns aligned on the widest cell, or ``empty`` (to standard error) without rows."""
    if not rows:
        print(f"({empty})", file=sys.stderr)
        return
    cells = [[cut(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in [list(headers), *cells]) for i in range(len(headers))]
    for row in [list(headers), *cells]:
        line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print(line.rstrip(), file=stream)


def print_fields(fields: Sequence[tuple[str, Any]], stream: TextIO | None = None) -> None:
    """``Label  value`` lines, labels aligned; fields without a value are left out."""
    shown = [(label, value) for label, value in fields if value not in (None, "")]
    width = max((len(label) for label, _ in shown), default=0)
    for label, value in shown:
        print(f"{label.ljust(width)}  {value}", file=stream)


def cut(text: str, limit: int = CELL_LIMIT) -> str:
    """One line of at most ``limit`` characters."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def moment(value: datetime | None) -> str:
    """A date in local time, to the second: ``2026-01-31 14:05:09``."""
    if value is None:
        return ""
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def duration(seconds: float) -> str:
    """``0.4s``, ``12.0s``, ``3m 05s``, ``2h 01m``."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {rest:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def between(start: datetime | None, stop: datetime | None) -> str:
    if start is None or stop is None:
        return ""
    return duration(max(0.0, (stop - start).total_seconds()))


def pretty_json(text: str | None) -> str | None:
    """JSON text indented for reading; text that is not JSON as it is."""
    if text is None:
        return None
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text
