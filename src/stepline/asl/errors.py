"""ASL runtime errors: the catchable errors a state can raise, and how Retry/Catch match them.

The exception tree::

    StatesError                 any ASL error, carrying the name Retry/Catch match on and a cause
    ├── (one subclass per predefined ``States.*`` name, e.g. StatesRuntime)
    └── TaskError               a Task's own error, with whatever name its resource gave it

Definition problems are never raised: they are collected as diagnostics (``asl.diagnostics``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

ALL = "States.ALL"
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
TIMEOUT = "States.Timeout"
TASK_FAILED = "States.TaskFailed"
PERMISSIONS = "States.Permissions"
RESULT_PATH_MATCH_FAILURE = "States.ResultPathMatchFailure"
PARAMETER_PATH_FAILURE = "States.ParameterPathFailure"
QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"
BRANCH_FAILED = "States.BranchFailed"
NO_CHOICE_MATCHED = "States.NoChoiceMatched"
INTRINSIC_FAILURE = "States.IntrinsicFailure"
EXCEEDS_TOLERATED_FAILURE_THRESHOLD = "States.ExceedToleratedFailureThreshold"
ITEM_READER_FAILED = "States.ItemReaderFailed"
RESULT_WRITER_FAILED = "States.ResultWriterFailed"
RUNTIME = "States.Runtime"
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"

# Errors that the wildcards States.ALL and States.TaskFailed never match: AWS treats them as
# terminal unless a retrier or catcher names them explicitly. (AWS's guide says the same of
# States.DataLimitExceeded, but executions recorded on AWS show States.ALL catching a Task
# result over the quota, so Stepline follows the recordings; see docs/conformance.md.)
_NOT_MATCHED_BY_WILDCARDS = frozenset({RUNTIME})


class StatesError(Exception):
    """An ASL runtime error, identified by ``error`` (the name Retry/Catch match) and ``cause``."""

    name: ClassVar[str] = ""

    def __init__(self, cause: str = "", error: str | None = None) -> None:
        self.error = error if error is not None else self.name
        self.cause = cause
        super().__init__(f"{self.error}: {cause}" if cause else self.error)


class TaskError(StatesError):
    """An error raised by a Task's resource, with the name the resource chose."""

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(cause, error)


class StatesRuntime(StatesError):
    name = RUNTIME


class StatesTimeout(StatesError):
    name = TIMEOUT


class StatesHeartbeatTimeout(StatesError):
    name = HEARTBEAT_TIMEOUT


class StatesTaskFailed(StatesError):
    name = TASK_FAILED


class StatesResultPathMatchFailure(StatesError):
    name = RESULT_PATH_MATCH_FAILURE


class StatesParameterPathFailure(StatesError):
    name = PARAMETER_PATH_FAILURE


class StatesQueryEvaluationError(StatesError):
    name = QUERY_EVALUATION_ERROR


class StatesBranchFailed(StatesError):
    name = BRANCH_FAILED


class StatesNoChoiceMatched(StatesError):
    name = NO_CHOICE_MATCHED


class StatesIntrinsicFailure(StatesError):
    name = INTRINSIC_FAILURE


class StatesExceedToleratedFailureThreshold(StatesError):
    name = EXCEEDS_TOLERATED_FAILURE_THRESHOLD


class StatesItemReaderFailed(StatesError):
    name = ITEM_READER_FAILED


class StatesResultWriterFailed(StatesError):
    name = RESULT_WRITER_FAILED


class StatesDataLimitExceeded(StatesError):
    name = DATA_LIMIT_EXCEEDED


def error_matches(error_equals: Sequence[str], error: str) -> bool:
    """Whether a retrier's or catcher's ``ErrorEquals`` list matches the error name ``error``."""
    for candidate in error_equals:
        if candidate == error:
            return True
        if error in _NOT_MATCHED_BY_WILDCARDS:
            continue
        if candidate == ALL:
            return True
        if candidate == TASK_FAILED and error != TIMEOUT:
            return True
    return False
