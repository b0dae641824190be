"""What the interpreter asks of the world, and what the world answers.

The interpreter never calls a function, sleeps or reads a socket. A state that needs work done
outside it (a Task's resource, a Wait's timer, a retry's back-off) hands its driver an *effect*
and suspends; the driver does the work, in-process or durably, and resumes the execution with a
*signal* carrying the effect's key. Keys are unique within an execution and assigned in a
deterministic order, so a driver can use ``(execution, key)`` as an idempotency key.

Effects and signals are plain data: ``encode`` and ``decode`` turn them into JSON-ready dicts
and back, so a durable driver can store the work it owes and the answers it received. Times are
absolute (POSIX seconds), so a stored effect means the same after a restart.

A suspendable piece of the interpreter is a *routine*: a generator that yields the effects it
has just started (possibly none) and is sent, each time, the signal for one of them. Two more
kinds never leave the interpreter: ``Fork`` (a Map or Parallel state hands its iterations or
branches to the execution's cursor) and ``Joined`` (they have all ended, or one failed). One
signal answers no effect: ``MapRunUpdated`` (new settings for a distributed Map's run) names
its Map Run instead of a key.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Generator
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, TypeVar

from stepline.asl.errors import StatesError
from stepline.asl.scope import JSON

if TYPE_CHECKING:
    from stepline.runtime.frame import Execution

T = TypeVar("T")


# Effects ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Dispatch:
    """Have a Task's work done: ``resource`` (the Task's Resource) with ``parameters``.

    ``token`` identifies the work outside Stepline (AWS's task token), derived from the
    execution and the key. The work is answered with ``TaskStarted`` when it really starts,
    ``TaskHeartbeat`` while it runs, then ``TaskSucceeded`` or ``TaskFailed``. The Task's own
    timers enforce ``timeout_seconds`` and ``heartbeat_seconds`` from the start on (AWS counts
    both from then); if one fires first, the work is cancelled.
    """

    key: int
    resource: str
    parameters: JSON
    token: str
    timeout_seconds: int | None = None
    heartbeat_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class StartTimer:
    """Let ``seconds`` pass, until ``due`` (POSIX seconds); answered by ``TimerFired``."""

    key: int
    due: float
    seconds: float


@dataclass(frozen=True, slots=True)
class StartExecution:
    """Start a child execution (an item of a distributed Map's run): ``definition`` (the
    item processor, as a state machine of its own) of type ``execution_type`` on ``input``.

    Answered by ``ExecutionEnded``; cancelling it stops the child.
    """

    key: int
    arn: str
    name: str
    state_machine_arn: str
    definition: str
    execution_type: str
    input: str
    map_run_arn: str
    index: int


@dataclass(frozen=True, slots=True)
class Cancel:
    """The effect ``key`` is no longer wanted (its iteration or branch was aborted)."""

    key: int


@dataclass(frozen=True, slots=True)
class MapRunNotice:
    """A distributed Map's run began or ended (``status``); nothing answers it. A driver
    that keeps Map Run records (DescribeMapRun) writes them from these."""

    key: int
    arn: str
    status: str
    total: int = 0
    max_concurrency: int = 0
    tolerated_failure_count: int = 0
    tolerated_failure_percentage: float = 0.0


Effect = Dispatch | StartTimer | StartExecution | Cancel | MapRunNotice


# Signals ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TaskStarted:
    """The work of a ``Dispatch`` has started (a worker took it); ``worker_name`` is the name
    an activity worker gave when it asked for the task (AWS's ActivityStarted records it)."""

    key: int
    worker_name: str | None = None


@dataclass(frozen=True, slots=True)
class TaskSucceeded:
    key: int
    output: JSON


@dataclass(frozen=True, slots=True)
class TaskFailed:
    key: int
    error: str
    cause: str


@dataclass(frozen=True, slots=True)
class TaskHeartbeat:
    """The work of a ``Dispatch`` is still going (its heartbeat clock starts again)."""

    key: int


@dataclass(frozen=True, slots=True)
class TimerFired:
    key: int


@dataclass(frozen=True, slots=True)
class ExecutionEnded:
    """A child execution ended: ``status``, with its output or its error and cause."""

    key: int
    status: str
    output: str | None = None
    error: str | None = None
    cause: str | None = None


Signal = TaskStarted | TaskHeartbeat | TaskSucceeded | TaskFailed | TimerFired | ExecutionEnded


@dataclass(frozen=True, slots=True)
class MapRunUpdated:
    """A distributed Map's run was given new settings (AWS's UpdateMapRun): each one given
    replaces the run's own from then on; None leaves it as it was.

    Not the answer to an effect: it names its Map Run by ARN (``ExecutionRun.update_map_run``),
    and an execution that is not running that Map Run leaves it unheard.
    """

    arn: str
    max_concurrency: int | None = None
    tolerated_failure_count: int | None = None
    tolerated_failure_percentage: float | None = None

    def followed_by(self, later: MapRunUpdated) -> MapRunUpdated:
        """This update and then ``later``: what the two change together."""

        def last(earlier: Any, value: Any) -> Any:
            return earlier if value is None else value

        return MapRunUpdated(
            self.arn,
            last(self.max_concurrency, later.max_concurrency),
            last(self.tolerated_failure_count, later.tolerated_failure_count),
            last(self.tolerated_failure_percentage, later.tolerated_failure_percentage),
        )


ANSWERS: dict[type, tuple[type, ...]] = {
    Dispatch: (TaskStarted, TaskHeartbeat, TaskSucceeded, TaskFailed),
    StartTimer: (TimerFired,),
    StartExecution: (ExecutionEnded,),
}
"""Which signals answer which effect: any other is refused."""


# Inside the interpreter ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fork:
    """A Map or Parallel state's units (iterations, branches), handed to the execution's
    cursor to run; ``source`` (a ``fanout.UnitSource``) says what each unit is."""

    key: int
    source: Any


@dataclass(frozen=True, slots=True)
class Joined:
    """A fork has ended: every unit's output (``outputs``, by index, with its JSON text), or
    the error of the failure that ended it (the others were aborted)."""

    key: int
    outputs: tuple[tuple[JSON, str | None], ...] | None = None
    error: str = ""
    cause: str = ""
    recorded: bool = False
    """Whether the failure's EvaluationFailed event is already recorded (by the unit)."""

    def failure(self) -> StatesError:
        """The failure that ended the fork, as the state above sees it."""
        failure = StatesError(self.cause, self.error)
        failure.recorded = self.recorded  # type: ignore[attr-defined]
        return failure


Routine = Generator[list[Any], Any, T]
"""A suspendable computation returning ``T``: yields new effects, is sent their signals."""


def await_effect(effect: Effect) -> Routine[Signal]:
    """Start ``effect`` and suspend until its signal arrives.

    Signals reach only the routine that awaits their key: the cursor routes each by its key.
    """
    signal: Signal = yield [effect]
    return signal


def sleep(execution: Execution, seconds: float) -> Routine[None]:
    """Let ``seconds`` pass on the execution's clock: a timer its driver fires."""
    due = execution.now + seconds
    yield from await_effect(StartTimer(execution.new_key(), due, seconds))


_DIGEST_SIZE = 12


def task_token(execution: Execution, key: int) -> str:
    """The token of the work ``key`` asks for: names the execution and key, and carries a
    digest keyed by the execution's secret seed, so a token cannot be made up."""
    body = f"{execution.execution_arn}#{key}"
    digest = task_digest(execution.execution_arn, key, execution.seed)
    return base64.urlsafe_b64encode(body.encode() + b"#" + digest).decode().rstrip("=")


def task_digest(execution_arn: str, key: int, seed: bytes) -> bytes:
    """The digest a task token carries: keyed by its execution's secret seed."""
    body = f"{execution_arn}#{key}".encode()
    return hashlib.blake2b(body, digest_size=_DIGEST_SIZE, key=seed).digest()


def parse_task_token(token: str) -> tuple[str, int, bytes] | None:
    """(execution ARN, key, digest) from a token, or None if it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        # The digest is binary (it may hold a "#"): it is the last _DIGEST_SIZE bytes.
        head, digest = raw[: -_DIGEST_SIZE - 1], raw[-_DIGEST_SIZE:]
        if raw[-_DIGEST_SIZE - 1 : -_DIGEST_SIZE] != b"#":
            return None
        arn, key = head.rsplit(b"#", 1)
        return arn.decode(), int(key), digest
    except ValueError:
        return None


# Encoding -----------------------------------------------------------------------------------

_KINDS: dict[str, type] = {
    kind.__name__: kind
    for kind in (
        Dispatch,
        StartTimer,
        StartExecution,
        Cancel,
        MapRunNotice,
        TaskStarted,
        TaskSucceeded,
        TaskFailed,
        TaskHeartbeat,
        TimerFired,
        ExecutionEnded,
        MapRunUpdated,
        Joined,
    )
}


def encode(item: Effect | Signal | MapRunUpdated | Joined) -> dict[str, Any]:
    """A JSON-ready dict naming the kind (``type``) and every field."""
    encoded: dict[str, Any] = {"type": type(item).__name__}
    for field in fields(item):
        value = getattr(item, field.name)
        encoded[field.name] = list(map(list, value)) if isinstance(value, tuple) else value
    return encoded


def decode(encoded: dict[str, Any]) -> Any:
    """The effect or signal ``encode`` made; ``ValueError`` if it is not one."""
    values = dict(encoded)
    kind = _KINDS.get(values.pop("type", None))
    if kind is None:
        raise ValueError(f"not an effect or signal: {encoded!r}")
    if kind is Joined and values.get("outputs") is not None:
        values["outputs"] = tuple((value, text) for value, text in values["outputs"])
    try:
        return kind(**values)
    except TypeError as error:
        raise ValueError(f"not a valid {kind.__name__}: {error}") from None
