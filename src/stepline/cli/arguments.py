"""Argument parsing shared by the sub-commands: one-line usage errors, substitutions."""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn

from stepline.cli.errors import USAGE, UsageError


class Parser(argparse.ArgumentParser):
    """argparse, with a usage mistake told in one line (and where to find the usage)."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: {message} (see '{self.prog} --help')", file=sys.stderr)
        sys.exit(USAGE)


def add_substitution_option(parser: Any) -> None:
    """``--substitution NAME=VALUE``, repeatable: ``${NAME}`` in the definition becomes VALUE."""
    parser.add_argument(
        "--substitution",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="replace ${NAME} in the definition with VALUE (repeatable)",
    )


def parse_substitutions(pairs: list[str]) -> dict[str, str]:
    """The ``--substitution`` pairs as a mapping; a pair without ``=`` is a usage error."""
    substitutions: dict[str, str] = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator or not name:
            raise UsageError(f"--substitution needs NAME=VALUE, got {pair!r}")
        substitutions[name] = value
    return substitutions
