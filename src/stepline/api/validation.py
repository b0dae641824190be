"""AWS's parameter validation for the Step Functions API, driven by botocore's model of the
service (loaded and compiled once, at import): what AWS's request layer checks before an
action runs, so that no value of the wrong type or out of its bounds reaches the engine.

``validate(action, parameters)`` makes AWS's two passes, in AWS's order:

1. Deserialization: every member the model knows must hold its JSON type, at any depth.
   The first mismatch ends the request with ``SerializationException`` and the JSON layer's
   text (``NUMBER_VALUE cannot be converted to String``, ``Start of structure or map found
   where not expected``, ``Unexpected field type``...). A number with a fraction where an
   integer belongs is truncated; ``null`` is no value at all.
2. Constraints, collected: required members (``Member must not be null``), lengths of
   strings and lists, bounds of numbers, enums and patterns, reported as one
   ``ValidationException``: ``N validation error(s) detected: Value '<v>' at '<path>' failed
   to satisfy constraint: <constraint>; ...``, ten at most. Paths name nested members
   ``parent.child`` and list elements ``list.<1-based index>.member``; a list of scalars is
   judged as a whole (``Member must satisfy constraint: [<every constraint of its
   elements>]``, at the list's path). A sensitive value is left out (``Value at 'input'``),
   a missing one is ``Value null``. The execution payloads (the model's ``SensitiveData``:
   ``input``, ``output``, TestState's ``input``, ``variables``, ``context``, mocks) are
   measured in UTF-8 bytes: ``Member must have size less than or equal to 262144 bytes in
   UTF-8 encoding``. Strings are otherwise measured in code points.

Decisions, and where they come from:

- Unknown members are ignored, never refused, and left where they are: AWS's JSON services
  drop members their model does not know (kinesalite and dynalite, built against Kinesis's
  and DynamoDB's answers, do the same). A misspelt required member therefore reads as a
  missing one.
- ``null`` is absent: a ``null`` member is removed from ``parameters`` (so an action's
  default applies), and a required one is reported ``Value null at ...``.
- Texts of constraint errors are AWS's: the conformance corpus (AWS-recorded:
  ``maxResults``, ``nextToken``, ``statusFilter``, ``routingConfiguration``'s length and
  ``routingConfiguration.1.member.weight``), AWS's answers quoted in public code and logs
  (the 256 KiB ``input``; ``Value at 'error'`` of SendTaskFailure; a list of strings judged
  whole, from Lambda). Type errors use the texts of AWS's JSON layer as dynalite recorded
  them against DynamoDB (the same layer; not recorded for Step Functions), and a fraction
  is truncated toward zero as kinesalite reproduces it. Where AWS's text is unknown (an
  integer beyond Java's ``int``/``long``, a timestamp given as a string) the text is
  Stepline's, in the same style.
- The order of several errors follows the model's member order; AWS's own order is its
  hash order, reproduced only for the enum lists recorded from AWS (``ENUM_ORDER``).
- ``__type`` is the bare code, as everywhere in Stepline (AWS sends
  ``com.amazon.coral.validate#ValidationException``; the SDKs keep what follows ``#``).

``parameters`` is normalised in place (nulls removed, integers truncated) before the action
sees it; errors are ``ApiError``.
"""

from __future__ import annotations

import binascii
import math
import re
from dataclasses import dataclass, field
from typing import Any

from botocore.loaders import create_loader
from botocore.model import ServiceModel, Shape

from stepline.api.errors import ApiError

MAX_ERRORS = 10
"""AWS lists at most ten validation errors (``10 validation errors detected: ...``)."""

PAYLOAD_SHAPE = "SensitiveData"
"""The model's shape for execution payloads, whose limit AWS measures in UTF-8 bytes."""

ENUM_ORDER: dict[str, tuple[str, ...]] = {
    # As AWS lists it (conformance corpus: test_state_machine_status_filter), not the model's.
    "ExecutionStatus": (
        "SUCCEEDED",
        "TIMED_OUT",
        "PENDING_REDRIVE",
        "ABORTED",
        "FAILED",
        "RUNNING",
    ),
}

MODEL_PACKAGE = "com.amazonaws.swf.service.v2.model"
"""The Java package of AWS's Step Functions model classes, as AWS's messages name them."""

_JAVA_TYPES = {
    "string": "java.lang.String",
    "boolean": "java.lang.Boolean",
    "integer": "java.lang.Integer",
    "long": "java.lang.Long",
    "float": "java.lang.Float",
    "double": "java.lang.Double",
    "timestamp": "java.util.Date",
    "blob": "java.nio.ByteBuffer",
}
_INTEGER_RANGES = {
    "integer": ("int", -(2**31), 2**31 - 1),
    "long": ("long", -(2**63), 2**63 - 1),
}
_NATIVE_TYPES = {"string": str, "boolean": bool, "float": float}
_NOT_A_STRUCTURE = "Start of structure or map found where not expected"
_UNEXPECTED_FIELD = "Unexpected field type"
_SCALARS = frozenset(_JAVA_TYPES)


@dataclass(eq=False, slots=True)
class ShapeRule:
    """One shape of the model, compiled: its JSON kind and its constraints."""

    name: str
    kind: str
    sensitive: bool = False
    minimum: float | None = None
    maximum: float | None = None
    enum: tuple[str, ...] = ()
    pattern: str | None = None
    regex: re.Pattern[str] | None = None
    members: dict[str, ShapeRule] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    element: ShapeRule | None = None
    key: ShapeRule | None = None
    native: type | None = None
    """The Python type a JSON value of this shape arrives as when it needs no conversion
    (none for integers: their range is checked)."""

    @property
    def is_payload(self) -> bool:
        return self.name == PAYLOAD_SHAPE


def validate(action: str, parameters: dict[str, Any]) -> None:
    """Check ``parameters`` of ``action`` as AWS does (normalising them in place); an
    ``ApiError`` for the first type error, or for every constraint broken. An action the
    model does not know is left alone (the caller answers ``UnknownOperationException``)."""
    rule = OPERATIONS.get(action)
    if rule is None:
        return
    _deserialize(parameters, rule)
    errors: list[str] = []
    _check_structure(parameters, rule, "", errors)
    if errors:
        shown = errors[:MAX_ERRORS]
        plural = "s" if len(shown) > 1 else ""
        raise ApiError(
            "ValidationException",
            f"{len(shown)} validation error{plural} detected: {'; '.join(shown)}",
        )


# Pass 1: deserialization ---------------------------------------------------------------------


def _deserialize(value: Any, rule: ShapeRule) -> Any:
    """``value`` as AWS's deserializer reads it for ``rule`` (collections changed in place:
    nulls removed from structures, numbers converted), or a ``SerializationException``."""
    kind = rule.kind
    if kind == "structure":
        if not isinstance(value, dict):
            raise _serialization(_collection_text(value, f"class {MODEL_PACKAGE}.{rule.name}"))
        _deserialize_members(value, rule.members)
        return value
    if kind == "list":
        if not isinstance(value, list):
            raise _serialization(_NOT_A_STRUCTURE if isinstance(value, dict) else _UNEXPECTED_FIELD)
        element = _element(rule)
        for index, item in enumerate(value):
            if item is not None and type(item) is not element.native:
                value[index] = _deserialize(item, element)
        return value
    if kind == "map":
        element = _value(rule)
        if not isinstance(value, dict):
            values = _JAVA_TYPES.get(element.kind, f"{MODEL_PACKAGE}.{element.name}")
            raise _serialization(
                f"Unrecognized collection type java.util.Map<java.lang.String, {values}>"
                if isinstance(value, list)
                else _UNEXPECTED_FIELD
            )
        for key, item in value.items():
            if item is not None and type(item) is not element.native:
                value[key] = _deserialize(item, element)
        return value
    return _deserialize_scalar(value, rule)


def _deserialize_members(value: dict[str, Any], members: dict[str, ShapeRule]) -> None:
    nulls = []
    for name, item in value.items():
        if item is None:
            nulls.append(name)
            continue
        member = members.get(name)
        if member is not None and type(item) is not member.native:
            value[name] = _deserialize(item, member)  # same keys: safe while iterating
    for name in nulls:
        del value[name]


def _deserialize_scalar(value: Any, rule: ShapeRule) -> Any:
    kind = rule.kind
    java = _JAVA_TYPES[kind]
    if isinstance(value, dict):
        raise _serialization(_NOT_A_STRUCTURE)
    if isinstance(value, list):
        raise _serialization(f"Unrecognized collection type class {java}")
    if kind == "string":
        if isinstance(value, str):
            return value
        raise _serialization(f"{_token(value)} cannot be converted to String")
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            raise _serialization("Unexpected token received from parser")
        raise _serialization(f"{_token(value)} cannot be converted to Boolean")
    if kind == "blob":
        return _deserialize_blob(value)
    simple = java.rsplit(".", 1)[1]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _serialization(f"{_token(value)} cannot be converted to {simple}")
    if not math.isfinite(value):
        raise _serialization(f"{_token(value)} cannot be converted to {simple}")
    if kind in _INTEGER_RANGES:
        return _integer(value, kind)
    return float(value)


def _integer(value: float, kind: str) -> int:
    """A JSON number as Java's ``int`` or ``long``: a fraction truncated, the range checked."""
    java, lowest, highest = _INTEGER_RANGES[kind]
    number = int(value)
    if not lowest <= number <= highest:
        raise _serialization(
            f"Numeric value ({_render_number(value)}) out of range of {java} ({lowest} - {highest})"
        )
    return number


def _deserialize_blob(value: Any) -> str:
    if not isinstance(value, str):
        raise _serialization("only base-64-encoded strings are convertible to bytes")
    if len(value) % 4:
        raise _serialization(
            f"Base64 encoded length is expected a multiple of 4 bytes but found: {len(value)}"
        )
    try:
        binascii.a2b_base64(value.encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError):
        raise _serialization("Invalid last non-pad Base64 character dectected") from None
    return value


def _token(value: Any) -> str:
    """The JSON token AWS's deserializer names in its messages."""
    if value is True:
        return "TRUE_VALUE"
    if value is False:
        return "FALSE_VALUE"
    if isinstance(value, int):
        return "NUMBER_VALUE"
    if isinstance(value, float):
        return "DECIMAL_VALUE"
    return "STRING_VALUE"


def _collection_text(value: Any, java_class: str) -> str:
    return (
        f"Unrecognized collection type {java_class}"
        if isinstance(value, list)
        else (_UNEXPECTED_FIELD)
    )


def _serialization(message: str) -> ApiError:
    return ApiError("SerializationException", message)


# Pass 2: constraints -------------------------------------------------------------------------


def _check_structure(value: dict[str, Any], rule: ShapeRule, path: str, errors: list[str]) -> None:
    for name, member in rule.members.items():
        if len(errors) >= MAX_ERRORS:  # AWS lists no more, and a body may hold many
            return
        where = f"{path}.{name}" if path else name
        item = value.get(name)
        if item is None:
            if name in rule.required:
                errors.append(_error(None, member, where, "Member must not be null"))
            continue
        _check(item, member, where, errors)


def _check(value: Any, rule: ShapeRule, path: str, errors: list[str]) -> None:
    if rule.kind == "structure":
        _check_structure(value, rule, path, errors)
    elif rule.kind == "list":
        _check_list(value, rule, path, errors)
    elif rule.kind == "map":
        _check_map(value, rule, path, errors)
    else:
        errors.extend(_error(value, rule, path, text) for text in _broken(value, rule))


def _check_list(value: list[Any], rule: ShapeRule, path: str, errors: list[str]) -> None:
    errors.extend(_error(value, rule, path, text) for text in _broken_length(len(value), rule))
    element = _element(rule)
    if element.kind in _SCALARS:
        if any(item is None or _broken(item, element) for item in value):
            errors.append(_error(value, rule, path, _all_of("Member", element)))
        return
    for index, item in enumerate(value, start=1):
        if len(errors) >= MAX_ERRORS:
            return
        where = f"{path}.{index}.member"
        if item is None:
            errors.append(_error(None, element, where, "Member must not be null"))
        else:
            _check(item, element, where, errors)


def _check_map(value: dict[str, Any], rule: ShapeRule, path: str, errors: list[str]) -> None:
    errors.extend(_error(value, rule, path, text) for text in _broken_length(len(value), rule))
    key = rule.key
    if key is not None and any(_broken(name, key) for name in value):
        errors.append(_error(value, rule, path, _all_of("Map keys", key, nullable=False)))
    element = _value(rule)
    if element.kind in _SCALARS:
        if any(item is None or _broken(item, element) for item in value.values()):
            errors.append(_error(value, rule, path, _all_of("Map value", element)))
        return
    for name, item in value.items():
        if len(errors) >= MAX_ERRORS:
            return
        where = f"{path}.{name}.member"
        if item is None:
            errors.append(_error(None, element, where, "Member must not be null"))
        else:
            _check(item, element, where, errors)


def _broken(value: Any, rule: ShapeRule) -> list[str]:
    """The constraints of a scalar ``value`` it breaks, in AWS's order (pattern, length,
    enum; or the bounds of a number)."""
    if rule.kind == "string":
        broken = []
        if rule.regex is not None and not rule.regex.fullmatch(value):
            broken.append(f"Member must satisfy regular expression pattern: {rule.pattern}")
        if rule.is_payload:
            if rule.maximum is not None and _utf8_size(value) > rule.maximum:
                broken.append(_payload_limit(rule.maximum))
        else:
            broken.extend(_broken_length(len(value), rule))
        if rule.enum and value not in rule.enum:
            broken.append(_enum_text(rule))
        return broken
    if rule.kind == "blob":
        return _broken_length(len(binascii.a2b_base64(value)), rule)
    if rule.kind in ("integer", "long", "float", "double"):
        broken = []
        if rule.minimum is not None and value < rule.minimum:
            broken.append(f"Member must have value greater than or equal to {_bound(rule.minimum)}")
        if rule.maximum is not None and value > rule.maximum:
            broken.append(f"Member must have value less than or equal to {_bound(rule.maximum)}")
        return broken
    return []


def _utf8_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def _broken_length(length: int, rule: ShapeRule) -> list[str]:
    if rule.minimum is not None and length < rule.minimum:
        return [f"Member must have length greater than or equal to {_bound(rule.minimum)}"]
    if rule.maximum is not None and length > rule.maximum:
        return [f"Member must have length less than or equal to {_bound(rule.maximum)}"]
    return []


def _all_of(subject: str, rule: ShapeRule, *, nullable: bool = True) -> str:
    """Every constraint of a collection's elements, as AWS lists them when one is broken:
    ``Member must satisfy constraint: [<maximum>, <minimum>, <pattern>, <enum>, <not null>]``."""
    texts = []
    numeric = rule.kind in ("integer", "long", "float", "double")
    noun = "value" if numeric else "length"
    if rule.is_payload and rule.maximum is not None:
        texts.append(_payload_limit(rule.maximum))
    elif rule.maximum is not None:
        texts.append(f"Member must have {noun} less than or equal to {_bound(rule.maximum)}")
    if rule.minimum is not None:
        texts.append(f"Member must have {noun} greater than or equal to {_bound(rule.minimum)}")
    if rule.pattern is not None:
        texts.append(f"Member must satisfy regular expression pattern: {rule.pattern}")
    if rule.enum:
        texts.append(_enum_text(rule))
    if nullable:
        texts.append("Member must not be null")
    return f"{subject} must satisfy constraint: [{', '.join(texts)}]"


def _enum_text(rule: ShapeRule) -> str:
    return (
        f"Member must satisfy enum value set: [{', '.join(ENUM_ORDER.get(rule.name, rule.enum))}]"
    )


def _payload_limit(maximum: float) -> str:
    return f"Member must have size less than or equal to {_bound(maximum)} bytes in UTF-8 encoding"


def _error(value: Any, rule: ShapeRule, path: str, text: str) -> str:
    if value is None:
        shown = "Value null"
    elif rule.sensitive:
        shown = "Value"
    else:
        shown = f"Value '{_render(value, rule)}'"
    return f"{shown} at '{path}' failed to satisfy constraint: {text}"


# Values as AWS's messages show them (Java's toString) ------------------------------------


def _render(value: Any, rule: ShapeRule) -> str:
    if value is None:
        return "null"
    if rule.sensitive:
        return "*** Sensitive Data Redacted ***"
    kind = rule.kind
    if kind == "structure":
        members = ", ".join(
            f"{name}={_render(value.get(name), member)}" for name, member in rule.members.items()
        )
        return f"{rule.name}({members})"
    if kind == "list":
        return f"[{', '.join(_render(item, _element(rule)) for item in value)}]"
    if kind == "map":
        element = _value(rule)
        return "{" + ", ".join(f"{k}={_render(v, element)}" for k, v in value.items()) + "}"
    if kind == "blob":
        size = len(binascii.a2b_base64(value))
        return f"java.nio.HeapByteBuffer[pos=0 lim={size} cap={size}]"
    if kind == "boolean":
        return "true" if value else "false"
    if kind in ("float", "double"):
        return _render_number(float(value))
    return str(value)


def _render_number(value: float) -> str:
    """A number as Java prints it (``150.0``, ``1.0E20``)."""
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 1e7:
        return f"{value:.1f}"
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        if "." not in mantissa:
            mantissa += ".0"
        return f"{mantissa}E{int(exponent)}"
    return text


def _bound(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _element(rule: ShapeRule) -> ShapeRule:
    assert rule.element is not None, rule.name
    return rule.element


def _value(rule: ShapeRule) -> ShapeRule:
    return _element(rule)


# The model, compiled once ----------------------------------------------------------------


def java_pattern(pattern: str) -> re.Pattern[str]:
    """A pattern of the model (Java's syntax) as a Python one: the POSIX classes Java
    writes ``\\p{...}`` become character sets; the rest of the model's patterns are common
    to both."""
    translated = pattern
    for name, characters in _POSIX_CLASSES.items():
        translated = translated.replace(f"\\p{{{name}}}", f"[{characters}]")
    return re.compile(translated)


_POSIX_CLASSES = {
    "ASCII": "\\x00-\\x7f",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Upper": "A-Z",
    "Lower": "a-z",
    "Punct": "!-/:-@\\[-`{-~",
    "Space": " \\t\\n\\x0b\\f\\r",
}


def _compile(shape: Shape, seen: dict[str, ShapeRule]) -> ShapeRule:
    if shape.name in seen:
        return seen[shape.name]
    metadata = shape.metadata
    rule = ShapeRule(
        name=shape.name,
        kind=shape.type_name,
        sensitive=bool(metadata.get("sensitive", False)),
        minimum=metadata.get("min"),
        maximum=metadata.get("max"),
        enum=tuple(getattr(shape, "enum", None) or ()),
        pattern=metadata.get("pattern"),
    )
    if rule.pattern is not None:
        rule.regex = java_pattern(rule.pattern)
    rule.native = _NATIVE_TYPES.get(rule.kind)
    seen[shape.name] = rule
    if rule.kind == "structure":
        rule.members = {name: _compile(member, seen) for name, member in shape.members.items()}
        rule.required = tuple(shape.required_members)
    elif rule.kind == "list":
        rule.element = _compile(shape.member, seen)
    elif rule.kind == "map":
        rule.key = _compile(shape.key, seen)
        rule.element = _compile(shape.value, seen)
    return rule


def _compile_operations() -> dict[str, ShapeRule]:
    model = ServiceModel(
        create_loader().load_service_model("stepfunctions", "service-2"), "stepfunctions"
    )
    seen: dict[str, ShapeRule] = {}
    operations = {}
    for name in model.operation_names:
        shape = model.operation_model(name).input_shape
        if shape is not None:
            operations[name] = _compile(shape, seen)
    return operations


OPERATIONS: dict[str, ShapeRule] = _compile_operations()
"""Every operation of botocore's ``stepfunctions`` model: its input shape, compiled."""
