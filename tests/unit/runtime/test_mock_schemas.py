"""Mocked Task results against botocore's real service models: which API a Resource calls, and
what STRICT and PRESENT find wrong with a result."""

from __future__ import annotations

from typing import Any

import pytest

from stepline.runtime.mock_schemas import mock_result_problem, output_target, sdk_service_names

KMS_ENCRYPT = "arn:aws:states:::aws-sdk:kms:encrypt"
GET_OBJECT = "arn:aws:states:::aws-sdk:s3:getObject"
GET_FUNCTION = "arn:aws:states:::aws-sdk:lambda:getFunction"
START_EXECUTION = "arn:aws:states:::states:startExecution"
PUT_EVENTS = "arn:aws:states:::events:putEvents"
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
GET_ITEM = "arn:aws:states:::dynamodb:getItem"
REQUIRED: dict[str, dict[str, Any]] = {
    START_EXECUTION: {"ExecutionArn": "arn", "StartDate": "date"},
    f"{START_EXECUTION}.sync": {
        "ExecutionArn": "arn",
        "StateMachineArn": "arn",
        "Status": "SUCCEEDED",
        "StartDate": "date",
    },
}
"""What STRICT wants present for each resource that requires anything."""


@pytest.mark.parametrize(
    ("sdk_name", "botocore_name"),
    [
        ("sfn", "stepfunctions"),
        ("cloudwatchlogs", "logs"),
        ("eventbridge", "events"),
        ("cognitoidentityprovider", "cognito-idp"),
        ("databasemigration", "dms"),
        ("kms", "kms"),
        ("s3", "s3"),
    ],
)
def test_sdk_service_names_follow_the_models_service_ids(sdk_name: str, botocore_name: str) -> None:
    assert sdk_service_names()[sdk_name] == botocore_name


@pytest.mark.parametrize(
    ("resource", "shape", "json_fields"),
    [
        (KMS_ENCRYPT, "EncryptResponse", set()),
        ("arn:aws:states:::aws-sdk:sfn:describeExecution", "DescribeExecutionOutput", set()),
        (
            "arn:aws:states:us-east-1:111111111111:aws-sdk:s3:listObjectsV2",
            "ListObjectsV2Output",
            set(),
        ),
        (START_EXECUTION, "StartExecutionOutput", set()),
        (f"{START_EXECUTION}.sync", "DescribeExecutionOutput", set()),
        (f"{START_EXECUTION}.sync:2", "DescribeExecutionOutput", {"Output"}),
        (LAMBDA_INVOKE, "InvocationResponse", {"Payload"}),
        (PUT_EVENTS, "PutEventsResponse", set()),
    ],
)
def test_a_resource_resolves_to_the_output_shape_of_its_api(
    resource: str, shape: str, json_fields: set[str]
) -> None:
    target = output_target(resource)
    assert target is not None
    assert (target.shape.name, set(target.json_fields)) == (shape, json_fields)


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:states:::apigateway:invoke",
        "arn:aws:states:::http:invoke",
        "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "arn:aws:states:::aws-sdk:sfn:startExecution.waitForTaskToken",
        "arn:aws:states:::aws-sdk:nosuchservice:doThing",
        "arn:aws:states:::aws-sdk:kms:noSuchAction",
        "arn:aws:lambda:us-east-1:111111111111:function:f",
        "arn:aws:states:us-east-1:111111111111:activity:a",
    ],
)
def test_a_resource_without_a_modelled_answer_has_no_shape(resource: str) -> None:
    assert output_target(resource) is None
    assert mock_result_problem(resource, {"Anything": 1}, "STRICT") is None


SHORT = "is smaller than the minimum length"
LONG = "is larger than the maximum length"
LESS, MORE = "is less than the minimum value", "exceeds the maximum value"
STRING, NUMBER, BOOLEAN = "must be a string", "must be a number", "must be a boolean"
ARRAY, OBJECT = "must be an array", "must be an object"


@pytest.mark.parametrize(
    ("resource", "result", "field", "complaint"),
    [
        (KMS_ENCRYPT, {"CiphertextBlob": ""}, "CiphertextBlob", SHORT),
        (KMS_ENCRYPT, {"CiphertextBlob": 123}, "CiphertextBlob", STRING),
        (LAMBDA_INVOKE, {"StatusCode": "200"}, "StatusCode", NUMBER),
        (LAMBDA_INVOKE, {"StatusCode": True}, "StatusCode", NUMBER),
        (START_EXECUTION, {"ExecutionArn": 1}, "ExecutionArn", STRING),
        (START_EXECUTION, {"StartDate": 1764103483}, "StartDate", STRING),
        (START_EXECUTION, {"ExecutionArn": "a" * 257}, "ExecutionArn", LONG),
        (GET_FUNCTION, {"Configuration": {"MemorySize": 127}}, "MemorySize", LESS),
        (GET_FUNCTION, {"Configuration": {"MemorySize": 10**6}}, "MemorySize", MORE),
        (GET_FUNCTION, {"Configuration": "small"}, "Configuration", OBJECT),
        (GET_OBJECT, {"StorageClass": "Papyrus"}, "StorageClass", "is not an expected value"),
        (GET_OBJECT, {"ContentLength": "9000"}, "ContentLength", NUMBER),
        (GET_OBJECT, {"DeleteMarker": "no"}, "DeleteMarker", BOOLEAN),
        (GET_OBJECT, {"Metadata": {"key": 1}}, "Metadata", STRING),
        (PUT_EVENTS, {"Entries": "many"}, "Entries", ARRAY),
        (PUT_EVENTS, {"Entries": [{"EventId": "a"}, {"EventId": ["b"]}]}, "EventId", STRING),
        (GET_ITEM, {"Item": {"k": {"L": [{"N": "1"}, {"BOOL": "x"}]}}}, "BOOL", BOOLEAN),
        ("arn:aws:states:::aws-sdk:lambda:invoke", {"Payload": {"a": 1}}, "Payload", STRING),
        (f"{START_EXECUTION}.sync", {"Output": {"a": 1}}, "Output", STRING),
    ],
)
def test_present_fields_must_fit_the_shape_in_both_modes(
    resource: str, result: dict[str, Any], field: str, complaint: str
) -> None:
    problem = f"Field '{field}' {complaint}"
    assert mock_result_problem(resource, result, "PRESENT") == problem
    required = REQUIRED.get(resource, {})
    assert mock_result_problem(resource, {**required, **result}, "STRICT") == problem


@pytest.mark.parametrize(
    ("resource", "result"),
    [
        (START_EXECUTION, {}),
        (START_EXECUTION, {"executionArn": "camelCase is not the integration's spelling"}),
        (START_EXECUTION, {"ExecutionArn": None, "StartDate": "date"}),
        (f"{START_EXECUTION}.sync", {"ExecutionArn": "arn", "StartDate": "date"}),
    ],
)
def test_strict_wants_the_required_fields_and_present_does_not(
    resource: str, result: dict[str, Any]
) -> None:
    problem = mock_result_problem(resource, result, "STRICT")
    assert problem is not None
    assert problem.startswith("Required field '")
    assert problem.endswith("' is missing")
    assert mock_result_problem(resource, result, "PRESENT") is None


@pytest.mark.parametrize(
    ("resource", "result"),
    [
        (PUT_EVENTS, {}),
        (PUT_EVENTS, {"random": "json"}),
        (LAMBDA_INVOKE, {"Payload": {"any": ["json"]}, "StatusCode": 200}),
        (LAMBDA_INVOKE, {"Payload": "function output", "SdkHttpMetadata": {"HttpStatusCode": 200}}),
        (f"{START_EXECUTION}.sync:2", {**REQUIRED[f"{START_EXECUTION}.sync"], "Output": {"a": 1}}),
        (GET_ITEM, {"Item": {"k": {"M": {"n": {"N": "1"}}}}}),
        (GET_OBJECT, {"StorageClass": "GLACIER", "ContentLength": 9000, "Body": "text"}),
    ],
)
def test_results_that_fit_pass(resource: str, result: dict[str, Any]) -> None:
    assert mock_result_problem(resource, result, "STRICT") is None


def test_none_checks_nothing_and_results_other_than_objects_are_not_judged() -> None:
    assert mock_result_problem(START_EXECUTION, {}, "NONE") is None
    assert mock_result_problem(START_EXECUTION, [1, 2], "STRICT") is None
