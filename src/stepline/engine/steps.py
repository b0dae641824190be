"""One step of one execution: what woke it (``Input``\\s), applied to its run, and what the
step commits (a ``StepWrite``): the events it recorded, its checkpoint, the wake-ups and tasks
it queued, and those it consumed or cancelled."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from stepline.asl.jsontext import dumps, loads
from stepline.engine.history import to_record
from stepline.runtime.effects import (
    Cancel,
    Dispatch,
    Effect,
    ExecutionEnded,
    MapRunNotice,
    MapRunUpdated,
    Signal,
    StartExecution,
    StartTimer,
    TaskFailed,
    TaskSucceeded,
    TimerFired,
    decode,
    encode,
)
from stepline.runtime.resources import is_activity
from stepline.runtime.transition import ExecutionRun, SignalRefused
from stepline.store import EventRecord, NewExecution, NewWakeup, StepWrite, TaskRecord, Wakeup
from stepline.store.records import MapRunRecord

log = logging.getLogger("stepline.engine")


@dataclass(frozen=True, slots=True)
class Input:
    """Something that moves an execution: a stored wake-up, or an answer from this node's
    workers (``signal``)."""

    kind: str
    wakeup_id: int | None = None
    key: int | None = None
    signal: Signal | None = None
    body: str | None = None

    @classmethod
    def of(cls, wakeup: Wakeup) -> Input:
        return cls(wakeup.kind, wakeup.id, wakeup.key, None, wakeup.body)


@dataclass(slots=True)
class Applied:
    """What applying a step's inputs produced, before it is written."""

    effects: list[Effect] = field(default_factory=list)
    journal: list[tuple[float, str]] = field(default_factory=list)
    done_wakeups: list[int] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)
    recover: bool = False
    redriven: bool = False


def apply(run: ExecutionRun, inputs: list[Input], now: float) -> Applied:
    """Hand ``run`` its inputs in order, at ``now``."""
    applied = Applied()
    for item in inputs:
        if item.wakeup_id is not None:
            applied.done_wakeups.append(item.wakeup_id)
        if item.kind == "recover":
            applied.recover = True
        if item.kind == "redrive":
            if run.not_redrivable() is None:
                applied.journal.append((now, journal_entry(item)))
                applied.effects += run.redrive(now)
                applied.redriven = True
            continue
        if run.finished or item.kind == "recover":
            continue
        applied.journal.append((now, journal_entry(item)))
        if item.kind == "start":
            applied.effects += run.start(now)
        elif item.kind == "timer":
            assert item.key is not None
            applied.effects += _advance(run, TimerFired(item.key), now)
        elif item.kind == "stop":
            error, cause = loads(item.body or "[null, null]")
            applied.effects += run.stop(error, cause, now)
        elif item.kind == "child":
            assert item.key is not None
            status, output, error, cause = loads(item.body or "[]")
            ended = ExecutionEnded(item.key, status, output, error, cause)
            applied.effects += _advance(run, ended, now)
        elif item.kind == "update":
            update = decode(loads(item.body or "{}"))
            if isinstance(update, MapRunUpdated):
                applied.effects += run.update_map_run(update, now)
        elif item.kind in ("signal", "answer"):
            signal = item.signal if item.signal is not None else decode(loads(item.body or "{}"))
            applied.effects += _advance(run, signal, now)
            if isinstance(signal, TaskSucceeded | TaskFailed):
                applied.answered.append(signal.key)
    return applied


def journal_entry(item: Input) -> str:
    """An input as the journal keeps it (``replay`` reads it back with ``journal_input``)."""
    entry: dict[str, object] = {"kind": item.kind}
    if item.key is not None:
        entry["key"] = item.key
    if item.signal is not None:
        entry["signal"] = encode(item.signal)
    elif item.body is not None:
        entry["body"] = item.body
    return dumps(entry)


def journal_input(text: str) -> Input:
    entry = loads(text)
    signal = entry.get("signal")
    return Input(
        entry["kind"],
        key=entry.get("key"),
        signal=decode(signal) if signal is not None else None,
        body=entry.get("body"),
    )


def _advance(run: ExecutionRun, signal: Signal, now: float) -> list[Effect]:
    try:
        return run.advance(signal, now)
    except SignalRefused as refused:
        log.warning("%s: %s", run.execution.execution_arn, refused)
        return []


ChildFactory = Callable[[StartExecution, int, ExecutionRun], NewExecution]
"""Makes the child execution a step started: (effect, parent id, parent run)."""


def to_write(
    run: ExecutionRun,
    applied: Applied,
    execution_id: int,
    version: int,
    now: float,
    *,
    new_child: ChildFactory,
) -> tuple[StepWrite, list[Dispatch]]:
    """The step's write, and the work to dispatch once it is committed."""
    events = [to_record(event) for event in run.execution.log.drain()]
    write = StepWrite(
        execution_id=execution_id,
        expected_version=version,
        checkpoint=dumps(run.checkpoint()),
        status="RUNNING",
        events=events,
        done_wakeups=applied.done_wakeups,
        journal=applied.journal,
    )
    if applied.redriven:
        write.redrive_count = int(run.execution.execution_object["RedriveCount"])
        write.redrive_date = now
    ending = run.result
    if ending is not None:
        write.status = ending.status
        write.output, write.error, write.cause = ending.output, ending.error, ending.cause
        write.stop_date = now
    cancelled = {effect.key for effect in applied.effects if isinstance(effect, Cancel)}
    dispatches: list[Dispatch] = []
    for effect in applied.effects:
        if effect.key in cancelled:
            continue  # started and given up within this step: nothing to store
        if isinstance(effect, StartTimer):
            write.new_wakeups.append(NewWakeup("timer", effect.due, effect.key))
        elif isinstance(effect, Dispatch):
            write.new_tasks.append(_task_record(execution_id, effect, now))
            dispatches.append(effect)
        elif isinstance(effect, StartExecution):
            write.new_executions.append(new_child(effect, execution_id, run))
        elif isinstance(effect, MapRunNotice):
            write.map_runs.append(_map_run_record(effect, execution_id, now))
    write.cancelled_keys = sorted(cancelled | set(applied.answered))
    # An execution that awaits no work of this node's workers (timers, children, activity
    # tasks a worker elsewhere takes) is given up: any node advances it when it is woken.
    write.release = run.finished or not any(
        isinstance(effect, Dispatch) and not is_activity(effect.resource)
        for effect in run.awaited.values()
    )
    return write, dispatches


def _map_run_record(notice: MapRunNotice, execution_id: int, now: float) -> MapRunRecord:
    return MapRunRecord(
        notice.arn,
        execution_id,
        notice.status,
        now,
        None if notice.status == "RUNNING" else now,
        notice.total,
        notice.max_concurrency,
        notice.tolerated_failure_count,
        notice.tolerated_failure_percentage,
    )


def _task_record(execution_id: int, dispatch: Dispatch, now: float) -> TaskRecord:
    return TaskRecord(
        execution_id,
        dispatch.key,
        dispatch.resource,
        dumps(dispatch.parameters),
        dispatch.token,
        dispatch.timeout_seconds,
        dispatch.heartbeat_seconds,
        scheduled_at=now,
    )


def dispatch_of(task: TaskRecord) -> Dispatch:
    """The dispatch a stored task stands for (to carry it out again after a takeover)."""
    return Dispatch(
        task.key,
        task.resource,
        loads(task.parameters),
        task.token,
        task.timeout_seconds,
        task.heartbeat_seconds,
    )


def failed_write(
    execution_id: int, version: int, last_event_id: int, cause: str, now: float
) -> StepWrite:
    """An execution whose stored state cannot be read fails alone, with a clear cause."""
    details = {"cause": cause, "error": "States.Runtime"}
    event = EventRecord(last_event_id + 1, last_event_id, now, "ExecutionFailed", dumps(details))
    return StepWrite(
        execution_id=execution_id,
        expected_version=version,
        checkpoint=dumps({"version": 0, "unreadable": cause}),
        status="FAILED",
        events=[event],
        error="States.Runtime",
        cause=cause,
        stop_date=now,
        release=True,
        discard_work=True,
    )
