"""What one running state machine carries: the execution it belongs to, its variables, and
where its thread of history events has got to.

An execution has one top-level frame; each Parallel branch and each Map iteration runs in a
frame of its own whose variables layer over its parent's (inner assignments never leak out).
"""

from __future__ import annotations

import itertools
from collections import ChainMap
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

from stepline.asl.scope import JSON
from stepline.runtime.clock import Clock
from stepline.runtime.events import EventLog
from stepline.runtime.functions import FunctionRegistry

NOT_TRUNCATED: dict[str, bool] = {"truncated": False}


@dataclass(slots=True)
class Execution:
    """What every frame of one execution shares."""

    log: EventLog
    clock: Clock
    functions: FunctionRegistry
    execution_object: dict[str, Any]
    """The ``Execution`` part of the context object (Id, Input, Name, RoleArn, StartTime...)."""
    state_machine_object: dict[str, Any]
    """The ``StateMachine`` part of the context object (Id, Name)."""
    region: str = "us-east-1"
    account: str = "111111111111"
    execution_arn: str = ""
    keys: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    """Where effect keys come from: 1, 2, 3... in the order the execution starts its effects."""

    cancelled: list[int] = field(default_factory=list)
    """Keys of started effects no longer wanted (their iteration or branch was aborted)."""

    def new_key(self) -> int:
        return next(self.keys)

    def cancel(self, key: int) -> None:
        self.cancelled.append(key)


@dataclass(slots=True)
class Frame:
    execution: Execution
    variables: MutableMapping[str, JSON] = field(default_factory=dict)
    last_event_id: int = 0
    suspended_in: str | None = None
    """The type of the state this frame's routine is suspended in (it awaits effects), if any."""

    def add_event(self, event_type: str, details: dict[str, Any] | None = None) -> int:
        """Record an event following this frame's last one, and make it the last."""
        self.last_event_id = self.execution.log.add(event_type, self.last_event_id, details)
        return self.last_event_id

    def child(self) -> Frame:
        """A frame for a branch or iteration: reads our variables, keeps its own writes."""
        return Frame(self.execution, ChainMap({}, self.variables), self.last_event_id)

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
