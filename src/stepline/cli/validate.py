"""``stepline validate``: check definition files as CreateStateMachine would, before deploying.

Each file's problems are listed (exit status 1 when any); a file that cannot be read is a
usage mistake, told in one line on standard error (exit status 2), after the others are checked.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from stepline.cli.arguments import add_substitution_option, parse_substitutions
from stepline.cli.errors import FAILED, SUCCEEDED, USAGE, UsageError
from stepline.cli.sources import read_text, uses_standard_input

if TYPE_CHECKING:
    from stepline.asl.diagnostics import Diagnostic


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="validate state machine definitions",
        description="Check definition files as CreateStateMachine would, before deploying.",
    )
    parser.add_argument(
        "files", metavar="FILE", nargs="+", help="a definition, JSON or YAML (- for stdin)"
    )
    add_substitution_option(parser)
    parser.add_argument(
        "--type", default="STANDARD", type=str.upper, choices=("STANDARD", "EXPRESS")
    )
    parser.add_argument("--json", action="store_true", help="print diagnostics as JSON")
    parser.set_defaults(handler=run, prog=parser.prog)


def check_text(text: str, substitutions: dict[str, str], machine_type: str) -> list[Diagnostic]:
    """Every diagnostic for one definition's text."""
    from stepline.asl.definitions import load_definition, validate_definition  # noqa: PLC0415

    document, diagnostics = load_definition(text, substitutions)
    if diagnostics:
        return diagnostics
    return validate_definition(document, state_machine_type=machine_type)


def run(arguments: argparse.Namespace) -> int:
    substitutions = parse_substitutions(arguments.substitution)
    if uses_standard_input(*arguments.files) > 1:
        raise UsageError("standard input (-) can be read once only")
    results: dict[str, list[Diagnostic]] = {}
    unreadable = False
    for source in arguments.files:
        try:
            text = read_text(source, "definition file")
        except UsageError as error:
            print(f"{arguments.prog}: {error}", file=sys.stderr)
            unreadable = True
            continue
        results[source] = check_text(text, substitutions, arguments.type)
    if arguments.json:
        print(json.dumps({path: [_as_json(d) for d in found] for path, found in results.items()}))
    else:
        for path, found in results.items():
            print(f"{path}: {'OK' if not found else f'{len(found)} problem(s)'}")
            for diagnostic in found:
                print(f"  {diagnostic}")
    sys.stdout.flush()
    if unreadable:
        return USAGE
    return SUCCEEDED if all(not found for found in results.values()) else FAILED


def _as_json(diagnostic: Diagnostic) -> dict[str, str]:
    """The shape of a ValidateStateMachineDefinition diagnostic."""
    shown = {"code": diagnostic.code, "message": diagnostic.message}
    if diagnostic.location:
        shown["location"] = diagnostic.location
    shown["severity"] = diagnostic.severity
    return shown
