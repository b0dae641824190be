"""What the engine's API refuses, one class per AWS error code (the API layer renders them in
AWS's shape: ``__type`` is the class name, ``message`` the text).

    EngineError
    ├── ...DoesNotExist, ResourceNotFound          what was named is not there
    ├── ...AlreadyExists, ConflictException        it is, and differs from what was asked
    ├── Invalid...                                 a value AWS would refuse
    ├── ExecutionNotRedrivable, StateMachineTypeNotSupported, StateMachineDeleting
    └── ValidationException, TaskTimedOut
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


class ActivityDoesNotExist(EngineError):
    pass


class StateMachineAlreadyExists(EngineError):
    pass


class StateMachineDeleting(EngineError):
    pass


class ConflictException(EngineError):
    pass


class ValidationException(EngineError):
    """``reason``: AWS's ValidationExceptionReason, when the refusal has one."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason


class InvalidName(EngineError):
    pass


class InvalidLoggingConfiguration(EngineError):
    pass


class InvalidTracingConfiguration(EngineError):
    pass


class InvalidOutput(EngineError):
    pass


class TooManyTags(EngineError):
    pass
