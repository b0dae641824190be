"""What one running state machine carries: the execution it belongs to, its variables, and
where its thread of history events has got to.

An execution has one top-level frame; each Parallel branch and each Map iteration runs in a
frame of its own whose variables layer over its parent's (inner assignments never leak out).
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

from stepline.asl.ambient import numbered_draw
from stepline.asl.scope import JSON
from stepline.runtime.events import EventLog

NOT_TRUNCATED: dict[str, bool] = {"truncated": False}


@dataclass(slots=True)
class Execution:
    """What every frame of one execution shares, and the counters that make it reproducible.

    It is also the ``Ambient`` of every expression the execution evaluates: ``now`` is the
    time of the transition being made (set by whoever moves the execution) and random draws
    are numbered from ``seed``, so the same signals at the same times give the same history.
    """

    log: EventLog
    execution_object: dict[str, Any]
    """The ``Execution`` part of the context object (Id, Input, Name, RoleArn, StartTime...)."""
    state_machine_object: dict[str, Any]
    """The ``StateMachine`` part of the context object (Id, Name)."""
    seed: bytes
    now: float = 0.0
    """POSIX seconds: when the transition being made happens."""
    region: str = "us-east-1"
    account: str = "111111111111"
    execution_arn: str = ""
    next_key: int = 1
    """The next effect key: 1, 2, 3... in the order the execution starts its effects."""
    draws: int = 0
    """How many random draws the execution has made."""

    def new_key(self) -> int:
        key = self.next_key
        self.next_key = key + 1
        return key

    def millis(self) -> int:
        return round(self.now * 1000)

    def draw(self) -> int:
        number = self.draws
        self.draws = number + 1
        return numbered_draw(self.seed, number)

    def counters(self) -> tuple[int, int, int]:
        """Where ids, keys and draws have got to (what a replay must start again from)."""
        return self.log.next_id, self.next_key, self.draws

    def set_counters(self, counters: tuple[int, int, int]) -> None:
        self.log.next_id, self.next_key, self.draws = counters


@dataclass(slots=True)
class Frame:
    execution: Execution
    variables: MutableMapping[str, JSON] = field(default_factory=dict)
    last_event_id: int = 0
    log: EventLog | None = None
    """A history of the frame's own, apart from the execution's (a distributed Map's child)."""

    def add_event(self, event_type: str, details: dict[str, Any] | None = None) -> int:
        """Record an event following this frame's last one, and make it the last."""
        execution = self.execution
        log = self.log or execution.log
        self.last_event_id = log.add(event_type, self.last_event_id, details, execution.now)
        return self.last_event_id

    def child(self) -> Frame:
        """A frame for a branch or iteration: reads our variables, keeps its own writes."""
        return Frame(self.execution, ChainMap({}, self.variables), self.last_event_id)

    def own_variables(self) -> dict[str, JSON]:
        """The variables this frame itself assigned (not those it reads from its parents)."""
        variables = self.variables
        if isinstance(variables, ChainMap):
            return dict(variables.maps[0])
        return dict(variables)

    def context_object(
        self, state_name: str, entered_time: str, retry_count: int | None = None
    ) -> JSON:
        """``$$``; ``retry_count`` is given only for states that can retry (AWS omits it else)."""
        state: dict[str, Any] = {"EnteredTime": entered_time, "Name": state_name}
        if retry_count is not None:
            state["RetryCount"] = retry_count
        return {
            "Execution": self.execution.execution_object,
            "State": state,
            "StateMachine": self.execution.state_machine_object,
        }
