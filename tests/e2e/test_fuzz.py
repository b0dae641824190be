"""A fuzz test of the live server: requests generated from botocore's model of the service,
for every one of its operations (well-formed ones, and ones with wrong types, missing and
unknown members, nulls, oversized strings and payloads, ARNs of every kind that do not
exist), and requests that break the protocol itself (bodies that are not JSON or not an
object, missing and malformed ``X-Amz-Target`` and ``Content-Type`` headers, unknown actions).

Whatever arrives, the server must answer within a timeout, never with a 5xx, and every
refusal must be AWS's shape, ``{"__type": ..., "message": ...}`` (with only the members the
model gives that error, such as a ValidationException's ``reason``); afterwards it must still
run a state machine correctly. Generation is derandomized (the same requests on every run)
and bounded (``EXAMPLES`` per operation). Faults are collected, not shrunk: a failure lists
every distinct one with the request that caused it and, for a 5xx, the exception the
server logged and where in ``src/`` it was raised.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from botocore.loaders import create_loader
from botocore.model import ServiceModel, Shape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.server import ACCOUNT, REGION, ROLE, Server

MODEL = ServiceModel(
    create_loader().load_service_model("stepfunctions", "service-2"), "stepfunctions"
)
OPERATIONS = sorted(MODEL.operation_names)
ERROR_MEMBERS = {shape.name: set(shape.members) for shape in MODEL.error_shapes}
"""The members each of AWS's errors may carry besides ``message`` (a ValidationException's
``reason``, a ResourceNotFound's ``resourceName``...)."""
EXAMPLES = int(os.environ.get("STEPLINE_FUZZ_EXAMPLES", "30"))
"""Requests per operation (37 operations: about 1,100 requests, 2 ms each); set
``STEPLINE_FUZZ_EXAMPLES`` to search longer (and ``STEPLINE_FUZZ_STATS`` to print the
answers each operation got)."""
TIMEOUT = 15.0
"""Seconds a request may take: nothing generated here waits on purpose (GetActivityTask is
never given an activity that exists, so it never long-polls)."""
TARGET = "AWSStepFunctions."
CONTENT_TYPE = "application/x-amz-json-1.0"
PAYLOAD_LIMIT = 262_144
PREFIX = f"arn:aws:states:{REGION}:{ACCOUNT}"
UUID = "2b5e0e5f-0000-4000-8000-000000000000"

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
DOUBLE = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:double"
TASK = {"Type": "Task", "Resource": DOUBLE, "End": True}
DEFINITIONS = [
    json.dumps(PASS),
    json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": True}}}),
    json.dumps({"StartAt": "D", "States": {"D": TASK}}),
    json.dumps({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": {
        "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, "End": True}}}),
    json.dumps({"Type": "Pass", "End": True}),
    json.dumps(TASK),
    json.dumps({"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1,
                                               "Next": "X"}], "Default": "X"}),
    "{", "[]", "null", "StartAt: P\nStates: {P: {Type: Pass, End: true}}", "{}",
    json.dumps({"StartAt": "Nowhere", "States": {}}),
]  # fmt: skip
PAYLOADS = [
    "{}", '{"n": 21}', '{"items": [1, 2, 3]}', "[]", "1", '"text"', "null", "", "{", "not json",
    '{"n": "x"}', json.dumps({"deep": [[[[[[[[[[{}]]]]]]]]]]}),
    '"' + "a" * (PAYLOAD_LIMIT - 2) + '"',
    '"' + "é" * (PAYLOAD_LIMIT // 2) + '"',
]  # fmt: skip
NAMES = ["fuzz", "a", "n" * 80, "n" * 81, "", "a b", "a/b", "ünïcode", "\x00", "x:y", "1"]
TOKENS = ["", "x", "AAAA", "t" * 2049, "null", "{}", UUID, "0", "1", "-1", "²", "9" * 40, "1.5"]


@dataclass
class Fault:
    """A request the server answered wrongly, how, and (for a fault of the server's) the
    exception it logged and where in ``src/`` it was raised."""

    what: str
    request: str
    answer: str
    cause: str = ""

    def __str__(self) -> str:
        lines = [
            self.what,
            f"    request: {self.request[:400]}",
            f"    answer:  {self.answer[:300]}",
        ]
        if self.cause:
            lines.append(f"    raised:  {self.cause}")
        return "\n".join(lines)


SOURCE_FRAME = re.compile(r'File "[^"]*/(src/stepline/[^"]+)", line (\d+), in (\S+)')


def logged_exception(server: Server) -> tuple[str, str]:
    """The newest exception in the server's log: where in ``src/`` it was raised (the
    innermost frame of ours) and its last line."""
    for line in reversed(server.logs().splitlines()):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("error"):
            trace = str(record["error"])
            frames = SOURCE_FRAME.findall(trace)
            where = ":".join(frames[-1][:2]) + f" in {frames[-1][2]}" if frames else "?"
            return where, trace.strip().splitlines()[-1]
    return "?", "nothing logged"


@dataclass
class Resources:
    """Things that exist on the server, and ARNs of every kind that do not."""

    existing: dict[str, str]
    missing: list[str]
    malformed: list[str]
    tokens: list[str]
    """Tokens of tasks waiting for an answer (none before activities exist)."""

    def arns(self, member: str, operation: str) -> st.SearchStrategy[str]:
        """ARNs for ``member``: one that exists half the time (the deeper paths), else one
        that does not, or is not an ARN of Step Functions' at all."""
        real = [
            arn
            for kind, arn in self.existing.items()
            # GetActivityTask on an activity that exists long-polls for a minute.
            if not (operation == "GetActivityTask" and kind == "activity")
        ]
        if member == "roleArn":
            real = [ROLE, f"arn:aws:iam::{ACCOUNT}:role/other"]
        return st.sampled_from(real) | st.sampled_from(self.missing + self.malformed)


_counter = itertools.count()


@pytest.fixture(scope="module")
def http(server: Server) -> Iterator[httpx.Client]:
    """One client for the module: kept-alive connections (a new one per request costs more
    than the request)."""
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as client:
        yield client


def call(http: httpx.Client, action: str, body: Any) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"X-Amz-Target": TARGET + action, "Content-Type": CONTENT_TYPE}
    return http.post("/", content=content, headers=headers)


@pytest.fixture
def resources(request: pytest.FixtureRequest, http: httpx.Client) -> Resources:
    """A state machine of each type, a version and an alias of it, an execution, a Map Run,
    an activity (if activities exist yet) and, for the operations that answer tasks, a task
    waiting for it; names unique to the test, so that one operation's deletions leave the
    next one its own."""
    suffix = f"fuzz{next(_counter)}"
    existing: dict[str, str] = {}
    created = call(http, "CreateStateMachine", {
        "name": f"{suffix}-standard", "definition": json.dumps(PASS), "roleArn": ROLE,
        "publish": True,
    }).json()  # fmt: skip
    existing["stateMachine"] = created["stateMachineArn"]
    existing["version"] = created["stateMachineVersionArn"]
    existing["express"] = call(http, "CreateStateMachine", {
        "name": f"{suffix}-express", "definition": json.dumps(PASS), "roleArn": ROLE,
        "type": "EXPRESS",
    }).json()["stateMachineArn"]  # fmt: skip
    existing["alias"] = call(http, "CreateStateMachineAlias", {
        "name": "live", "routingConfiguration": [
            {"stateMachineVersionArn": existing["version"], "weight": 100}],
    }).json()["stateMachineAliasArn"]  # fmt: skip
    existing["execution"] = call(
        http, "StartExecution", {"stateMachineArn": existing["stateMachine"], "input": "{}"}
    ).json()["executionArn"]
    existing["mapRun"] = map_run(http, suffix)
    tokens: list[str] = []
    activity = call(http, "CreateActivity", {"name": f"{suffix}-activity"})
    if activity.status_code == 200:  # activities may not exist yet
        existing["activity"] = activity.json()["activityArn"]
        callspec = getattr(request.node, "callspec", None)
        if callspec is not None and callspec.params.get("operation", "").startswith("SendTask"):
            tokens.extend(task_token(http, suffix, existing["activity"]))
    machine = existing["stateMachine"]
    name = machine.rsplit(":", 1)[1]
    missing = [
        f"{PREFIX}:stateMachine:nowhere",
        f"{PREFIX}:stateMachine:nowhere:7",
        f"{PREFIX}:stateMachine:nowhere:alias",
        f"{machine}:99",
        f"{machine}:absent",
        f"{PREFIX}:execution:nowhere:run",
        f"{PREFIX}:execution:{name}:absent",
        f"{PREFIX}:express:{name}:absent:{UUID}",
        f"{PREFIX}:activity:nowhere",
        f"{PREFIX}:mapRun:{name}/Map:{UUID}",
        f"arn:aws:states:eu-west-1:{ACCOUNT}:stateMachine:{name}",
        f"arn:aws:states:{REGION}:999999999999:execution:{name}:x",
    ]
    malformed = [
        "", "arn:", "not-an-arn", "arn:aws:states", f"{PREFIX}:", f"{PREFIX}:unknownKind:x",
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:double", f"{PREFIX}:stateMachine:",
        f"{PREFIX}:stateMachine:{'n' * 240}", f"{PREFIX}:execution:{name}", "arn:aws:states:::",
        f"{PREFIX}:stateMachine:ünï", f"{PREFIX}:stateMachine:{name}:1:2:3",
    ]  # fmt: skip
    return Resources(existing, missing, malformed, tokens)


def map_run(http: httpx.Client, suffix: str) -> str:
    """The Map Run of an execution of a distributed Map."""
    items = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    processor = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, **items}
    definition = {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": processor,
                                                   "End": True}}}  # fmt: skip
    machine = call(http, "CreateStateMachine", {
        "name": f"{suffix}-map", "definition": json.dumps(definition), "roleArn": ROLE,
    }).json()["stateMachineArn"]  # fmt: skip
    execution = call(http, "StartExecution", {"stateMachineArn": machine, "input": "[1, 2]"})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        listed = call(http, "ListMapRuns", {"executionArn": execution.json()["executionArn"]})
        if runs := listed.json().get("mapRuns"):
            return str(runs[0]["mapRunArn"])
        time.sleep(0.02)
    raise AssertionError("no Map Run in 10 s")


def task_token(http: httpx.Client, suffix: str, activity: str) -> list[str]:
    """The token of a task waiting for an activity worker, if one can be had in 5 s."""
    definition = {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": activity,
                                                   "End": True}}}  # fmt: skip
    machine = call(http, "CreateStateMachine", {
        "name": f"{suffix}-worker", "definition": json.dumps(definition), "roleArn": ROLE,
    }).json()["stateMachineArn"]  # fmt: skip
    call(http, "StartExecution", {"stateMachineArn": machine})
    headers = {"X-Amz-Target": TARGET + "GetActivityTask", "Content-Type": CONTENT_TYPE}
    body = json.dumps({"activityArn": activity}).encode()
    try:
        task = http.post("/", content=body, headers=headers, timeout=5).json()
    except httpx.TimeoutException:
        return []
    return [task["taskToken"]] if task.get("taskToken") else []


# Generation from the model -----------------------------------------------------------------


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=5,
)


@dataclass(frozen=True)
class Requests:
    """Requests of one operation from the model: ``wild`` ones go wrong anywhere (any JSON
    for any member, enums in lower case, strings and lists past their limits, numbers past
    their bounds); tame ones hold what boto3 would send (names, ARNs, tokens and payloads
    still drawn from pools with bad ones in them)."""

    operation: str
    resources: Resources
    wild: bool

    def member(self, name: str, shape: Shape, depth: int = 0) -> st.SearchStrategy[Any]:
        kind = shape.type_name
        if depth > 5:
            return JSON
        typed: st.SearchStrategy[Any]
        if kind == "structure":
            typed = self.structure(shape, depth + 1)
        elif kind == "list":
            limit = int(shape.metadata.get("max", 3))
            typed = st.lists(
                self.member(name, shape.member, depth + 1),
                min_size=int(shape.metadata.get("min", 0)),
                max_size=limit + 1 if self.wild else min(limit, 3),
            )
        elif kind == "string":
            typed = self.string(name, shape)
        elif kind == "boolean":
            typed = st.booleans()
        elif kind in ("integer", "long", "float"):
            typed = self.number(shape)
        else:
            typed = JSON
        return st.one_of(*[typed] * 4, JSON) if self.wild else typed

    def structure(self, shape: Shape, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
        members = shape.members
        required = set(shape.required_members)
        return st.fixed_dictionaries(
            {name: self.member(name, members[name], depth) for name in required},
            optional={
                name: self.member(name, member, depth)
                for name, member in members.items()
                if name not in required
            },
        )

    def string(self, name: str, shape: Shape) -> st.SearchStrategy[str]:
        enum = list(getattr(shape, "enum", None) or [])
        if enum:
            return st.sampled_from(enum + [v.lower() for v in enum] + [""] if self.wild else enum)
        if name.endswith("Arn"):
            return self.resources.arns(name, self.operation)
        if name == "taskToken" and self.resources.tokens:
            return st.sampled_from(self.resources.tokens) | st.sampled_from(TOKENS)
        pool = next((pool for names, pool in POOLS if name in names), None)
        if pool is not None:
            return st.sampled_from(pool)
        low = int(shape.metadata.get("min", 0))
        high = int(shape.metadata.get("max", 40))
        fitting = st.text(min_size=low, max_size=max(low, min(high, 40)))
        return fitting | st.just("x" * (high + 1)) if self.wild else fitting

    def number(self, shape: Shape) -> st.SearchStrategy[Any]:
        low = shape.metadata.get("min", -10)
        high = shape.metadata.get("max", 5000)
        if shape.type_name == "float":
            fitting: st.SearchStrategy[Any] = st.floats(low, high)
        else:
            fitting = st.integers(int(low), int(high))
        if not self.wild:
            return fitting
        return fitting | st.sampled_from([low - 1, high + 1, 2**31, -(2**63) - 1, 0.5])


POOLS = [
    ({"definition"}, DEFINITIONS),
    ({"input", "output", "variables", "context", "result", "mapItemReaderData"}, PAYLOADS),
    ({"name", "workerName", "stateName", "errorCausedByState", "key"}, NAMES),
    ({"taskToken", "nextToken", "revisionId", "clientToken"}, TOKENS),
]
"""Members whose strings come from a pool (good and bad ones), by name."""


Draw = Callable[[st.SearchStrategy[Any]], Any]


def unchanged(body: dict[str, Any], draw: Draw) -> dict[str, Any]:
    return body


def without_a_member(body: dict[str, Any], draw: Draw) -> dict[str, Any]:
    if not body:
        return body
    dropped = draw(st.sampled_from(sorted(body)))
    return {name: value for name, value in body.items() if name != dropped}


def with_an_unknown_member(body: dict[str, Any], draw: Draw) -> dict[str, Any]:
    return {**body, draw(st.text(min_size=1, max_size=12)): draw(JSON)}


def with_a_member_of_any_type(body: dict[str, Any], draw: Draw) -> dict[str, Any]:
    return {**body, draw(st.sampled_from(sorted(body) or ["x"])): draw(JSON)}


def with_a_null(body: dict[str, Any], draw: Draw) -> dict[str, Any]:
    return {**body, draw(st.sampled_from(sorted(body) or ["x"])): None}


def with_an_oversized_string(body: dict[str, Any], draw: Draw) -> dict[str, Any]:
    return {**body, draw(st.sampled_from(sorted(body) or ["x"])): "x" * 300_000}


def capitalised(body: dict[str, Any], draw: Draw) -> dict[str, Any]:
    return {name[:1].upper() + name[1:]: value for name, value in body.items()}


MUTATIONS = [
    unchanged,
    without_a_member,
    with_an_unknown_member,
    with_a_member_of_any_type,
    with_a_null,
    with_an_oversized_string,
    capitalised,
]
"""Ways a wild request goes wrong once more (or not)."""


@st.composite
def requests(draw: Draw, operation: str, resources: Resources) -> dict[str, Any]:
    """A request of ``operation``: tame (as boto3 would send it) one time in two, else wild
    and then broken in one more way."""
    wild = draw(st.booleans())
    shape = MODEL.operation_model(operation).input_shape
    body: dict[str, Any] = draw(Requests(operation, resources, wild).structure(shape))
    if not wild:
        return body
    mutate = draw(st.sampled_from(MUTATIONS))
    mutated: dict[str, Any] = mutate(body, draw)
    return mutated


# Judging answers -----------------------------------------------------------------------------


@dataclass
class Judge:
    """Sends requests and records how their answers are wrong: one fault per kind (a 5xx per
    place in ``src/`` and exception, a hang, a body not in AWS's shape)."""

    server: Server
    faults: dict[str, Fault] = field(default_factory=dict)
    answers: Counter[str] = field(default_factory=Counter)
    """The answers by error code (``OK`` for a success): how deep the requests went."""

    def __call__(self, send: Callable[[], httpx.Response], request: str) -> Any:
        """The answer's JSON document (``None`` if there is none to read)."""
        started = time.monotonic()
        try:
            answer = send()
        except httpx.TimeoutException:
            took = time.monotonic() - started
            self.faults.setdefault("hang", Fault(f"no answer in {took:.0f} s", request, ""))
            return None
        text = answer.text
        if answer.status_code >= 500:
            where, last = logged_exception(self.server)
            key = f"{answer.status_code} {where} {last.split(':', 1)[0]}"
            self.faults.setdefault(
                key, Fault(f"HTTP {answer.status_code}", request, text, f"{where}: {last}")
            )
            return None
        try:
            document = answer.json()
        except ValueError:
            self.faults.setdefault(
                f"not json {answer.status_code}", Fault("not JSON", request, text)
            )
            return None
        if not isinstance(document, dict):
            self.faults.setdefault("not an object", Fault("not a JSON object", request, text))
            return None
        self.answers[str(document.get("__type", "")) if answer.status_code != 200 else "OK"] += 1
        if answer.status_code != 200 and not aws_shaped(document):
            key = f"shape {sorted(document)}"
            self.faults.setdefault(key, Fault("not AWS's shape", request, text))
        return document

    def report(self) -> str:
        return "\n".join(str(fault) for fault in self.faults.values())


def aws_shaped(document: dict[str, Any]) -> bool:
    """An error as AWS answers it: ``__type`` and ``message``, and only such other members
    as the model gives that error."""
    code = document.get("__type")
    allowed = {"__type", "message", *ERROR_MEMBERS.get(str(code), ())}
    return (
        isinstance(code, str)
        and isinstance(document.get("message"), str)
        and set(document) <= allowed
    )


# The tests -----------------------------------------------------------------------------------


def test_the_model_has_37_operations() -> None:
    assert len(OPERATIONS) == 37


@pytest.mark.parametrize("operation", OPERATIONS)
def test_an_operation_never_fails_the_server(
    server: Server, http: httpx.Client, resources: Resources, operation: str
) -> None:
    judge = Judge(server)

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def fuzz(data: st.DataObject) -> None:
        body = data.draw(requests(operation, resources))
        encoded = json.dumps(body).encode()
        judge(lambda: call(http, operation, encoded), f"{operation} {encoded.decode()}")

    fuzz()
    if os.environ.get("STEPLINE_FUZZ_STATS"):  # how deep the requests went: -s to see it
        print(operation, dict(judge.answers.most_common()))
    assert not judge.faults, judge.report()


BODIES = [
    b"", b" ", b"{", b"}", b"[]", b"[1, 2]", b'"text"', b"123", b"null", b"true", b"\xff\xfe",
    b'{"stateMachineArn": "a",}', b"{'single': 'quotes'}", b'{"a": NaN}', b'{"a": 1e400}',
    b"\xef\xbb\xbf{}", b'{"a": "\\ud800"}', b"[" * 10_000 + b"]" * 10_000,
    b'{"a":' * 5_000 + b"1" + b"}" * 5_000, b'{"maxResults": 1, "maxResults": "x"}',
    b"x" * (4 * 1024 * 1024 + 1), b"{}" + b" " * 100, b"{}garbage",
]  # fmt: skip
TARGETS: list[str | bytes | None] = [
    None, "", "AWSStepFunctions", "AWSStepFunctions.", "AWSStepFunctions.NoSuchAction",
    "awsstepfunctions.ListStateMachines", "AWSStepFunctions.listStateMachines",
    "AWSStepFunctions. ListStateMachines", "AWSStepFunctions.List StateMachines",
    "AWSStepFunctions.ListStateMachines.Extra", "AWSStepFunctions.__init__",
    "AWSStepFunctions.toString",
    "com.amazonaws.swf.service.v2.AWSStepFunctions.ListStateMachines",
    "DynamoDB_20120810.ListTables", b"AWSStepFunctions.\xff\xfe",
]  # fmt: skip
CONTENT_TYPES: list[str | None] = [
    None, "", "text/plain", "application/json", "application/x-amz-json-1.1",
    "application/x-amz-json-1.0; charset=utf-8", "multipart/form-data; boundary=x", "???",
]  # fmt: skip


def post(
    http: httpx.Client, body: bytes, target: str | bytes | None, content_type: str | None
) -> Callable[[], httpx.Response]:
    headers: list[tuple[bytes, bytes]] = []
    if target is not None:
        headers.append((b"X-Amz-Target", target.encode() if isinstance(target, str) else target))
    if content_type is not None:
        headers.append((b"Content-Type", content_type.encode()))
    return lambda: http.post("/", content=body, headers=headers)


FOUND: list[tuple[str, dict[str, Any]]] = [
    ("CreateStateMachine", {"name": "untagged", "definition": json.dumps(PASS), "roleArn": ROLE,
                            "tags": [{}]}),
    ("CreateActivity", {"name": "untagged", "tags": [{"value": "v"}]}),
    ("TagResource", {"resourceArn": "{stateMachine}", "tags": [{}]}),
    ("ListStateMachineVersions", {"stateMachineArn": "{stateMachine}", "nextToken": "x"}),
    ("ListStateMachineAliases", {"stateMachineArn": "{stateMachine}", "nextToken": "²"}),
    ("ListExecutions", {"stateMachineArn": "{stateMachine}", "nextToken": "²"}),
    ("ListExecutions", {"stateMachineArn": "{stateMachine}", "nextToken": "9" * 40}),
    ("GetExecutionHistory", {"executionArn": "{execution}", "nextToken": "x"}),
    ("GetExecutionHistory", {"executionArn": "{execution}", "nextToken": "9" * 40}),
]  # fmt: skip
"""Requests the fuzzing found failing the server (``{kind}`` stands for the ARN of a
resource that exists): kept as they were found, so that each stays fixed."""


@pytest.mark.parametrize(
    ("operation", "template"),
    FOUND,
    ids=[f"{operation}-{index}" for index, (operation, _) in enumerate(FOUND)],
)
def test_requests_the_fuzzing_found_are_answered(
    server: Server,
    http: httpx.Client,
    resources: Resources,
    operation: str,
    template: dict[str, Any],
) -> None:
    body = {
        name: resources.existing.get(value.strip("{}"), value) if isinstance(value, str) else value
        for name, value in template.items()
    }
    judge = Judge(server)
    judge(lambda: call(http, operation, body), f"{operation} {json.dumps(body)}")
    assert not judge.faults, judge.report()


def test_malformed_bodies_are_refused_in_aws_shape(server: Server, http: httpx.Client) -> None:
    judge = Judge(server)
    for action, body in itertools.product(["ListStateMachines", "StartExecution"], BODIES):
        request = f"{action} {body[:60]!r}... ({len(body)} bytes)"
        judge(post(http, body, TARGET + action, CONTENT_TYPE), request)
    assert not judge.faults, judge.report()


def test_malformed_headers_are_refused_in_aws_shape(server: Server, http: httpx.Client) -> None:
    judge = Judge(server)
    for target, content_type in itertools.product(TARGETS, CONTENT_TYPES):
        request = f"X-Amz-Target: {target!r}, Content-Type: {content_type!r}, body {{}}"
        judge(post(http, b"{}", target, content_type), request)
    assert not judge.faults, judge.report()


def test_unknown_actions_are_refused(server: Server, http: httpx.Client) -> None:
    judge = Judge(server)
    answered: list[tuple[str, Any]] = []

    @settings(max_examples=60, derandomize=True, database=None, deadline=None)
    @given(action=st.from_regex(r"[A-Za-z0-9_]{1,40}", fullmatch=True), body=JSON)
    def fuzz(action: str, body: Any) -> None:
        encoded = json.dumps(body).encode()
        answer = judge(lambda: call(http, action, encoded), f"{action} {encoded!r}")
        if action not in OPERATIONS and isinstance(body, dict):  # (a body that is not an
            answered.append((action, answer))  # object is refused first, for now)

    fuzz()
    assert not judge.faults, judge.report()
    wrong = [(action, answer) for action, answer in answered
             if (answer or {}).get("__type") != "UnknownOperationException"]  # fmt: skip
    assert not wrong, wrong[:5]


def test_other_methods_and_paths_never_fail_the_server(http: httpx.Client) -> None:
    faults: dict[str, Fault] = {}
    for method, path in [
        ("GET", "/"), ("PUT", "/"), ("DELETE", "/"), ("POST", "/nowhere"), ("GET", "/invoke/x"),
        ("POST", "/invoke/nowhere"), ("POST", "/invoke/"), ("POST", "/invoke/%00"),
    ]:  # fmt: skip
        try:
            answer = http.request(method, path, content=b"{}")
        except httpx.TimeoutException:
            faults[f"{method} {path}"] = Fault("hang", f"{method} {path}", "")
            continue
        if answer.status_code >= 500:
            faults[f"{method} {path}"] = Fault(
                f"HTTP {answer.status_code}", f"{method} {path}", answer.text
            )
    assert not faults, "\n".join(str(fault) for fault in faults.values())


def test_the_server_still_works_afterwards(server: Server) -> None:
    assert server.process.poll() is None, server.logs()[-2000:]
    sfn = server.client()
    definition = {
        "StartAt": "Double",
        "States": {"Double": {"Type": "Task", "Resource": DOUBLE, "End": True}},
    }
    machine = sfn.create_state_machine(
        name="after-the-fuzz", definition=json.dumps(definition), roleArn=ROLE
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input='{"n": 4}')["executionArn"]
    deadline = time.monotonic() + 30
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline, described
        time.sleep(0.05)
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"doubled": 8})
