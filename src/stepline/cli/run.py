"""``stepline run``: run a definition in-process and print its output (or error and cause)."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from stepline.asl.jsontext import dumps, loads
from stepline.cli.arguments import add_substitution_option, parse_substitutions
from stepline.runtime import (
    FakeClock,
    FunctionRegistry,
    InvalidDefinitionError,
    SystemClock,
    compile_definition,
    run_execution,
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run", help="run a state machine in-process", description=__doc__
    )
    parser.add_argument("file", type=Path, help="the definition (JSON or YAML)")
    parser.add_argument("--input", default="{}", help="the execution input as JSON text")
    parser.add_argument(
        "--functions",
        action="append",
        default=[],
        metavar="MODULE",
        help="a module (dotted name or .py file) whose functions Lambda Tasks may call",
    )
    add_substitution_option(parser)
    parser.add_argument("--history", action="store_true", help="also print the events")
    parser.add_argument(
        "--real-time", action="store_true", help="let Wait states really wait (default: skip)"
    )
    parser.set_defaults(handler=run)


def load_functions(references: list[str]) -> FunctionRegistry:
    """Register each module's ``FUNCTIONS`` mapping, or else its public functions by name."""
    registry = FunctionRegistry()
    for reference in references:
        module = _import(reference)
        declared = getattr(module, "FUNCTIONS", None)
        if isinstance(declared, dict):
            for name, handler in declared.items():
                registry.register(name, handler)
            continue
        for name, value in vars(module).items():
            defined_here = inspect.isfunction(value) and value.__module__ == module.__name__
            if defined_here and not name.startswith("_"):
                registry.register(name, value)
    return registry


def _import(reference: str) -> ModuleType:
    if reference.endswith(".py"):
        path = Path(reference)
        spec = importlib.util.spec_from_file_location(path.stem, path)
        if spec is None or spec.loader is None:
            raise SystemExit(f"cannot load functions from {reference}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    return importlib.import_module(reference)


def run(arguments: argparse.Namespace) -> int:
    try:
        plan = compile_definition(
            arguments.file.read_text(),
            substitutions=parse_substitutions("run", arguments.substitution),
        )
    except InvalidDefinitionError as error:
        print(error.message, file=sys.stderr)
        return 2
    try:
        loads(arguments.input)
    except ValueError as error:
        print(f"--input is not valid JSON: {error}", file=sys.stderr)
        return 2
    result = run_execution(
        plan,
        arguments.input,
        functions=load_functions(arguments.functions),
        clock=SystemClock() if arguments.real_time else FakeClock(SystemClock().now()),
    )
    if arguments.history:
        for event in result.history():
            event["timestamp"] = event["timestamp"].isoformat()
            print(dumps(event))
    if result.status == "SUCCEEDED":
        print(result.output)
        return 0
    print(f"{result.status}: {result.error or ''}", file=sys.stderr)
    if result.cause:
        print(result.cause, file=sys.stderr)
    return 1
