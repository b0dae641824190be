"""``stepline executions``: start executions on a server and follow them (start, list,
describe, history, watch, stop, redrive).

The layout is noun then verb (``stepline executions start``, ``stepline machines create``), as
in ``gh`` and ``docker``: the two nouns are the API's two resources, ``--help`` at each level
lists what can be done, and each verb is the AWS action's (StartExecution, StopExecution,
GetExecutionHistory as ``history``), so the AWS documentation reads across. An execution is
named by its ARN or as ``MACHINE:EXECUTION_NAME``, a state machine by its name or ARN.

Results go to standard output and progress to standard error: ``start --watch > out.json``
shows the states as they run and keeps the output alone in the file.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from typing import Any

from stepline.cli.errors import FAILED, SUCCEEDED, Interrupted
from stepline.cli.output import (
    between,
    cut,
    duration,
    moment,
    print_fields,
    print_json,
    print_table,
)
from stepline.cli.progress import POLL_SECONDS, TERMINAL_STATUSES, follow
from stepline.cli.remote import SYNC_SECONDS, Remote, add_remote_command
from stepline.cli.sources import add_input_options, input_of

DESCRIPTION = """\
Start executions on a server and follow them.

An execution is named by its ARN or as MACHINE:EXECUTION_NAME, a state machine by its name
or ARN. Results go to standard output, progress to standard error.

examples:
  stepline executions start orders --input-file order.json --watch
  echo '{"id": 7}' | stepline executions start orders --input - --name order-7 --wait
  stepline executions list orders --status FAILED
  stepline executions history orders:order-7
  stepline executions redrive orders:order-7 --watch"""

STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")


def register(subparsers: Any) -> None:
    group = subparsers.add_parser(
        "executions",
        help="start executions on a server and follow them",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    start = add_remote_command(actions, "start", "start an execution", start_execution)
    start.add_argument("machine", metavar="MACHINE", help="the state machine's name or ARN")
    add_input_options(start)
    start.add_argument("--name", help="the execution's name (default: a UUID)")
    _add_waiting_options(start)

    listing = add_remote_command(actions, "list", "list a state machine's executions", list_all)
    listing.add_argument("machine", metavar="MACHINE", help="the state machine's name or ARN")
    listing.add_argument("--status", type=str.upper, choices=STATUSES, help="only these")
    listing.add_argument("--limit", type=_positive, metavar="N", help="at most N (newest first)")

    describe = add_remote_command(actions, "describe", "describe an execution", describe_one)
    _add_execution_argument(describe)

    history = add_remote_command(actions, "history", "list an execution's events", show_history)
    _add_execution_argument(history)
    history.add_argument("--reverse", action="store_true", help="newest first")

    watch = add_remote_command(
        actions, "watch", "follow an execution until it ends, then show its result", watch_one
    )
    _add_execution_argument(watch)

    stop = add_remote_command(actions, "stop", "stop a running execution", stop_one)
    _add_execution_argument(stop)
    stop.add_argument("--error", help="the error code to record")
    stop.add_argument("--cause", help="the cause to record")

    redrive = add_remote_command(
        actions, "redrive", "restart a failed execution from where it failed", redrive_one
    )
    _add_execution_argument(redrive)
    _add_waiting_options(redrive)


def _add_execution_argument(parser: Any) -> None:
    parser.add_argument(
        "execution", metavar="EXECUTION", help="the execution's ARN, or MACHINE:EXECUTION_NAME"
    )


def _add_waiting_options(parser: Any) -> None:
    waiting = parser.add_mutually_exclusive_group()
    waiting.add_argument(
        "--wait", action="store_true", help="wait for the end; print the output (or the error)"
    )
    waiting.add_argument(
        "--watch", action="store_true", help="show the states as they run, then as --wait"
    )


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number above 0, got {text!r}")
    return int(text)


# Commands -------------------------------------------------------------------------------------


def start_execution(arguments: argparse.Namespace) -> int:
    execution_input = input_of(arguments)
    waiting = arguments.wait or arguments.watch
    remote = Remote.of(arguments, read_timeout=SYNC_SECONDS if waiting else 60)
    machine = remote.machine(arguments.machine)
    parameters: dict[str, Any] = {"stateMachineArn": machine.arn}
    if execution_input is not None:
        parameters["input"] = execution_input
    if arguments.name is not None:
        parameters["name"] = arguments.name
    if waiting and remote.machine_type(machine) == "EXPRESS":
        if arguments.watch:
            print(
                "an Express execution runs synchronously: waiting for its result", file=sys.stderr
            )
        return show_result(remote.call("start_sync_execution", **parameters), arguments.output)
    started = remote.call("start_execution", **parameters)
    arn = str(started["executionArn"])
    if waiting:
        return _wait_or_watch(remote, arn, arguments)
    if arguments.output == "json":
        print_json(started)
    else:
        print(arn)
        if sys.stderr.isatty():
            print(f"follow it with: stepline executions watch {arn}", file=sys.stderr)
    return SUCCEEDED


def watch_one(arguments: argparse.Namespace) -> int:
    remote = Remote.of(arguments)
    return show_result(
        follow(remote, remote.execution(arguments.execution), sys.stderr), arguments.output
    )


def redrive_one(arguments: argparse.Namespace) -> int:
    remote = Remote.of(arguments)
    arn = remote.execution(arguments.execution)
    answer = remote.call("redrive_execution", executionArn=arn)
    if arguments.wait or arguments.watch:
        return _wait_or_watch(remote, arn, arguments)
    if arguments.output == "json":
        print_json(answer)
    else:
        print(f"redriven at {moment(answer.get('redriveDate'))}")
    return SUCCEEDED


def _wait_or_watch(remote: Remote, arn: str, arguments: argparse.Namespace) -> int:
    if arguments.watch:
        return show_result(follow(remote, arn, sys.stderr), arguments.output)
    return show_result(wait_for(remote, arn), arguments.output)


def wait_for(remote: Remote, arn: str) -> dict[str, Any]:
    """The execution's description once it has ended."""
    try:
        while True:
            described = remote.call("describe_execution", executionArn=arn)
            if described["status"] in TERMINAL_STATUSES:
                return described
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        raise Interrupted(f"stopped waiting; it goes on: stepline executions watch {arn}") from None


def show_result(described: dict[str, Any], output: str) -> int:
    """Print an ended execution's output (or its error and cause); 0 if it succeeded."""
    succeeded = described["status"] == "SUCCEEDED"
    if output == "json":
        print_json(described)
    elif succeeded:
        print(described.get("output", "null"))
    else:
        print(f"{described['status']}: {described.get('error', '')}", file=sys.stderr)
        if described.get("cause"):
            print(described["cause"], file=sys.stderr)
    return SUCCEEDED if succeeded else FAILED


def list_all(arguments: argparse.Namespace) -> int:
    remote = Remote.of(arguments)
    parameters: dict[str, Any] = {"stateMachineArn": remote.machine(arguments.machine).arn}
    if arguments.status:
        parameters["statusFilter"] = arguments.status
    executions = remote.pages("list_executions", "executions", arguments.limit, **parameters)
    if arguments.output == "json":
        print_json({"executions": executions})
        return SUCCEEDED
    rows = [
        [
            item["name"],
            item["status"],
            moment(item.get("startDate")),
            between(item.get("startDate"), item.get("stopDate")),
        ]
        for item in executions
    ]
    print_table(("NAME", "STATUS", "STARTED", "DURATION"), rows, empty="no executions")
    return SUCCEEDED


def describe_one(arguments: argparse.Namespace) -> int:
    remote = Remote.of(arguments)
    described = remote.call(
        "describe_execution", executionArn=remote.execution(arguments.execution)
    )
    if arguments.output == "json":
        print_json(described)
        return SUCCEEDED
    redrives = described.get("redriveCount") or None
    print_fields(
        [
            ("Name", described.get("name")),
            ("ARN", described.get("executionArn")),
            ("State machine", described.get("stateMachineArn")),
            ("Status", described.get("status")),
            ("Started", moment(described.get("startDate"))),
            ("Stopped", moment(described.get("stopDate"))),
            ("Duration", between(described.get("startDate"), described.get("stopDate"))),
            ("Redriven", f"{redrives} time(s)" if redrives else None),
            ("Error", described.get("error")),
            ("Cause", cut(described["cause"]) if described.get("cause") else None),
            ("Input", cut(described["input"]) if "input" in described else None),
            ("Output", cut(described["output"]) if "output" in described else None),
        ]
    )
    return SUCCEEDED


def show_history(arguments: argparse.Namespace) -> int:
    remote = Remote.of(arguments)
    events = remote.pages(
        "get_execution_history",
        "events",
        executionArn=remote.execution(arguments.execution),
        reverseOrder=arguments.reverse,
    )
    if arguments.output == "json":
        print_json({"events": events})
        return SUCCEEDED
    first = min((event["timestamp"] for event in events), default=None)
    rows = [
        [str(event["id"]), f"+{_since(first, event['timestamp'])}", event["type"], _detail(event)]
        for event in events
    ]
    print_table(("ID", "TIME", "TYPE", "DETAIL"), rows, empty="no events")
    return SUCCEEDED


def _since(first: datetime | None, moment_: datetime) -> str:
    return duration(0.0 if first is None else max(0.0, (moment_ - first).total_seconds()))


def _detail(event: dict[str, Any]) -> str:
    """The part of an event's details a reader looks for first."""
    for key, details in event.items():
        if not key.endswith("EventDetails") or not isinstance(details, dict):
            continue
        if "name" in details:
            return str(details["name"])
        if "error" in details:
            cause = details.get("cause")
            return f"{details['error']}: {cause}" if cause else str(details["error"])
        for field in ("resource", "output", "input"):
            if field in details:
                return str(details[field])
    return ""


def stop_one(arguments: argparse.Namespace) -> int:
    remote = Remote.of(arguments)
    parameters: dict[str, Any] = {"executionArn": remote.execution(arguments.execution)}
    if arguments.error is not None:
        parameters["error"] = arguments.error
    if arguments.cause is not None:
        parameters["cause"] = arguments.cause
    answer = remote.call("stop_execution", **parameters)
    if arguments.output == "json":
        print_json(answer)
    else:
        print(f"stopped at {moment(answer.get('stopDate'))}")
    return SUCCEEDED
