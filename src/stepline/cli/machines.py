"""``stepline machines``: state machines on a server (create, update, list, describe, delete).

A definition file may be JSON or YAML, with ``${NAME}`` placeholders filled by
``--substitution`` as CloudFormation's ``DefinitionSubstitutions`` fill them; the server gets
JSON. A state machine is named by its name or its ARN. (The layout: see ``executions``.)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from stepline.cli.arguments import add_substitution_option, parse_substitutions
from stepline.cli.errors import SUCCEEDED, UsageError
from stepline.cli.output import moment, pretty_json, print_fields, print_json, print_table
from stepline.cli.remote import Remote, add_remote_command
from stepline.cli.sources import STANDARD_INPUT, read_text

DESCRIPTION = """\
Create and manage state machines on a server (`stepline serve`, or any endpoint of the
Step Functions API).

A definition file may be JSON or YAML; --substitution fills its ${NAME} placeholders. A state
machine is named by its name or its ARN.

examples:
  stepline machines create orders.asl.json --substitution Table=orders-test
  stepline machines list
  stepline machines describe orders --output json
  stepline machines update orders orders.asl.yaml"""

DEFAULT_ROLE = "arn:aws:iam::123456789012:role/stepline"
"""The role a state machine is given unless ``--role`` names one (Stepline assumes none)."""


def register(subparsers: Any) -> None:
    group = subparsers.add_parser(
        "machines",
        aliases=["state-machines"],
        help="create and manage state machines on a server",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    create = add_remote_command(actions, "create", "create a state machine", create_machine)
    _add_definition_argument(create)
    create.add_argument(
        "--name", help="the state machine's name (default: the file's name up to its first dot)"
    )
    create.add_argument(
        "--type", type=str.upper, choices=("STANDARD", "EXPRESS"), help="default: STANDARD"
    )
    create.add_argument(
        "--role",
        metavar="ARN",
        default=DEFAULT_ROLE,
        help="the role's ARN (default: a placeholder; Stepline assumes no role)",
    )
    add_substitution_option(create)

    update = add_remote_command(
        actions, "update", "change a state machine's definition or role", update_machine
    )
    update.add_argument("machine", metavar="MACHINE", help="the state machine's name or ARN")
    _add_definition_argument(update, optional=True)
    update.add_argument("--role", metavar="ARN", help="the new role's ARN")
    add_substitution_option(update)

    add_remote_command(actions, "list", "list the state machines", list_machines)

    describe = add_remote_command(
        actions, "describe", "show a state machine and its definition", describe_machine
    )
    describe.add_argument("machine", metavar="MACHINE", help="the state machine's name or ARN")

    delete = add_remote_command(actions, "delete", "delete a state machine", delete_machine)
    delete.add_argument("machine", metavar="MACHINE", help="the state machine's name or ARN")


def _add_definition_argument(parser: Any, *, optional: bool = False) -> None:
    parser.add_argument(
        "file",
        metavar="FILE",
        nargs="?" if optional else None,
        help="the definition, JSON or YAML (- reads standard input)",
    )


def read_definition(source: str, substitutions: dict[str, str]) -> str:
    """The definition's text to send: JSON as written, YAML turned into JSON."""
    from stepline.asl.definitions import load_definition, substitute  # noqa: PLC0415

    text = substitute(read_text(source, "definition file"), substitutions)
    try:
        json.loads(text)
    except ValueError:
        document, diagnostics = load_definition(text)
        if not diagnostics:  # YAML; anything else goes as it is, for the server to diagnose
            return json.dumps(document, indent=2, ensure_ascii=False)
    return text


def create_machine(arguments: argparse.Namespace) -> int:
    name = arguments.name or _name_of(arguments.file)
    substitutions = parse_substitutions(arguments.substitution)
    parameters: dict[str, Any] = {
        "name": name,
        "definition": read_definition(arguments.file, substitutions),
        "roleArn": arguments.role,
    }
    if arguments.type:
        parameters["type"] = arguments.type
    answer = Remote.of(arguments).call("create_state_machine", **parameters)
    if arguments.output == "json":
        print_json(answer)
    else:
        print(answer["stateMachineArn"])
    return SUCCEEDED


def _name_of(source: str) -> str:
    if source == STANDARD_INPUT:
        raise UsageError("--name is needed when the definition comes from standard input")
    return Path(source).name.split(".", maxsplit=1)[0]


def update_machine(arguments: argparse.Namespace) -> int:
    if arguments.file is None and arguments.role is None:
        raise UsageError("give a definition FILE, a --role, or both")
    substitutions = parse_substitutions(arguments.substitution)
    remote = Remote.of(arguments)
    parameters: dict[str, Any] = {"stateMachineArn": remote.machine(arguments.machine).arn}
    if arguments.file is not None:
        parameters["definition"] = read_definition(arguments.file, substitutions)
    if arguments.role is not None:
        parameters["roleArn"] = arguments.role
    answer = remote.call("update_state_machine", **parameters)
    if arguments.output == "json":
        print_json(answer)
    else:
        print(f"updated at {moment(answer.get('updateDate'))}, revision {answer.get('revisionId')}")
    return SUCCEEDED


def list_machines(arguments: argparse.Namespace) -> int:
    machines = Remote.of(arguments).pages("list_state_machines", "stateMachines")
    if arguments.output == "json":
        print_json({"stateMachines": machines})
        return SUCCEEDED
    rows = [
        [machine["name"], machine.get("type", ""), moment(machine.get("creationDate"))]
        for machine in machines
    ]
    print_table(("NAME", "TYPE", "CREATED"), rows, empty="no state machines")
    return SUCCEEDED


def describe_machine(arguments: argparse.Namespace) -> int:
    remote = Remote.of(arguments)
    described = remote.call(
        "describe_state_machine", stateMachineArn=remote.machine(arguments.machine).arn
    )
    if arguments.output == "json":
        print_json(described)
        return SUCCEEDED
    print_fields(
        [
            ("Name", described.get("name")),
            ("ARN", described.get("stateMachineArn")),
            ("Type", described.get("type")),
            ("Status", described.get("status")),
            ("Role", described.get("roleArn")),
            ("Created", moment(described.get("creationDate"))),
            ("Revision", described.get("revisionId")),
        ]
    )
    print()
    print(pretty_json(described.get("definition")))
    return SUCCEEDED


def delete_machine(arguments: argparse.Namespace) -> int:
    remote = Remote.of(arguments)
    machine = remote.machine(arguments.machine)
    answer = remote.call("delete_state_machine", stateMachineArn=machine.arn)
    if arguments.output == "json":
        print_json(answer)
    else:
        print(f"deleted {machine.arn}")
    return SUCCEEDED
