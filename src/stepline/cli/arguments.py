"""Arguments more than one sub-command takes."""

from __future__ import annotations

from typing import Any


def add_substitution_option(parser: Any) -> None:
    """``--substitution NAME=VALUE``, repeatable: ``${NAME}`` in the definition becomes VALUE."""
    parser.add_argument(
        "--substitution",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="replace ${NAME} in the definition before validating it (repeatable)",
    )


def parse_substitutions(command: str, pairs: list[str]) -> dict[str, str]:
    """The ``--substitution`` pairs as a mapping; a malformed pair ends the command."""
    substitutions: dict[str, str] = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator:
            raise SystemExit(f"stepline {command}: --substitution needs NAME=VALUE, got {pair!r}")
        substitutions[name] = value
    return substitutions
