"""What the interpreter asks of the world, and what the world answers.

The interpreter never calls a function, sleeps or reads a socket. A state that needs work done
outside it (a Task's resource, a Wait's timer, a retry's back-off) hands its driver an *effect*
and suspends; the driver does the work, in-process or durably, and resumes the execution with a
*signal* carrying the effect's key. Keys are unique within an execution and assigned in a
deterministic order, so a durable driver can use ``(execution, key)`` as an idempotency key.

A suspendable piece of the interpreter is a *routine*: a generator that yields the effects it
has just started (possibly none) and is sent, each time, the signal for one of them.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from stepline.asl.scope import JSON
from stepline.runtime.frame import Execution

T = TypeVar("T")


# Effects ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InvokeFunction:
    """Run the function ``function`` (a name or Lambda ARN) with ``payload`` as its event.

    Answered by ``TaskSucceeded`` (the function's return value or, with
    ``as_invoke_response``, Lambda's whole Invoke response around it, as the
    ``lambda:invoke`` integration returns it), ``TaskFailed`` or, once ``timeout_seconds``
    have passed, ``TaskTimedOut``.
    """

    key: int
    function: str
    payload: JSON
    timeout_seconds: int | None = None
    heartbeat_seconds: int | None = None
    as_invoke_response: bool = False


@dataclass(frozen=True, slots=True)
class StartTimer:
    """Let ``seconds`` pass (until ``due``); answered by ``TimerFired``."""

    key: int
    due: datetime
    seconds: float


@dataclass(frozen=True, slots=True)
class Cancel:
    """The effect ``key`` is no longer wanted (its iteration or branch was aborted)."""

    key: int


Effect = InvokeFunction | StartTimer | Cancel


# Signals ------------------------------------------------------------------------------------


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
class TaskTimedOut:
    key: int


@dataclass(frozen=True, slots=True)
class TimerFired:
    key: int


Signal = TaskSucceeded | TaskFailed | TaskTimedOut | TimerFired

Routine = Generator[list[Effect], Signal, T]
"""A suspendable computation returning ``T``: yields new effects, is sent their signals."""


def await_effect(effect: Effect) -> Routine[Signal]:
    """Start ``effect`` and suspend until its signal arrives.

    Signals reach only the routine that awaits their key: ``transition.advance`` drops those
    for keys no routine awaits, and a fan-out resumes the unit that started the effect.
    """
    signal = yield [effect]
    assert signal.key == effect.key, (signal, effect)
    return signal


def sleep(execution: Execution, seconds: float) -> Routine[None]:
    """Let ``seconds`` pass on the execution's clock: a timer its driver fires."""
    due = execution.clock.now() + timedelta(seconds=seconds)
    yield from await_effect(StartTimer(execution.new_key(), due, seconds))
