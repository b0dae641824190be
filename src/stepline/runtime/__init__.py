"""The interpreter: a definition compiled once into a plan, executions run against it.

Running a definition in-process (users' own test suites, the CLI, the conformance runner and
the benchmarks)::

    from stepline.runtime import FakeClock, FunctionRegistry, compile_definition, run_execution

    plan = compile_definition(definition_text_or_dict)
    result = run_execution(plan, '{"x": 1}', clock=FakeClock())
    result.status, result.output, result.error, result.cause, result.history()
"""

from stepline.runtime.clock import Clock, FakeClock, SystemClock
from stepline.runtime.execution import (
    ExecutionResult,
    InvalidDefinitionError,
    Plan,
    compile_definition,
    run_execution,
)
from stepline.runtime.functions import FunctionRegistry, LambdaContext
from stepline.runtime.test_state import (
    InvalidDefinition,
    InvalidExecutionInput,
    RequestError,
    ValidationException,
    run_test_state,
    test_state,
)

__all__ = [
    "Clock",
    "ExecutionResult",
    "FakeClock",
    "FunctionRegistry",
    "InvalidDefinition",
    "InvalidDefinitionError",
    "InvalidExecutionInput",
    "LambdaContext",
    "Plan",
    "RequestError",
    "SystemClock",
    "ValidationException",
    "compile_definition",
    "run_execution",
    "run_test_state",
    "test_state",
]
