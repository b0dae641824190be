"""Task ``Resource`` values: service integrations AWS recognises, and what EXPRESS forbids.

AWS accepts three forms and rejects anything else ("Value is not a valid resource ARN"):

* ``arn:<partition>:states:[<region>]:[<account>]:<service>:<action>[.<pattern>]`` names an
  integration. An unknown service (``lamda:invoke``) or an action the optimised integration
  does not offer (``dynamodb:query`` is an SDK integration only) is "not recognized";
  ``aws-sdk:<service>:<action>`` takes any action.
* ``arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]``, a Lambda function.
* ``arn:<partition>:states:<region>:<account>:activity:<name>``, an activity.

Every form is also checked for what EXPRESS machines forbid.
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
_SERVICE_ARN = re.compile(
    r"arn:[a-z-]+:states:[a-z0-9-]*:\d*:(?P<service>[a-z0-9-]+):(?P<action>[A-Za-z0-9]+)"
    r"(?P<rest>[.:].*)?"
)
_SDK_ARN = re.compile(r"arn:[a-z-]+:states:[a-z0-9-]*:\d*:aws-sdk:[a-z0-9-]+:[A-Za-z0-9]+(\..+)?")
_FUNCTION_ARN = re.compile(r"arn:[a-z-]+:lambda:[^:]*:[^:]*:function:[^:]+(:[^:]+)?")
_ACTIVITY_ARN = re.compile(r"arn:[^:]+:states:[^:]*:[^:]*:activity:.+")


def check_resource(report: Report, location: str, value: object) -> None:
    if not isinstance(value, str):
        report.wrong_type(location, "Resource", "a string", value)
        return
    problem = _resource_problem(value)
    if problem is not None:
        report.add(location, problem)
    if report.machine_type == "EXPRESS":
        _check_express(report, location, value)


def _resource_problem(value: str) -> str | None:
    if any(form.fullmatch(value) for form in (_FUNCTION_ARN, _ACTIVITY_ARN, _SDK_ARN)):
        return None
    match = _SERVICE_ARN.fullmatch(value)
    if match is None:
        return "Value is not a valid resource ARN"
    if match.group("action") in _OPTIMISED.get(match.group("service"), frozenset()):
        return None
    return (
        f"The resource provided {value} is not recognized. The value is not a valid "
        "resource ARN, or the resource is not available in this region."
    )


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
