"""The replay check: an execution run again from its start, on the inputs its journal
recorded at the times it recorded them, must record exactly the history that was stored.

This is what makes a durable execution trustworthy: its checkpoints, rebuilt at any step on
any node, gave the same events as one run kept in memory would have.
"""

from __future__ import annotations

from datetime import UTC, datetime

from stepline.asl.jsontext import loads
from stepline.engine.history import to_record
from stepline.engine.steps import apply, journal_input
from stepline.runtime import FakeClock, Plan, start_execution
from stepline.store import EventRecord, ExecutionRecord, SqlStore


def replayed_events(plan: Plan, record: ExecutionRecord, store: SqlStore) -> list[EventRecord]:
    """The history the execution records when run again from its journal."""
    saved = loads(record.checkpoint or "{}")
    context = saved["execution"]
    run = start_execution(
        plan,
        record.input,
        clock=FakeClock(datetime.fromtimestamp(record.start_date, UTC)),
        execution_name=record.name,
        state_machine_name=saved["stateMachine"]["Name"],
        region=saved["region"],
        account=saved["account"],
        role_arn=context["RoleArn"],
        seed=bytes.fromhex(saved["seed"]),
        execution_arn=record.arn,
        redrive_count=0,
    )
    run.timeout_seconds = saved["timeoutSeconds"]
    events = list(run.execution.log.drain())
    for at, text in store.journal(record.id):
        apply(run, [journal_input(text)], at)
        events.extend(run.execution.log.drain())
    return [to_record(event) for event in events]


def replay_difference(plan: Plan, record: ExecutionRecord, store: SqlStore) -> str | None:
    """Where the replayed history first differs from the stored one (None: it does not)."""
    stored = store.events(record.id)
    replayed = replayed_events(plan, record, store)
    for index, (kept, again) in enumerate(zip(stored, replayed, strict=False)):
        if kept != again:
            return f"event {index + 1}: stored {kept}, replayed {again}"
    if len(stored) != len(replayed):
        return f"stored {len(stored)} events, replayed {len(replayed)}"
    return None
