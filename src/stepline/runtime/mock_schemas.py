"""A mocked Task result checked against the output shape of the API the Task calls.

TestState's ``mock.fieldValidationMode`` says how much of the shape is checked: ``STRICT``
(AWS's default) wants every required field and checks every field present, ``PRESENT``
checks only the fields present, ``NONE`` checks nothing. The shapes are botocore's service
models, loaded when a Task first needs one.

Which API a Resource calls:

- ``arn:aws:states:::aws-sdk:<service>:<action>`` calls ``<Action>`` of the service the AWS
  SDK for Java names ``<service>``: its ``serviceId`` in lower case without spaces, with or
  without a trailing "service" (``sfn`` is botocore's ``stepfunctions``, ``cloudwatchlogs``
  its ``logs``);
- an optimised integration (``lambda:invoke``, ``events:putEvents``, ``states:startExecution``)
  calls the same action of that service; ``states:startExecution.sync`` (and ``.sync:2``)
  answers with DescribeExecution's output;
- a callback (``.waitForTaskToken``) answers with whatever the callback sent, and a resource
  botocore has no model for (``apigateway:invoke``, ``http:invoke``, activities, functions)
  with the function's own output: neither is checked.

What AWS's answers show (conformance corpus, ``test_field_validation_mode*.py``): fields are
named in PascalCase, as the integrations return them (``ExecutionArn`` for Step Functions'
``executionArn``), and a field the shape does not know is ignored; a message names the field
alone, however deep it sits (``Field 'EventId' must be a string`` for an element of
``Entries``); timestamps and blobs are strings. Lambda's ``Payload`` (and DescribeExecution's
``Output`` for ``.sync:2``) hold the function's JSON, not text, so take any value. Patterns are
not checked: no recording shows AWS checking one. ``null`` counts as absent.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stepline.asl.scope import JSON

if TYPE_CHECKING:
    from botocore.loaders import Loader
    from botocore.model import ServiceModel, Shape

VALIDATION_MODES = ("STRICT", "PRESENT", "NONE")

_RESOURCE = re.compile(
    r"arn:[a-z-]+:states:[^:]*:[^:]*:(?:aws-sdk:(?P<sdk>[a-z0-9-]+)|(?P<service>[a-z0-9-]+))"
    r":(?P<action>[A-Za-z0-9]+)(?P<pattern>[.:].*)?"
)
_OPTIMISED_SERVICES = {"states": "stepfunctions"}
"""Optimised integrations whose ARN names the service otherwise than botocore does."""
_JSON_FIELDS = {("lambda", "Invoke"): frozenset({"Payload"})}
"""Fields an optimised integration fills with JSON where the API's model has text."""
_SYNC_OUTPUTS = {("stepfunctions", "StartExecution"): "DescribeExecution"}
"""The action whose output a ``.sync`` integration answers with."""
_SERVICE_ID = re.compile(r'"serviceId"\s*:\s*"([^"]+)"')
_NUMBERS = frozenset({"integer", "long", "float", "double"})
_TEXTS = frozenset({"string", "blob", "timestamp"})


@dataclass(frozen=True)
class Target:
    """The output shape a Task's mocked result stands for."""

    shape: Shape
    json_fields: frozenset[str] = frozenset()


def mock_result_problem(resource: str, result: JSON, mode: str) -> str | None:
    """What makes ``result`` unlike the answer of the API ``resource`` calls, or None.

    None too when the mode is NONE, when the resource calls no API botocore models, or when
    the result is not an object (AWS's answer to that is not recorded).
    """
    if mode == "NONE" or not isinstance(result, dict):
        return None
    target = output_target(resource)
    if target is None:
        return None
    return _members_problem(target.shape, result, mode == "STRICT", target.json_fields)


@lru_cache(maxsize=256)
def output_target(resource: str) -> Target | None:
    """The output shape of the API a Task ``Resource`` calls, when botocore models it."""
    match = _RESOURCE.fullmatch(resource)
    if match is None:
        return None
    pattern = match.group("pattern")
    if match.group("sdk") is not None:
        if pattern is not None:
            return None
        service = sdk_service_names().get(match.group("sdk"))
    else:
        name = match.group("service")
        service = _OPTIMISED_SERVICES.get(name, name)
    if service is None or service not in _available_services():
        return None
    operation = _operation_name(service, match.group("action"))
    if operation is None:
        return None
    # The SDK integrations answer with the SDK's own values (Lambda's Payload as text).
    json_fields = frozenset() if match.group("sdk") else _JSON_FIELDS.get((service, operation))
    if pattern is not None:
        sync = _SYNC_OUTPUTS.get((service, operation))
        if sync is None or pattern not in (".sync", ".sync:2"):
            return None
        operation, json_fields = sync, frozenset({"Output"} if pattern == ".sync:2" else ())
    shape = _service_model(service).operation_model(operation).output_shape
    return None if shape is None else Target(shape, json_fields or frozenset())


# Checking --------------------------------------------------------------------------------------


def _members_problem(
    shape: Shape, value: dict[str, Any], strict: bool, json_fields: frozenset[str] = frozenset()
) -> str | None:
    """The first problem among a structure's fields, in the model's order."""
    required = set(shape.required_members)
    for member, member_shape in shape.members.items():
        name = member[:1].upper() + member[1:]
        field_value = value.get(name)
        if field_value is None:
            if strict and member in required:
                return f"Required field '{name}' is missing"
            continue
        if name in json_fields:
            continue
        problem = _value_problem(member_shape, name, field_value, strict)
        if problem is not None:
            return problem
    return None


def _value_problem(shape: Shape, name: str, value: Any, strict: bool) -> str | None:
    kind = shape.type_name
    if kind == "structure":
        if shape.metadata.get("document"):
            return None
        if not isinstance(value, dict):
            return f"Field '{name}' must be an object"
        return _members_problem(shape, value, strict)
    if kind == "list":
        if not isinstance(value, list):
            return f"Field '{name}' must be an array"
        return _bounds_problem(shape, name, len(value), _LENGTH) or _first_problem(
            shape.member, name, value, strict
        )
    if kind == "map":
        if not isinstance(value, dict):
            return f"Field '{name}' must be an object"
        return _first_problem(shape.value, name, list(value.values()), strict)
    return _scalar_problem(shape, name, value)


def _first_problem(shape: Shape, name: str, values: list[Any], strict: bool) -> str | None:
    """The first problem among a list's elements (or a map's values), all named ``name``."""
    for item in values:
        problem = None if item is None else _value_problem(shape, name, item, strict)
        if problem is not None:
            return problem
    return None


def _scalar_problem(shape: Shape, name: str, value: Any) -> str | None:
    kind = shape.type_name
    if kind in _TEXTS:
        if not isinstance(value, str):
            return f"Field '{name}' must be a string"
        if kind == "timestamp":
            return None
        enum = getattr(shape, "enum", None) or ()
        if enum and value not in enum:
            return f"Field '{name}' is not an expected value"
        return _bounds_problem(shape, name, len(value), _LENGTH)
    if kind in _NUMBERS:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"Field '{name}' must be a number"
        return _bounds_problem(shape, name, value, _VALUE)
    if kind == "boolean" and not isinstance(value, bool):
        return f"Field '{name}' must be a boolean"
    return None


_LENGTH = ("is smaller than the minimum length", "is larger than the maximum length")
_VALUE = ("is less than the minimum value", "exceeds the maximum value")


def _bounds_problem(
    shape: Shape, name: str, measure: float, complaints: tuple[str, str]
) -> str | None:
    """``measure`` (a length, or a number itself) against the shape's ``min`` and ``max``."""
    minimum, maximum = shape.metadata.get("min"), shape.metadata.get("max")
    if minimum is not None and measure < minimum:
        return f"Field '{name}' {complaints[0]}"
    if maximum is not None and measure > maximum:
        return f"Field '{name}' {complaints[1]}"
    return None


# botocore's models ----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _loader() -> Loader:
    # Imported here: botocore costs ~0.2 s to import, and only TestState with a mock uses it.
    from botocore.loaders import create_loader  # noqa: PLC0415

    return create_loader()


@lru_cache(maxsize=1)
def _available_services() -> frozenset[str]:
    return frozenset(_loader().list_available_services("service-2"))


@lru_cache(maxsize=64)
def _service_model(service: str) -> ServiceModel:
    from botocore.model import ServiceModel  # noqa: PLC0415

    return ServiceModel(_loader().load_service_model(service, "service-2"), service)


@lru_cache(maxsize=256)
def _operation_name(service: str, action: str) -> str | None:
    """The model's operation for a camelCase action (``getFunction`` -> ``GetFunction``)."""
    names = {name.lower(): name for name in _service_model(service).operation_names}
    return names.get(action.lower())


@lru_cache(maxsize=1)
def sdk_service_names() -> dict[str, str]:
    """botocore's name for each service ``aws-sdk:<service>`` names (``sfn``: ``stepfunctions``).

    The SDK integration names a service as the AWS SDK for Java does, after the model's
    ``serviceId``. Reading that from the head of each model file spares loading ~400 models.
    """
    names: dict[str, str] = {}
    for service in sorted(_available_services()):
        spelled = re.sub(r"[\s-]", "", _service_id(service).lower())
        names.setdefault(spelled, service)
        if spelled.endswith("service"):
            names.setdefault(spelled.removesuffix("service"), service)
    return names


def _service_id(service: str) -> str:
    loader = _loader()
    version = loader.determine_latest_version(service, "service-2")
    for root in loader.search_paths:
        folder = Path(root, service, version)
        head = _file_head(folder / "service-2.json.gz") or _file_head(folder / "service-2.json")
        match = _SERVICE_ID.search(head)
        if match is not None:
            return match.group(1)
    metadata = loader.load_service_model(service, "service-2").get("metadata", {})
    return str(metadata.get("serviceId", service))


def _file_head(path: Path, size: int = 8192) -> str:
    """The first ``size`` bytes of a (gzipped) model file as text; empty when there is none."""
    if not path.is_file():
        return ""
    if path.suffix == ".gz":
        with gzip.open(path, "rb") as compressed:
            return compressed.read(size).decode("utf-8", "replace")
    with path.open("rb") as plain:
        return plain.read(size).decode("utf-8", "replace")
