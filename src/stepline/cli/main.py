"""Entry point of the ``stepline`` command: one sub-command per module of this package."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

# Each module registers its sub-command with ``register(subparsers)`` and sets ``handler`` on
# the parsed arguments: a callable taking the namespace and returning the exit status.
_SUBCOMMAND_MODULES = ("validate", "run", "conformance", "serve")

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stepline", description="Run AWS Step Functions state machines anywhere."
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in _SUBCOMMAND_MODULES:
        module = importlib.import_module(f"stepline.cli.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    handler: Handler = arguments.handler
    return handler(arguments)


if __name__ == "__main__":
    sys.exit(main())
