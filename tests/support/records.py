"""Records for store tests: state machines, executions, events, steps and tasks, built the
way the engine builds them, with readable defaults. Times are POSIX seconds around ``T0``."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from stepline.store import (
    Claim,
    EventRecord,
    NewExecution,
    NewWakeup,
    SqlStore,
    StepWrite,
    TaskRecord,
)

T0 = 1_700_000_000.0
ORDERS = "arn:aws:states:us-east-1:123456789012:stateMachine:Orders"
REFUNDS = "arn:aws:states:us-east-1:123456789012:stateMachine:Refunds"
DEFINITION = '{"StartAt": "Pay", "States": {"Pay": {"Type": "Pass", "End": true}}}'


def add_machine(store: SqlStore, arn: str = ORDERS, type_: str = "STANDARD") -> int:
    """A state machine's definition; its id."""
    return store.add_definition(arn, arn.rsplit(":", 1)[-1], type_, DEFINITION, now=T0)


def execution_arn(name: str, machine: str = ORDERS) -> str:
    return machine.replace(":stateMachine:", ":execution:") + f":{name}"


def new_execution(definition_id: int, name: str, **fields: Any) -> NewExecution:
    """An execution of Orders named ``name`` (``fields`` override the rest)."""
    machine = fields.pop("state_machine_arn", ORDERS)
    new = NewExecution(
        arn=execution_arn(name, machine),
        name=name,
        state_machine_arn=machine,
        definition_id=definition_id,
        type="STANDARD",
        input=f'{{"order": "{name}"}}',
        start_date=T0,
        checkpoint=f'{{"at": "{name}"}}',
    )
    return replace(new, **fields)


def events(first: int, last: int, at: float = T0) -> list[EventRecord]:
    """Events ``first``..``last``, each pointing at the one before."""
    return [
        EventRecord(i, i - 1, at + i, f"Event{i}", f'{{"n": {i}}}') for i in range(first, last + 1)
    ]


def start(
    store: SqlStore, definition_id: int, name: str, *, due: float = T0, type_: str = "STANDARD"
) -> int:
    """A RUNNING execution with its first event and a ``start`` wake-up due at ``due``."""
    return store.create_execution(
        new_execution(definition_id, name, type=type_), NewWakeup("start", due), events(1, 1)
    )


def claim_one(store: SqlStore, node: str, now: float, execution_id: int) -> Claim:
    """``node`` claims what is due at ``now`` (not only ``execution_id``): its claim of
    ``execution_id``, which must be among them."""
    claims = {claim.execution_id: claim for claim in store.claim(node, now, 100)}
    assert execution_id in claims, f"{node} could not claim {execution_id} at {now}"
    return claims[execution_id]


def step(claim: Claim, **fields: Any) -> StepWrite:
    """The write of a step that consumed ``claim``'s wake-ups (``fields`` add the rest)."""
    write = StepWrite(
        execution_id=claim.execution_id,
        expected_version=claim.version,
        checkpoint=f'{{"version": {claim.version + 1}}}',
        status="RUNNING",
        done_wakeups=[wakeup.id for wakeup in claim.wakeups],
    )
    return replace(write, **fields)


def task(execution_id: int, key: int, token: str | None = None) -> TaskRecord:
    """A Lambda invocation dispatched by ``execution_id`` under ``key``."""
    return TaskRecord(
        execution_id=execution_id,
        key=key,
        resource="arn:aws:states:::lambda:invoke",
        parameters=f'{{"FunctionName": "charge", "key": {key}}}',
        token=token or f"token-{execution_id}-{key}",
        timeout_seconds=60,
        heartbeat_seconds=None,
    )


def due_kinds(store: SqlStore, node: str, now: float) -> dict[int, list[str]]:
    """What ``node`` claims at ``now``: the kinds of each execution's due wake-ups."""
    return {
        claim.execution_id: [wakeup.kind for wakeup in claim.wakeups]
        for claim in store.claim(node, now, 100)
    }
