"""``stepline validate``: check definition files as CreateStateMachine would, before deploying."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from stepline.asl.definitions import load_definition, validate_definition
from stepline.asl.diagnostics import Diagnostic
from stepline.cli.arguments import add_substitution_option, parse_substitutions


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("validate", help="validate state machine definitions")
    parser.add_argument("files", metavar="FILE", nargs="+", type=Path)
    add_substitution_option(parser)
    parser.add_argument("--type", default="STANDARD", choices=("STANDARD", "EXPRESS"))
    parser.add_argument("--json", action="store_true", help="print diagnostics as JSON")
    parser.set_defaults(handler=run)


def check_file(path: Path, substitutions: dict[str, str], machine_type: str) -> list[Diagnostic]:
    """Every diagnostic for one file; an unreadable file is reported like malformed text."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return [Diagnostic("INVALID_JSON_DESCRIPTION", "", f"cannot read the file: {error}")]
    document, diagnostics = load_definition(text, substitutions)
    if diagnostics:
        return diagnostics
    return validate_definition(document, state_machine_type=machine_type)


def run(arguments: argparse.Namespace) -> int:
    substitutions = parse_substitutions("validate", arguments.substitution)
    results = {
        str(path): check_file(path, substitutions, arguments.type) for path in arguments.files
    }
    if arguments.json:
        print(json.dumps({path: [_as_json(d) for d in found] for path, found in results.items()}))
    else:
        for path, found in results.items():
            print(f"{path}: {'OK' if not found else f'{len(found)} problem(s)'}")
            for diagnostic in found:
                print(f"  {diagnostic}")
    valid = all(not found for found in results.values())
    sys.stdout.flush()
    return 0 if valid else 1


def _as_json(diagnostic: Diagnostic) -> dict[str, str]:
    """The shape of a ValidateStateMachineDefinition diagnostic."""
    shown = {"code": diagnostic.code, "message": diagnostic.message}
    if diagnostic.location:
        shown["location"] = diagnostic.location
    shown["severity"] = diagnostic.severity
    return shown
