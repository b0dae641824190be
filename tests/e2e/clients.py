"""Three clients people use against Stepline's server, each driven unchanged: boto3, the AWS
CLI (``aws stepfunctions ... --endpoint-url``) and the AWS SDK for JavaScript v3
(``@aws-sdk/client-sfn``, through ``js/driver.mjs``).

Each answers ``call(operation, params)`` with the operation's result as JSON (dates as the
client renders them), or raises ``Refused`` with AWS's error code and message as that client
reports them. None of them may use a host prefix: ``sync-127.0.0.1`` does not resolve
(boto3's ``inject_host_prefix=False``, the CLI's ``AWS_DISABLE_HOST_PREFIX_INJECTION=true``,
the JavaScript SDK's ``disableHostPrefix: true``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from botocore import xform_name
from botocore.exceptions import ClientError

from tests.e2e.server import REGION, Server

JS_DIRECTORY = Path(__file__).with_name("js")
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "stepline", "AWS_SECRET_ACCESS_KEY": "stepline"}


@dataclass
class Refused(Exception):
    """The server refused the call: AWS's error code and message."""

    code: str
    message: str


class Client(Protocol):
    name: str

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]: ...

    def close(self) -> None: ...


class Boto3Client:
    name = "boto3"

    def __init__(self, server: Server) -> None:
        self.client = server.client(read_timeout=90)

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            answer = getattr(self.client, xform_name(operation))(**params)
        except ClientError as error:
            refusal = error.response["Error"]
            raise Refused(refusal["Code"], refusal["Message"]) from None
        answer.pop("ResponseMetadata", None)
        converted: dict[str, Any] = _as_json(answer)
        return converted

    def close(self) -> None:
        self.client.close()


class AwsCli:
    """``aws stepfunctions <operation> --cli-input-json`` in a process of its own per call."""

    name = "awscli"
    _REFUSAL = re.compile(r"An error occurred \((?P<code>[^)]+)\) when calling the \w+ operation: ")

    def __init__(self, server: Server) -> None:
        executable = shutil.which("aws")
        if executable is None:
            raise RuntimeError("the AWS CLI is not installed (pip install awscli)")
        self.command = [executable, "stepfunctions", "--endpoint-url", server.url]
        self.environment = {
            **os.environ,
            **CREDENTIALS,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        }

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        done = subprocess.run(
            [
                *self.command,
                xform_name(operation, "-"),
                "--cli-input-json",
                json.dumps(params),
                "--output",
                "json",
                "--no-paginate",  # one page per call, as the other clients' calls give
                "--cli-read-timeout",
                "90",
            ],
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode == 0:
            return json.loads(done.stdout) if done.stdout.strip() else {}
        refusal = self._REFUSAL.search(done.stderr)
        if refusal is None:
            raise AssertionError(f"aws exited {done.returncode}: {done.stderr}")
        raise Refused(refusal.group("code"), done.stderr[refusal.end() :].strip())

    def close(self) -> None:
        pass


class JavaScriptSdk:
    """One ``node js/driver.mjs`` process for the whole test, a request per line."""

    name = "javascript"

    def __init__(self, server: Server) -> None:
        if not (JS_DIRECTORY / "node_modules" / "@aws-sdk" / "client-sfn").is_dir():
            raise RuntimeError(f"run: npm ci --prefix {JS_DIRECTORY}")
        self.process = subprocess.Popen(
            ["node", str(JS_DIRECTORY / "driver.mjs"), server.url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=JS_DIRECTORY,
        )

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps({"operation": operation, "params": params}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise AssertionError(f"the JavaScript driver stopped ({self.process.poll()})")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise Refused(answer["error"]["code"], answer["error"]["message"])
        result: dict[str, Any] = answer["result"]
        return result

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


CLIENTS = {client.name: client for client in (Boto3Client, AwsCli, JavaScriptSdk)}


def _as_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_json(item) for item in value]
    return value
