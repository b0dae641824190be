"""``stepline conformance``: run the AWS-recorded cases against Stepline and compare exactly."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from stepline.cli.errors import UsageError
from stepline.cli.sources import reason_of
from stepline.conformance.cases import KINDS, is_target, load_cases, select_cases
from stepline.conformance.known_failures import write_known_failures
from stepline.conformance.report import failure_lines, summary_lines, write_report
from stepline.conformance.runner import MODES, run_cases


def register(subparsers: Any) -> None:
    """Add the sub-command to ``stepline``'s parser."""
    parser = subparsers.add_parser(
        "conformance",
        help="run recorded AWS cases against Stepline",
        description="Run AWS-recorded conformance cases (JSON Lines) and compare exactly.",
    )
    parser.add_argument("cases", type=Path, metavar="CASES.jsonl")
    parser.add_argument("--report", type=Path, metavar="FILE", help="write a JSON report")
    parser.add_argument(
        "--kind", action="append", choices=KINDS, default=[], help="only this kind (repeatable)"
    )
    parser.add_argument("--filter", metavar="SUBSTRING", help="only cases whose id contains it")
    parser.add_argument(
        "--target", action="store_true", help="only the CI target set (self-contained, validated)"
    )
    parser.add_argument(
        "--update-known-failures",
        type=Path,
        metavar="FILE",
        help="write the ids of failed cases to FILE (the CI ratchet's list)",
    )
    parser.add_argument(
        "--mode",
        choices=MODES,
        default="memory",
        help="run executions in memory (default), rebuilt from a checkpoint at every step, "
        "or on the durable engine (SQLite in a temporary directory; set "
        "STEPLINE_CONFORMANCE_DATABASE to a postgresql:// URL to run in a database of its "
        "own on that server, dropped at the end)",
    )
    parser.add_argument(
        "--endpoint",
        metavar="URL",
        help="run executions through the Stepline server at URL with boto3 (start it with "
        "--functions stepline.conformance.served_functions); other kinds run in-process",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="print each failure")
    parser.set_defaults(handler=run)


def run(arguments: argparse.Namespace) -> int:
    """Run the selected cases; exit status 1 when any failed."""
    try:
        loaded = load_cases(arguments.cases)
    except OSError as error:
        raise UsageError(
            f"cannot read the cases {str(arguments.cases)!r}: {reason_of(error)}"
        ) from None
    except ValueError as error:  # not UTF-8, or a line that is not JSON
        raise UsageError(f"{str(arguments.cases)!r} does not hold JSON Lines: {error}") from None
    cases = select_cases(loaded, kinds=arguments.kind, substring=arguments.filter)
    if arguments.target:
        cases = [case for case in cases if is_target(case)]
    endpoint = None
    if arguments.endpoint:
        from stepline.conformance.remote_cases import Endpoint  # noqa: PLC0415

        endpoint = Endpoint(arguments.endpoint)
    results = run_cases(cases, arguments.mode, endpoint)
    if arguments.verbose:
        for line in failure_lines(results):
            print(line)
    if arguments.report:
        write_report(results, arguments.report)
    if arguments.update_known_failures:
        write_known_failures(arguments.update_known_failures, results)
    for line in summary_lines(results):
        print(line)
    sys.stdout.flush()
    return 1 if any(result.outcome == "failed" for result in results) else 0
