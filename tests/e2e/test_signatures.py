"""With access keys configured, the server checks SigV4 signatures as AWS does; the SDK's
own signing passes, a wrong secret, an unknown key or no signature is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.e2e.server import Server, running_server

KEY, SECRET = "AKIDSTEPLINETEST", "a-secret-of-the-tests"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory: Path = tmp_path_factory.mktemp("guarded")
    with running_server(directory, "--access-key", f"{KEY}:{SECRET}") as running:
        yield running


def client(server: Server, key: str, secret: str) -> Any:
    import boto3  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415

    return boto3.client(
        "stepfunctions",
        endpoint_url=server.url,
        region_name="eu-west-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(inject_host_prefix=False, retries={"max_attempts": 1}),
    )


def test_requests_signed_with_the_configured_key_are_served(guarded: Server) -> None:
    sfn = client(guarded, KEY, SECRET)
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    created = sfn.create_state_machine(
        name="signed", definition=json.dumps(definition), roleArn="arn:aws:iam::1:role/r"
    )
    assert created["stateMachineArn"].endswith(":stateMachine:signed")
    assert sfn.list_state_machines()["stateMachines"]


def test_a_wrong_secret_is_refused_as_aws_refuses_it(guarded: Server) -> None:
    with pytest.raises(ClientError) as refused:
        client(guarded, KEY, "not-the-secret").list_state_machines()
    assert refused.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_an_unknown_key_is_refused(guarded: Server) -> None:
    with pytest.raises(ClientError) as refused:
        client(guarded, "AKIDUNKNOWN", SECRET).list_state_machines()
    assert refused.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_an_unsigned_request_is_refused(guarded: Server) -> None:
    answer = httpx.post(
        guarded.url,
        headers={
            "X-Amz-Target": "AWSStepFunctions.ListStateMachines",
            "Content-Type": "application/x-amz-json-1.0",
        },
        content=b"{}",
    )
    assert answer.status_code == 403
    assert answer.json()["__type"] == "MissingAuthenticationTokenException"


def test_a_body_changed_after_signing_is_refused(guarded: Server) -> None:
    from botocore.auth import SigV4Auth  # noqa: PLC0415
    from botocore.awsrequest import AWSRequest  # noqa: PLC0415
    from botocore.credentials import Credentials  # noqa: PLC0415

    request = AWSRequest(
        method="POST",
        url=guarded.url + "/",
        data=b'{"maxResults": 1}',
        headers={
            "X-Amz-Target": "AWSStepFunctions.ListStateMachines",
            "Content-Type": "application/x-amz-json-1.0",
        },
    )
    SigV4Auth(Credentials(KEY, SECRET), "states", "us-east-1").add_auth(request)
    headers = dict(request.headers.items())
    good = httpx.post(guarded.url + "/", headers=headers, content=b'{"maxResults": 1}')
    assert good.status_code == 200, good.text
    tampered = httpx.post(guarded.url + "/", headers=headers, content=b'{"maxResults": 2}')
    assert tampered.status_code == 400
    assert tampered.json()["__type"] == "InvalidSignatureException"
