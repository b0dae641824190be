"""``stepline run``: run a definition in-process and print its output (or error and cause)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from stepline.cli.arguments import add_substitution_option, parse_substitutions
from stepline.cli.errors import FAILED, SUCCEEDED, UsageError
from stepline.cli.functions import load_functions
from stepline.cli.sources import add_input_options, input_of, read_text, uses_standard_input

__all__ = ["load_functions", "register", "run"]  # ``serve`` loads functions from here too


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run a state machine in-process",
        description="Run a definition in-process (no server) and print its output, or its error "
        "and cause.",
    )
    parser.add_argument(
        "file", metavar="FILE", help="the definition, JSON or YAML (- reads standard input)"
    )
    add_input_options(parser, default="{}")
    parser.add_argument(
        "--functions",
        action="append",
        default=[],
        metavar="MODULE",
        help="a module (a .py file, or a dotted name found from the current directory) whose "
        "functions Lambda Tasks may call (repeatable)",
    )
    add_substitution_option(parser)
    parser.add_argument("--history", action="store_true", help="also print the events")
    parser.add_argument(
        "--real-time", action="store_true", help="let Wait states really wait (default: skip)"
    )
    parser.set_defaults(handler=run)


def run(arguments: argparse.Namespace) -> int:
    if uses_standard_input(arguments.file, arguments.input, arguments.input_file) > 1:
        raise UsageError("standard input (-) can give the definition or the input, not both")
    substitutions = parse_substitutions(arguments.substitution)
    text = read_text(arguments.file, "definition file")
    execution_input = input_of(arguments) or "{}"
    # The runtime takes a few hundred milliseconds to load: a mistake is told before that.
    from stepline.asl.jsontext import dumps  # noqa: PLC0415
    from stepline.runtime import (  # noqa: PLC0415
        FakeClock,
        InvalidDefinitionError,
        SystemClock,
        compile_definition,
        run_execution,
    )

    functions = load_functions(arguments.functions)
    try:
        plan = compile_definition(text, substitutions=substitutions)
    except InvalidDefinitionError as error:
        raise UsageError(error.message) from None
    result = run_execution(
        plan,
        execution_input,
        functions=functions,
        clock=SystemClock() if arguments.real_time else FakeClock(SystemClock().now()),
    )
    if arguments.history:
        for event in result.history():
            event["timestamp"] = event["timestamp"].isoformat()
            print(dumps(event))
    if result.status == "SUCCEEDED":
        print(result.output)
        return SUCCEEDED
    print(f"{result.status}: {result.error or ''}", file=sys.stderr)
    if result.cause:
        print(result.cause, file=sys.stderr)
    return FAILED
