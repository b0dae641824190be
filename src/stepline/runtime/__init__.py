"""The interpreter: a definition compiled once into a plan, executions run against it.

Running a definition in-process (users' own test suites, the CLI, the conformance runner and
the benchmarks)::

    from stepline.runtime import FakeClock, FunctionRegistry, compile_definition, run_execution

    plan = compile_definition(definition_text_or_dict)
    result = run_execution(plan, '{"x": 1}', clock=FakeClock())
    result.status, result.output, result.error, result.cause, result.history()

Step by step, answering each Task yourself (what a durable driver does with ``advance``)::

    from stepline.runtime import (
        TaskSucceeded, advance, checkpoint, execution_result, resume, start, start_execution,
    )

    run = start_execution(plan, '{"x": 1}', clock=FakeClock())
    effects = start(run)                     # e.g. [Dispatch(key=1, resource=..., ...)]
    saved = checkpoint(run)                  # JSON-ready: store it, drop the run
    run = resume(plan, saved)                # ...and rebuild it later, anywhere
    advance(run, TaskSucceeded(effects[0].key, {"ok": True}))
    execution_result(run).status             # once run.finished
"""

from stepline.runtime.clock import Clock, FakeClock, SystemClock
from stepline.runtime.effects import (
    Cancel,
    Dispatch,
    StartTimer,
    TaskFailed,
    TaskHeartbeat,
    TaskStarted,
    TaskSucceeded,
    TimerFired,
)
from stepline.runtime.execution import (
    ExecutionResult,
    InvalidDefinitionError,
    Plan,
    compile_definition,
    execution_result,
    resume,
    start_execution,
)
from stepline.runtime.functions import FunctionRegistry, LambdaContext
from stepline.runtime.in_process import run_execution
from stepline.runtime.machine_run import CheckpointError
from stepline.runtime.test_state import (
    InvalidDefinition,
    InvalidExecutionInput,
    RequestError,
    ValidationException,
    run_test_state,
    test_state,
)
from stepline.runtime.transition import (
    Ending,
    ExecutionRun,
    NotRedrivable,
    SignalRefused,
    advance,
    checkpoint,
    redrive,
    start,
    stop,
)

__all__ = [
    "Cancel",
    "CheckpointError",
    "Clock",
    "Dispatch",
    "Ending",
    "ExecutionResult",
    "ExecutionRun",
    "FakeClock",
    "FunctionRegistry",
    "InvalidDefinition",
    "InvalidDefinitionError",
    "InvalidExecutionInput",
    "LambdaContext",
    "NotRedrivable",
    "Plan",
    "RequestError",
    "SignalRefused",
    "StartTimer",
    "SystemClock",
    "TaskFailed",
    "TaskHeartbeat",
    "TaskStarted",
    "TaskSucceeded",
    "TimerFired",
    "ValidationException",
    "advance",
    "checkpoint",
    "compile_definition",
    "execution_result",
    "redrive",
    "resume",
    "run_execution",
    "run_test_state",
    "start",
    "start_execution",
    "stop",
    "test_state",
]
