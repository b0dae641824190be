"""Running an execution to its end in this process: ``run_execution``, and the child
executions of distributed Maps, each run to its end in turn when its parent starts it."""

from __future__ import annotations

from typing import Any, Unpack

from stepline.runtime.clock import Clock
from stepline.runtime.driver import drive
from stepline.runtime.effects import ExecutionEnded, StartExecution
from stepline.runtime.execution import (
    ExecutionOptions,
    ExecutionResult,
    Plan,
    compile_definition,
    execution_result,
    start_execution,
)
from stepline.runtime.functions import FunctionRegistry
from stepline.runtime.transition import ExecutionRun


def run_execution(
    plan: Plan, input_text: str | None = None, **options: Unpack[ExecutionOptions]
) -> ExecutionResult:
    """Run one execution of ``plan`` to its end with ``input_text`` (JSON text, default ``{}``);
    ``options`` as ``start_execution`` takes them."""
    run = start_execution(plan, input_text, **options)
    drive(run, children=ChildRunner(run.functions, run.clock))
    return execution_result(run)


def drive_run(run: ExecutionRun, between: Any = None) -> Any:
    """Drive ``run`` to its end in this process, child executions included."""
    return drive(run, between=between, children=ChildRunner(run.functions, run.clock))


class ChildRunner:
    """Runs each child execution a parent starts, to its end, on the parent's clock."""

    def __init__(self, functions: FunctionRegistry, clock: Clock) -> None:
        self.functions = functions
        self.clock = clock
        self._plans: dict[tuple[str, str], Plan] = {}

    def __call__(self, effect: StartExecution, region: str, account: str) -> ExecutionEnded:
        plan_key = (effect.definition, effect.execution_type)
        plan = self._plans.get(plan_key)
        if plan is None:
            plan = self._plans[plan_key] = compile_definition(
                effect.definition, state_machine_type=effect.execution_type
            )
        run = start_execution(
            plan,
            effect.input,
            functions=self.functions,
            clock=self.clock,
            execution_name=effect.name,
            state_machine_name=effect.state_machine_arn.split(":stateMachine:", 1)[-1],
            region=region,
            account=account,
            execution_arn=effect.arn,
        )
        drive(run, children=self)
        ending = run.result
        assert ending is not None
        return ExecutionEnded(effect.key, ending.status, ending.output, ending.error, ending.cause)
