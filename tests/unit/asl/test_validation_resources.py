"""Validation of Task resources: the optimised integrations AWS offers, and what EXPRESS forbids."""

from __future__ import annotations

import pytest

from stepline.asl.definitions import validate_definition

SCHEMA = "SCHEMA_VALIDATION_FAILED"


def _found(resource: str, machine_type: str = "STANDARD") -> list[tuple[str, str, str]]:
    document = {
        "StartAt": "S",
        "States": {"S": {"Type": "Task", "Resource": resource, "End": True}},
    }
    found = validate_definition(document, state_machine_type=machine_type)
    return [(diagnostic.code, diagnostic.location, diagnostic.message) for diagnostic in found]


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:states:::lambda:invoke",
        "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "arn:aws:states:::dynamodb:putItem",
        "arn:aws:states:::states:startExecution.sync:2",
        "arn:aws:states:::aws-sdk:dynamodb:query",
        "arn:aws-us-gov:states:::sqs:sendMessage",
        "arn:aws:states:us-east-1:123456789012:aws-sdk:s3:getObject",
        "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST",
        # AWS checks neither region nor account of a function ARN (a TestState recorded it).
        "arn:aws:lambda:your-region:your-account-id:function:yourHelloWorldFunction",
        "arn:aws:lambda:us-east-1:123456789012:function:f",
        "arn:aws:states:us-east-1:123456789012:activity:a",
    ],
)
def test_standard_machines_accept_known_integrations_and_other_arns(resource: str) -> None:
    assert _found(resource) == []


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:states:::dynamodb:query",
        "arn:aws:states:::s3:deleteObject.sync",
        "arn:aws:states:::lamda:invoke",
        "arn:aws:states:::some-new-service:anyAction",
    ],
)
def test_actions_an_optimised_integration_lacks_are_not_recognised(resource: str) -> None:
    assert _found(resource) == [
        (
            SCHEMA,
            "/States/S/Resource",
            f"The resource provided {resource} is not recognized. The value is not a valid "
            "resource ARN, or the resource is not available in this region.",
        )
    ]


@pytest.mark.parametrize(
    ("resource", "message"),
    [
        (
            "arn:aws:states:::states:startExecution.sync:2",
            "Express state machine does not support '.sync' service integration",
        ),
        (
            "arn:aws:states:::lambda:invoke.waitForTaskToken",
            # AWS's own wording ends in a space.
            "Express state machine does not support '.waitForTaskToken' service integration ",
        ),
        (
            "arn:aws:states:us-east-1:123456789012:activity:a",
            "Express state machine does not support Activity ARN",
        ),
    ],
)
def test_express_machines_cannot_wait(resource: str, message: str) -> None:
    assert _found(resource, "EXPRESS") == [(SCHEMA, "/States/S/Resource", message)]


@pytest.mark.parametrize(
    "resource",
    ["arn:aws:states:::lambda:invoke", "arn:aws:lambda:us-east-1:123456789012:function:f"],
)
def test_express_machines_accept_request_response_integrations(resource: str) -> None:
    assert _found(resource, "EXPRESS") == []


def test_express_checks_apply_on_top_of_recognition() -> None:
    resource = "arn:aws:states:::dynamodb:query.sync"
    assert _found(resource, "EXPRESS") == [
        (
            SCHEMA,
            "/States/S/Resource",
            f"The resource provided {resource} is not recognized. The value is not a valid "
            "resource ARN, or the resource is not available in this region.",
        ),
        (
            SCHEMA,
            "/States/S/Resource",
            "Express state machine does not support '.sync' service integration",
        ),
    ]


@pytest.mark.parametrize(
    "resource",
    [
        "foo:bar",
        "InvalidArn",
        "arn:aws:sns:us-east-1:123456789012:topic",
        "arn:aws::lambda:us-east-1:123456789012:function:f",
        "arn:aws:states:::lambda",
    ],
)
def test_values_that_are_not_resource_arns_are_refused(resource: str) -> None:
    assert _found(resource) == [(SCHEMA, "/States/S/Resource", "Value is not a valid resource ARN")]
