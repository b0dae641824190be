"""A Stepline server (or any Step Functions endpoint) over AWS's API, with botocore's client.

Every request's failure becomes a ``CommandError``: an AWS error is printed with its code and
message, an endpoint that does not answer is named with a hint to start ``stepline serve``.
State machines are named by name or ARN, executions by ARN or ``MACHINE:EXECUTION_NAME``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from stepline.cli.errors import ServerRefused, ServerUnreachable, UsageError

DEFAULT_ENDPOINT = "http://127.0.0.1:8083"
DEFAULT_REGION = "us-east-1"
DUMMY_KEY = "stepline"
"""Credentials when none are in the environment: the server takes any signature unless it was
started with ``--access-key``."""
SYNC_SECONDS = 330
"""How long a synchronous Express execution may keep a request open (it ends within 300 s)."""


def add_remote_options(parser: Any) -> None:
    """``--endpoint``, ``--region`` and ``--output``, which every remote command takes."""
    parser.add_argument(
        "--endpoint",
        metavar="URL",
        default=os.environ.get("STEPLINE_ENDPOINT", DEFAULT_ENDPOINT),
        help=f"the server's URL (default: $STEPLINE_ENDPOINT, else {DEFAULT_ENDPOINT})",
    )
    parser.add_argument(
        "--region",
        default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
        help=f"the region requests are signed for (default: $AWS_REGION, else {DEFAULT_REGION})",
    )
    parser.add_argument(
        "--output",
        choices=("table", "json"),
        default="table",
        help="readable text (default) or the API's answer as JSON",
    )


def add_remote_command(
    actions: Any, name: str, summary: str, handler: Callable[[argparse.Namespace], int]
) -> Any:
    """A sub-command that talks to a server: its parser, with the remote options."""
    parser = actions.add_parser(
        name, help=summary, description=summary[0].upper() + summary[1:] + "."
    )
    add_remote_options(parser)
    parser.set_defaults(handler=handler, prog=parser.prog)
    return parser


@dataclass(frozen=True)
class Machine:
    """A state machine as a command needs it: its ARN and, when known, its type."""

    arn: str
    type: str | None = None


class Remote:
    """The Step Functions API at one endpoint; ``call`` names actions in botocore's spelling
    (``start_execution``) and returns the answer without botocore's ``ResponseMetadata``."""

    def __init__(self, endpoint: str, region: str | None, read_timeout: int = 60) -> None:
        self.endpoint = endpoint
        self.client = _client(endpoint, region or DEFAULT_REGION, read_timeout)

    @classmethod
    def of(cls, arguments: argparse.Namespace, read_timeout: int = 60) -> Remote:
        return cls(arguments.endpoint, arguments.region, read_timeout)

    def call(self, action: str, **parameters: Any) -> dict[str, Any]:
        from botocore.exceptions import (  # noqa: PLC0415 - botocore loads slowly
            BotoCoreError,
            ClientError,
            ConnectionClosedError,
            EndpointConnectionError,
            ParamValidationError,
            ReadTimeoutError,
        )

        try:
            answer: dict[str, Any] = getattr(self.client, action)(**parameters)
        except ClientError as error:
            raise _refusal(self.endpoint, error.response) from None
        except (EndpointConnectionError, ConnectionClosedError) as error:
            raise ServerUnreachable(
                f"no Stepline server answers at {self.endpoint} ({_why(error)}): start one with "
                "`stepline serve`, or name another with --endpoint or STEPLINE_ENDPOINT"
            ) from None
        except ReadTimeoutError:
            raise ServerUnreachable(
                f"the server at {self.endpoint} did not answer in time"
            ) from None
        except ParamValidationError as error:
            told = " ".join(str(error).split()).removeprefix("Parameter validation failed: ")
            raise UsageError(told) from None
        except _settings_errors() as error:
            raise UsageError(f"the AWS settings are wrong: {error}") from None
        except BotoCoreError as error:
            raise ServerUnreachable(f"cannot talk to {self.endpoint}: {error}") from None
        answer.pop("ResponseMetadata", None)
        return answer

    def pages(
        self, action: str, key: str, limit: int | None = None, **parameters: Any
    ) -> list[Any]:
        """The items under ``key`` of every page of a listing (at most ``limit``)."""
        return list(self._items(action, key, limit, parameters))

    def _items(
        self, action: str, key: str, limit: int | None, parameters: dict[str, Any]
    ) -> Iterator[Any]:
        count = 0
        token: str | None = None
        while True:
            page = self.call(action, **parameters, **({"nextToken": token} if token else {}))
            for item in page.get(key, []):
                if limit is not None and count >= limit:
                    return
                count += 1
                yield item
            token = page.get("nextToken")
            if not token:
                return

    # Names --------------------------------------------------------------------------------

    def machine(self, reference: str) -> Machine:
        """The state machine a name or an ARN (of a machine, version or alias) designates."""
        if reference.startswith("arn:"):
            return Machine(reference)
        for listed in self._items("list_state_machines", "stateMachines", None, {}):
            if listed["name"] == reference:
                return Machine(listed["stateMachineArn"], listed.get("type"))
        raise ServerRefused(
            "StateMachineDoesNotExist",
            f"no state machine is named {reference!r} at {self.endpoint}",
        )

    def machine_type(self, machine: Machine) -> str:
        if machine.type is not None:
            return machine.type
        described = self.call("describe_state_machine", stateMachineArn=machine.arn)
        return str(described.get("type", "STANDARD"))

    def execution(self, reference: str) -> str:
        """The ARN of the execution an ARN or ``MACHINE:EXECUTION_NAME`` designates."""
        fields = reference.split(":")
        if reference.startswith("arn:") and len(fields) >= 8 and fields[5] != "stateMachine":
            return reference
        if reference.startswith("arn:") and len(fields) == 8:  # a machine's ARN and a name
            machine_arn, name = ":".join(fields[:7]), fields[7]
            return execution_arn(Machine(machine_arn), name)
        if reference.startswith("arn:") or len(fields) != 2 or not all(fields):
            raise UsageError(
                f"{reference!r} is not an execution: give its ARN or MACHINE:EXECUTION_NAME"
            )
        machine = self.machine(fields[0])
        if machine.type == "EXPRESS":
            return self._express_execution(machine, fields[1])
        return execution_arn(machine, fields[1])

    def _express_execution(self, machine: Machine, name: str) -> str:
        # An Express execution's ARN ends in an id of its own: find it among those listed.
        for listed in self._items(
            "list_executions", "executions", None, {"stateMachineArn": machine.arn}
        ):
            if listed["name"] == name:
                return str(listed["executionArn"])
        raise ServerRefused(
            "ExecutionDoesNotExist", f"no execution of {machine.arn} is named {name!r}"
        )


def _refusal(endpoint: str, response: dict[str, Any]) -> ServerRefused:
    """The server's AWS error; an answer in no AWS shape (a web page...) named as such."""
    found = response.get("Error", {})
    code = str(found.get("Code") or "")
    if code and not code.isdigit():
        return ServerRefused(code, str(found.get("Message", "")))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", code or "?")
    return ServerRefused(
        f"HTTP {status}",
        f"{endpoint} answered, but not as a Step Functions API does: is it a Stepline server?",
    )


def execution_arn(machine: Machine, name: str) -> str:
    """A Standard execution's ARN: the machine's, with ``execution`` and the name."""
    fields = machine.arn.split(":")
    return ":".join([*fields[:5], "execution", fields[6], name])


def _client(endpoint: str, region: str, read_timeout: int) -> Any:
    import botocore.session  # noqa: PLC0415 - botocore loads slowly: only remote commands
    from botocore.config import Config  # noqa: PLC0415

    # Credentials come from the environment or are a dummy pair, never from botocore's chain:
    # it would probe the instance metadata service and files a local server does not need.
    key = os.environ.get("AWS_ACCESS_KEY_ID") or DUMMY_KEY
    secret = os.environ.get("AWS_SECRET_ACCESS_KEY") or DUMMY_KEY
    token = os.environ.get("AWS_SESSION_TOKEN") if "AWS_ACCESS_KEY_ID" in os.environ else None
    config = Config(
        inject_host_prefix=False,  # ``sync-`` in front of 127.0.0.1 would not resolve
        retries={"total_max_attempts": 1},
        connect_timeout=5,
        read_timeout=read_timeout,
        user_agent_extra="stepline-cli",
    )
    try:
        return botocore.session.get_session().create_client(
            "stepfunctions",
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            aws_session_token=token,
            config=config,
        )
    except ValueError as error:
        raise UsageError(f"--endpoint {endpoint!r} is not a URL: {error}") from None
    except _settings_errors() as error:
        raise UsageError(f"the AWS settings are wrong: {error}") from None


def _settings_errors() -> tuple[type[Exception], ...]:
    """botocore's errors about the user's AWS configuration (files, profile, variables)."""
    from botocore import exceptions  # noqa: PLC0415

    return (
        exceptions.ProfileNotFound,
        exceptions.ConfigParseError,
        exceptions.ConfigNotFound,
        exceptions.InvalidConfigError,
    )


def _why(error: Exception) -> str:
    """Why a connection failed, in a few words (botocore keeps the cause in ``kwargs``)."""
    cause = str(getattr(error, "kwargs", {}).get("error", error)).lower()
    reasons = {
        "refused": "connection refused",
        "resolve": "unknown host",
        "name or service not known": "unknown host",
        "timed out": "timed out",
        "timeout": "timed out",
        "closed": "connection closed",
        "reset": "connection reset",
    }
    return next((reason for key, reason in reasons.items() if key in cause), "cannot connect")
