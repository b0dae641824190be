"""Task ``Resource`` values: service integrations AWS recognises, and what EXPRESS forbids.

An ``arn:<partition>:states:::<service>:<action>[.<pattern>]`` resource names an optimised
integration; AWS rejects actions it does not offer (``dynamodb:query`` is an SDK integration
only). ``aws-sdk:*`` and ``http:invoke`` take any action; other ARNs (Lambda functions,
activities) are checked only for the EXPRESS restrictions.
"""

from __future__ import annotations

import re

from stepline.asl.validation.report import Report

_OPTIMISED: dict[str, frozenset[str]] = {
    "lambda": frozenset({"invoke"}),
    "sns": frozenset({"publish"}),
    "sqs": frozenset({"sendMessage"}),
    "dynamodb": frozenset({"getItem", "putItem", "updateItem", "deleteItem"}),
    "ecs": frozenset({"runTask"}),
    "batch": frozenset({"submitJob"}),
    "glue": frozenset({"startJobRun"}),
    "glue-databrew": frozenset({"startJobRun"}),
    "states": frozenset({"startExecution"}),
    "events": frozenset({"putEvents"}),
    "apigateway": frozenset({"invoke"}),
    "http": frozenset({"invoke"}),
    "athena": frozenset(
        {"startQueryExecution", "stopQueryExecution", "getQueryExecution", "getQueryResults"}
    ),
    "bedrock": frozenset({"invokeModel", "createModelCustomizationJob"}),
    "codebuild": frozenset(
        {"startBuild", "stopBuild", "batchDeleteBuilds", "batchGetReports", "startBuildBatch"}
    ),
    "eks": frozenset(
        {
            "call", "runJob", "createCluster", "deleteCluster", "createFargateProfile",
            "deleteFargateProfile", "createNodegroup", "deleteNodegroup",
        }
    ),
    "elasticmapreduce": frozenset(
        {
            "createCluster", "terminateCluster", "addStep", "cancelStep",
            "setClusterTerminationProtection", "modifyInstanceFleetByName",
            "modifyInstanceGroupByName",
        }
    ),
    "emr-containers": frozenset({"createVirtualCluster", "deleteVirtualCluster", "startJobRun"}),
    "emr-serverless": frozenset(
        {
            "createApplication", "startApplication", "stopApplication", "deleteApplication",
            "startJobRun", "cancelJobRun",
        }
    ),
    "mediaconvert": frozenset({"createJob"}),
    "sagemaker": frozenset(
        {
            "createEndpoint", "createEndpointConfig", "createHyperParameterTuningJob",
            "createLabelingJob", "createModel", "createProcessingJob", "createTrainingJob",
            "createTransformJob", "updateEndpoint",
        }
    ),
    "s3": frozenset({"getObject", "listObjectsV2", "putObject"}),
}  # fmt: skip
_SERVICE_ARN = re.compile(r"arn:[^:]+:states:::(?P<service>[^:]+):(?P<action>[^.:]+)(?P<rest>.*)")
_ACTIVITY_ARN = re.compile(r"arn:[^:]+:states:[^:]*:[^:]*:activity:.+")


def check_resource(report: Report, location: str, value: object) -> None:
    if not isinstance(value, str):
        report.wrong_type(location, "Resource", "a string", value)
        return
    match = _SERVICE_ARN.fullmatch(value)
    if match is not None:
        service, action = match.group("service"), match.group("action")
        if service != "aws-sdk" and action not in _OPTIMISED.get(service, frozenset({action})):
            report.add(
                location,
                f"The resource provided {value} is not recognized. The value is not a valid "
                "resource ARN, or the resource is not available in this region.",
            )
    if report.machine_type == "EXPRESS":
        _check_express(report, location, value)


def _check_express(report: Report, location: str, value: str) -> None:
    """EXPRESS machines cannot wait: no ``.sync``, no task tokens, no activities."""
    # AWS's own message for task tokens ends in a space before " at"; kept as recorded.
    if ".sync" in value:
        report.add(location, "Express state machine does not support '.sync' service integration")
    elif value.endswith(".waitForTaskToken"):
        report.add(
            location,
            "Express state machine does not support '.waitForTaskToken' service integration ",
        )
    elif _ACTIVITY_ARN.fullmatch(value):
        report.add(location, "Express state machine does not support Activity ARN")
