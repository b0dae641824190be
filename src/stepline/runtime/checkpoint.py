"""Rebuilding an execution's run from its checkpoint (``ExecutionRun.checkpoint``).

The checkpoint is plain JSON-ready data (ADR 0005): the execution's context parts, its seed
and counters, and the tree of its suspended machines with their journals. ``resume`` makes a
new run and replays each suspended state's journal with the event log in replay mode, then
sets the counters back to where the checkpoint left them.
"""

from __future__ import annotations

from typing import Any

from stepline.asl.jsontext import loads
from stepline.runtime.clock import Clock
from stepline.runtime.effects import StartTimer
from stepline.runtime.events import EventLog
from stepline.runtime.frame import Execution
from stepline.runtime.functions import FunctionRegistry
from stepline.runtime.machine import MachinePlan
from stepline.runtime.machine_run import CheckpointError
from stepline.runtime.transition import CHECKPOINT_VERSION, Ending, ExecutionRun


def resume(
    machine: MachinePlan,
    saved: dict[str, Any],
    *,
    functions: FunctionRegistry | None = None,
    clock: Clock | None = None,
) -> ExecutionRun:
    """The run ``checkpoint`` saved, rebuilt on ``machine`` (the same definition's plan).

    Raises ``CheckpointError`` when ``saved`` is not a checkpoint of this plan.
    """
    try:
        return _resume(machine, saved, functions, clock)
    except CheckpointError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, AssertionError) as error:
        raise CheckpointError(f"not a checkpoint: {type(error).__name__}: {error}") from error


def _resume(
    machine: MachinePlan,
    saved: dict[str, Any],
    functions: FunctionRegistry | None,
    clock: Clock | None,
) -> ExecutionRun:
    if saved.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(f"unknown checkpoint version {saved.get('version')!r}")
    next_id, next_key, draws = saved["counters"]
    counters = (int(next_id), int(next_key), int(draws))
    execution = Execution(
        log=EventLog(counters[0]),
        execution_object=saved["execution"],
        state_machine_object=saved["stateMachine"],
        seed=bytes.fromhex(saved["seed"]),
        now=saved["now"],
        region=saved["region"],
        account=saved["account"],
        execution_arn=saved["arn"],
    )
    run = ExecutionRun(
        machine,
        execution,
        timeout_seconds=saved["timeoutSeconds"],
        functions=functions,
        clock=clock,
    )
    run.begun = saved["begun"]
    ending = saved.get("ending")
    if ending is not None:
        run.result = Ending(ending["status"], ending["output"], ending["error"], ending["cause"])
        run.redrive_point = saved.get("redrive")
    elif not run.begun:
        text = saved["input"]
        run._input = (loads(text) if text is not None else {}, text)
    else:
        execution.log.replaying = True
        try:
            run.root.restore(saved["root"])
        finally:
            execution.log.replaying = False
        deadline = saved["deadline"]
        if deadline is not None:
            key, due = deadline
            run.deadline_key = key
            run.restored(StartTimer(key, due, 0.0), None, started=False)
    execution.set_counters(counters)
    execution.now = saved["now"]
    return run
