"""Entry point of the ``stepline`` command: one sub-command per module of this package.

Whatever goes wrong ends in one line on standard error and an exit status (``errors`` lists
them); a traceback is shown only for a fault of Stepline's own, and only with STEPLINE_DEBUG=1.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence

from stepline import __version__
from stepline.cli import errors
from stepline.cli.arguments import Parser

# Each module registers its sub-command with ``register(subparsers)`` and sets ``handler`` on
# the parsed arguments: a callable taking the namespace and returning the exit status.
_SUBCOMMAND_MODULES = ("validate", "run", "machines", "executions", "conformance", "serve")

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="stepline",
        description="Run AWS Step Functions state machines anywhere.",
        epilog=errors.EXIT_STATUSES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"stepline {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _SUBCOMMAND_MODULES:
        module = importlib.import_module(f"stepline.cli.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    handler: Handler = arguments.handler
    prog = getattr(arguments, "prog", None) or f"stepline {arguments.command}"
    try:
        status = handler(arguments)
        sys.stdout.flush()  # here, where a reader gone away is still ours to handle
    except errors.CommandError as error:
        if isinstance(error, errors.Interrupted) and sys.stderr.isatty():
            print(file=sys.stderr)  # off the line where the terminal echoed ^C
        print(f"{prog}: {error}", file=sys.stderr)
        return error.status
    except KeyboardInterrupt:
        if sys.stderr.isatty():
            print(file=sys.stderr)
        return errors.INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (``| head``): say nothing more, to nobody.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return errors.BROKEN_PIPE
    except Exception as error:
        if os.environ.get("STEPLINE_DEBUG"):
            raise
        print(
            f"{prog}: internal error: {type(error).__name__}: {' '.join(str(error).split())} "
            "(a fault in Stepline: STEPLINE_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return errors.INTERNAL
    return status


if __name__ == "__main__":
    sys.exit(main())
