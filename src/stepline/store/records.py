"""What the store holds and hands back: plain records, no SQL, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field

RUNNING = "RUNNING"
TERMINAL_STATUSES = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


@dataclass(frozen=True, slots=True)
class Definition:
    """One state machine definition as an execution runs it (definitions never change: an
    update of a state machine adds a new one)."""

    id: int
    state_machine_arn: str
    name: str
    type: str
    text: str
    logging_level: str | None = None


@dataclass(slots=True)
class ExecutionRecord:
    """An execution's row. ``checkpoint`` is the run's JSON text (``transition.checkpoint``),
    ``version`` counts its commits, ``owner`` is the node that may advance it."""

    id: int
    arn: str
    name: str
    state_machine_arn: str
    definition_id: int
    type: str
    status: str
    input: str
    start_date: float
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    stop_date: float | None = None
    checkpoint: str | None = None
    version: int = 0
    owner: str | None = None
    redrive_count: int = 0
    redrive_date: float | None = None
    parent_id: int | None = None
    map_run_arn: str | None = None
    expires_at: float | None = None
    parent_key: int | None = None
    version_arn: str | None = None
    alias_arn: str | None = None
    trace_header: str | None = None


@dataclass(frozen=True, slots=True)
class NewExecution:
    """An execution to create, RUNNING and not yet begun."""

    arn: str
    name: str
    state_machine_arn: str
    definition_id: int
    type: str
    input: str
    start_date: float
    checkpoint: str
    parent_id: int | None = None
    map_run_arn: str | None = None
    parent_key: int | None = None
    events: tuple[EventRecord, ...] = ()
    version_arn: str | None = None
    alias_arn: str | None = None
    trace_header: str | None = None


@dataclass(frozen=True, slots=True)
class MapRunRecord:
    """A distributed Map's run: its settings and how it stands (counts come from its
    children)."""

    arn: str
    execution_id: int
    status: str
    start_date: float
    stop_date: float | None
    total: int
    max_concurrency: int
    tolerated_failure_count: int
    tolerated_failure_percentage: float


@dataclass(slots=True)
class EventRecord:
    """A history event as stored: its details as JSON text (payloads as JSON strings inside,
    the way GetExecutionHistory returns them).

    Not frozen, though nothing changes one: every execution makes one per event, and a frozen
    dataclass's ``__init__`` costs five times as much (1.1 against 0.23 us here), which was
    5% of a server's time on short executions."""

    id: int
    previous_id: int
    timestamp: float
    type: str
    details: str | None


@dataclass(frozen=True, slots=True)
class Wakeup:
    """Something that makes an execution move: ``start``, ``timer`` (``key``), ``stop``,
    ``signal`` (an answer from outside, in ``body``), ``update`` (a Map Run's new settings,
    in ``body``), ``recover`` (its node died)."""

    id: int
    execution_id: int
    kind: str
    due: float
    key: int | None = None
    body: str | None = None


@dataclass(frozen=True, slots=True)
class NewWakeup:
    kind: str
    due: float
    key: int | None = None
    body: str | None = None


@dataclass(frozen=True, slots=True)
class TaskRecord:
    """Work an execution dispatched and has not had answered (the outbox)."""

    execution_id: int
    key: int
    resource: str
    parameters: str
    token: str
    timeout_seconds: int | None
    heartbeat_seconds: int | None
    scheduled_at: float | None = None
    """When the step that dispatched it ran (activity tasks are handed out oldest first)."""
    taken_at: float | None = None
    """When a worker took it (activity tasks: GetActivityTask), if one has."""
    worker_name: str | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """An execution this node now owns, with the wake-ups due for it."""

    execution_id: int
    version: int
    status: str
    definition_id: int
    type: str
    wakeups: list[Wakeup]


@dataclass(slots=True)
class StepWrite:
    """What one step of one execution commits, all in the same transaction as every other
    step of the batch: its new events, its checkpoint and status, the work it queued, and the
    wake-ups and tasks it consumed or cancelled."""

    execution_id: int
    expected_version: int
    checkpoint: str
    status: str
    events: list[EventRecord] = field(default_factory=list)
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    stop_date: float | None = None
    release: bool = False
    """Give up ownership after this step (the execution awaits nothing this node runs)."""
    new_wakeups: list[NewWakeup] = field(default_factory=list)
    new_tasks: list[TaskRecord] = field(default_factory=list)
    done_wakeups: list[int] = field(default_factory=list)
    cancelled_keys: list[int] = field(default_factory=list)
    """Keys whose timer wake-up or task row is no longer wanted (answered or cancelled)."""
    expires_at: float | None = None
    journal: list[tuple[float, str]] = field(default_factory=list)
    """What moved the execution in this step, with when (``engine.replay`` replays it)."""
    new_executions: list[NewExecution] = field(default_factory=list)
    """Child executions this step started (each gets a ``start`` wake-up)."""
    map_runs: list[MapRunRecord] = field(default_factory=list)
    """Map Runs this step began (RUNNING) or ended (their new status)."""
    discard_work: bool = False
    """Delete every wake-up and task of the execution (it failed without a run to ask)."""
    redrive_count: int | None = None
    """Set when this step redrove the execution (with ``redrive_date``)."""
    redrive_date: float | None = None


@dataclass(frozen=True, slots=True)
class StateMachineRecord:
    """A state machine: its current definition and settings (``settings`` is JSON text of its
    logging, tracing and encryption configurations)."""

    arn: str
    name: str
    type: str
    status: str
    definition_id: int
    role_arn: str
    description: str | None
    settings: str
    revision_id: str
    creation_date: float
    update_date: float | None = None
    last_version: int = 0


@dataclass(frozen=True, slots=True)
class VersionRecord:
    """A published version of a state machine (its definition and settings then)."""

    arn: str
    state_machine_arn: str
    version: int
    definition_id: int
    role_arn: str
    description: str | None
    settings: str
    revision_id: str
    creation_date: float


@dataclass(frozen=True, slots=True)
class AliasRecord:
    """An alias: versions and their weights (``routing`` is JSON text)."""

    arn: str
    state_machine_arn: str
    name: str
    description: str | None
    routing: str
    creation_date: float
    update_date: float | None = None


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    arn: str
    name: str
    creation_date: float
    settings: str
