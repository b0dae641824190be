"""The durable engine: executions' lifecycle on a store, advanced by one or many nodes.

    from stepline.engine import Engine
    from stepline.runtime import FakeClock, FunctionRegistry

    engine = Engine("sqlite:///stepline.db", functions=FunctionRegistry({...}), clock=FakeClock())
    machine = engine.register_state_machine("orders", definition)
    arn = engine.start_execution(machine, '{"order": 1}')
    engine.run_until_idle()                 # in a test: jumps the fake clock over every wait
    engine.describe_execution(arn)["status"]

In a service, ``engine.start()`` runs the loop in a thread of its own.
"""

from stepline.engine.engine import Engine, SyncResult
from stepline.engine.errors import (
    EngineError,
    ExecutionAlreadyExists,
    ExecutionDoesNotExist,
    ExecutionNotRedrivable,
    InvalidDefinition,
    InvalidExecutionInput,
    InvalidToken,
    StateMachineDoesNotExist,
    StateMachineTypeNotSupported,
    TaskDoesNotExist,
)

__all__ = [
    "Engine",
    "EngineError",
    "ExecutionAlreadyExists",
    "ExecutionDoesNotExist",
    "ExecutionNotRedrivable",
    "InvalidDefinition",
    "InvalidExecutionInput",
    "InvalidToken",
    "StateMachineDoesNotExist",
    "StateMachineTypeNotSupported",
    "SyncResult",
    "TaskDoesNotExist",
]
