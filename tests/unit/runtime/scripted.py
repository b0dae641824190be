"""A deterministic driver for tests: answers an execution's effects in an order a seeded
generator picks, so two runs given the same seed see the same signals at the same times.

``rebuild_every_step`` puts the run through ``checkpoint`` (as JSON text) and ``resume``
after every transition, which is what a durable engine does between steps.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stepline.asl.errors import StatesError
from stepline.runtime import (
    Cancel,
    Dispatch,
    ExecutionRun,
    FunctionRegistry,
    Plan,
    StartTimer,
    TaskFailed,
    TaskStarted,
    TaskSucceeded,
    TimerFired,
    checkpoint,
    resume,
)
from stepline.runtime.effects import Effect, Signal
from stepline.runtime.events import HistoryEvent

START = 981173106.0  # 2001-02-03T04:05:06Z


@dataclass
class Script:
    """What happened: every signal with its time, and every event recorded."""

    signals: list[tuple[float, Signal]] = field(default_factory=list)
    events: list[HistoryEvent] = field(default_factory=list)
    rebuilds: int = 0
    checkpoints: list[dict[str, Any]] = field(default_factory=list)

    def history(self) -> list[dict[str, Any]]:
        return [event.to_api() for event in self.events]


def play(
    plan: Plan,
    run: ExecutionRun,
    functions: FunctionRegistry,
    *,
    seed: int = 0,
    rebuild_every_step: bool = False,
    stop_after: int | None = None,
    on_step: Callable[[ExecutionRun, Script], ExecutionRun] | None = None,
) -> tuple[ExecutionRun, Script]:
    """Drive ``run`` to its end; the run it ended as, and what happened.

    Pending work is answered one signal at a time, in an order ``seed`` picks: a function's
    TaskStarted, then its result; a timer fires (the clock jumping to it) only when no work
    is pending or it is the pick.
    """
    picker = random.Random(seed)
    script = Script()
    now = run.execution.now
    pending: dict[int, Effect] = {}
    started: set[int] = set()
    steps = 0

    def take(effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, Cancel):
                pending.pop(effect.key, None)
            else:
                pending[effect.key] = effect

    take(run.start(now))
    while not run.finished:
        script.events.extend(run.execution.log.drain())
        if rebuild_every_step:
            saved = json.loads(json.dumps(checkpoint(run)))
            script.checkpoints.append(saved)
            run = resume(plan, saved)
            script.rebuilds += 1
        if on_step is not None:
            run = on_step(run, script)
            if run.finished:
                break
        steps += 1
        if stop_after is not None and steps > stop_after:
            break
        work = [key for key, effect in pending.items() if isinstance(effect, Dispatch)]
        timers = sorted(
            (effect.due, key) for key, effect in pending.items() if isinstance(effect, StartTimer)
        )
        if not work and not timers:
            raise AssertionError("the run awaits nothing")
        choices = work + ([timers[0][1]] if timers else [])
        key = choices[picker.randrange(len(choices))]
        effect = pending[key]
        signal: Signal
        if isinstance(effect, StartTimer):
            now = max(now, effect.due)
            del pending[key]
            signal = TimerFired(key)
        elif key not in started:
            started.add(key)
            signal = TaskStarted(key)
        else:
            del pending[key]
            signal = _perform(functions, effect)  # type: ignore[arg-type]
        script.signals.append((now, signal))
        take(run.advance(signal, now))
    script.events.extend(run.execution.log.drain())
    return run, script


def _perform(functions: FunctionRegistry, effect: Dispatch) -> Signal:
    try:
        output = functions.perform(
            effect.resource, effect.parameters, region="us-east-1", account="111111111111"
        )
    except StatesError as error:
        # Lambda's cause carries a fresh request id: the same for every run of a test.
        cause = _REQUEST_ID.sub('"requestId": "fixed"', error.cause)
        return TaskFailed(effect.key, error.error, cause)
    return TaskSucceeded(effect.key, output)


_REQUEST_ID = re.compile(r'"requestId": "[^"]+"')
