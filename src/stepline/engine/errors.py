"""What the engine's API refuses, one class per AWS error code (the API layer renders them in
AWS's shape: ``__type`` is the class name, ``message`` the text).

    EngineError
    ├── ExecutionDoesNotExist, StateMachineDoesNotExist, TaskDoesNotExist, ResourceNotFound
    ├── ExecutionAlreadyExists, ExecutionNotRedrivable, StateMachineTypeNotSupported
    ├── InvalidArn, InvalidExecutionInput, InvalidToken, InvalidDefinition
    └── TaskTimedOut
"""

from __future__ import annotations


class EngineError(Exception):
    """A request the engine refuses; ``code`` is AWS's error code."""

    @property
    def code(self) -> str:
        return type(self).__name__

    @property
    def message(self) -> str:
        return str(self)


class ExecutionDoesNotExist(EngineError):
    def __init__(self, arn: str) -> None:
        super().__init__(f"Execution Does Not Exist: '{arn}'")


class StateMachineDoesNotExist(EngineError):
    def __init__(self, arn: str) -> None:
        super().__init__(f"State Machine Does Not Exist: '{arn}'")


class TaskDoesNotExist(EngineError):
    pass


class ResourceNotFound(EngineError):
    pass


class ExecutionAlreadyExists(EngineError):
    def __init__(self, arn: str) -> None:
        super().__init__(f"Execution Already Exists: '{arn}'")


class ExecutionNotRedrivable(EngineError):
    pass


class StateMachineTypeNotSupported(EngineError):
    pass


class InvalidArn(EngineError):
    pass


class InvalidExecutionInput(EngineError):
    pass


class InvalidToken(EngineError):
    pass


class InvalidDefinition(EngineError):
    pass


class TaskTimedOut(EngineError):
    pass
