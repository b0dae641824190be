"""Map: runs its item processor once per item (inline, or as child runs when distributed)."""

from __future__ import annotations

from typing import Any

from stepline.asl.ambient import random_uuid
from stepline.asl.errors import QUERY_EVALUATION_ERROR, RUNTIME, StatesError
from stepline.asl.jsontext import dumps, type_name
from stepline.asl.model import MapState, Payload
from stepline.asl.scope import JSON, Scope
from stepline.asl.templates import compile_template
from stepline.runtime.dataflow import (
    jsonata_evaluator,
    path_selector,
    result_placer,
    template_transform,
)
from stepline.runtime.effects import Routine
from stepline.runtime.entry import Entry
from stepline.runtime.retry import with_retries
from stepline.runtime.state_plan import (
    MachineCompiler,
    StatePlan,
    Step,
    compile_catchers,
    record_evaluation_failure,
)
from stepline.runtime.states.fanout import can_wait, number_reader
from stepline.runtime.states.map_iterations import (
    DistributedRun,
    concurrency_limit,
    run_concurrently,
    run_distributed,
    run_in_order,
    tolerated_failures,
)


class MapPlan(StatePlan):
    can_retry = True
    suspends = True

    def __init__(self, state: MapState, compile_machine: MachineCompiler) -> None:
        super().__init__(state)
        self.map_model = state
        self.processor = compile_machine(state.item_processor)
        self.is_distributed = state.item_processor.processor_mode == "DISTRIBUTED"
        self.can_wait = can_wait(state.item_processor)
        self.retriers = state.retry
        self.catchers = compile_catchers(state, self.is_jsonata)
        self.items_path = path_selector(state.items_path, "ItemsPath")
        self.items = jsonata_evaluator(state.items, "Items")
        self.item_selector = (
            compile_template(state.item_selector.value, "ItemSelector")
            if state.item_selector is not None and not self.is_jsonata
            else None
        )
        self.jsonata_item_selector = (
            jsonata_evaluator(state.item_selector, "ItemSelector") if self.is_jsonata else None
        )
        self.result_selector = template_transform(state.result_selector, "ResultSelector")
        self.place = result_placer(state.result_path)
        self.batcher = state.item_batcher.value if state.item_batcher is not None else None
        batcher: dict[str, Any] = self.batcher or {}
        self.batch_size_path = (
            path_selector(batcher["MaxItemsPerBatchPath"], "MaxItemsPerBatchPath")
            if "MaxItemsPerBatchPath" in batcher
            else None
        )
        self.batch_input = (
            template_transform(Payload(batcher["BatchInput"]), "BatchInput")
            if "BatchInput" in batcher and not self.is_jsonata
            else None
        )
        lang = self.is_jsonata
        self.max_concurrency = number_reader(
            lang, state.max_concurrency, state.max_concurrency_path, "MaxConcurrency", "integer"
        )
        self.tolerated_count = number_reader(
            lang,
            state.tolerated_failure_count,
            state.tolerated_failure_count_path,
            "ToleratedFailureCount",
            "integer",
        )
        self.tolerated_percentage = number_reader(
            lang,
            state.tolerated_failure_percentage,
            state.tolerated_failure_percentage_path,
            "ToleratedFailurePercentage",
            "float",
        )

    def run(self, entry: Entry) -> Routine[Step]:
        data = entry.input
        if not self.is_jsonata and self.select_input is not None:
            data = self.select_input(entry, data)
        try:
            results = yield from self._map(entry, data)
        except StatesError as error:
            # Failures of the Map's own configuration end it at once; everything else (items
            # that are not an array, failed iterations) is recorded as MapStateFailed first.
            if error.error != RUNTIME:
                record_evaluation_failure(entry, error)
                entry.frame.add_event("MapStateFailed")
            raise
        if self.is_jsonata:
            return self.finish_jsonata(entry, results, result=results)
        if self.result_selector is not None:
            results = self.result_selector(entry, results)
        return self.finish_jsonpath(entry, results, self.place)

    def _map(self, entry: Entry, data: JSON) -> Routine[list[JSON]]:
        limit = 0
        if self.max_concurrency is not None:
            limit = int(self.max_concurrency(entry, data))
        inputs = self._inputs(entry, data)

        def attempt() -> Routine[list[JSON]]:
            entry.frame.add_event("MapStateStarted", {"length": len(inputs)})
            tolerance = self._tolerance(entry, data, len(inputs))
            if self.is_distributed:
                run = self._distributed_run(entry, limit, tolerance)
                return (yield from self._run_distributed(entry, run, inputs))
            if self.can_wait and limit != 1 and len(inputs) > 1:
                return (
                    yield from run_concurrently(entry, self.name, self.processor, inputs, limit)
                )
            return (yield from run_in_order(entry, self.name, self.processor, inputs))

        return (yield from with_retries(self.retriers, entry.frame.execution, attempt))

    def _inputs(self, entry: Entry, data: JSON) -> list[JSON]:
        """Each iteration's input: the items, selected and batched."""
        items = self._items(entry, data)
        inputs = [self._select_item(entry, data, index, item) for index, item in enumerate(items)]
        if self.batcher is not None:
            inputs = self._batch(entry, data, inputs)
        return inputs

    # Items ----------------------------------------------------------------------------------

    def _items(self, entry: Entry, data: JSON) -> list[JSON]:
        if self.is_jsonata:
            if self.items is not None:
                items = self.items(entry, {})
                if not isinstance(items, list):
                    raise _items_type_error(entry, self.map_model, items)
                return items
            items = entry.input
        else:
            items = self.items_path(entry, data) if self.items_path is not None else data
        if not isinstance(items, list):
            error = QUERY_EVALUATION_ERROR if self.is_jsonata else RUNTIME
            raise StatesError(
                f"{entry.prefix()}Map state input must be an array but was: {dumps(items)}", error
            )
        return items

    def _select_item(self, entry: Entry, data: JSON, index: int, item: JSON) -> JSON:
        if self.item_selector is None and self.jsonata_item_selector is None:
            return item
        context = dict(entry.context())
        context["Map"] = {"Item": {"Index": index, "Value": item}}
        if self.is_jsonata:
            assert self.jsonata_item_selector is not None
            return self.jsonata_item_selector(entry, {"context": context})
        assert self.item_selector is not None
        return self.item_selector.evaluate(
            Scope(data, context, entry.variables, entry.frame.execution)
        )

    def _batch(self, entry: Entry, data: JSON, inputs: list[JSON]) -> list[JSON]:
        batcher: dict[str, Any] = self.batcher or {}
        size = batcher.get("MaxItemsPerBatch")
        if size is None and self.batch_size_path is not None:
            size = self.batch_size_path(entry, data)
        size = int(size) if size else len(inputs) or 1
        batch_input = batcher.get("BatchInput")
        if self.batch_input is not None:
            batch_input = self.batch_input(entry, data)
        batches = []
        for start in range(0, len(inputs), size):
            batch: dict[str, JSON] = {}
            if batch_input is not None:
                batch["BatchInput"] = batch_input
            batch["Items"] = inputs[start : start + size]
            batches.append(batch)
        return batches

    def _tolerance(self, entry: Entry, data: JSON, count: int) -> tuple[int, int, float]:
        """How many iterations may fail before the Map fails (distributed mode only), from
        ToleratedFailureCount and ToleratedFailurePercentage (both also returned)."""
        tolerated_count = 0
        percentage = 0.0
        if self.tolerated_count is not None:
            value = self.tolerated_count(entry, data)
            if value < 0:
                raise entry.runtime_error("ToleratedFailureCount cannot be negative.")
            tolerated_count = int(value)
        if self.tolerated_percentage is not None:
            percentage = float(self.tolerated_percentage(entry, data))
            if not 0 <= percentage <= 100:
                raise entry.runtime_error("ToleratedFailurePercentage must be between 0 and 100.")
        return tolerated_failures(count, tolerated_count, percentage), tolerated_count, percentage

    def _distributed_run(
        self, entry: Entry, limit: int, tolerance: tuple[int, int, float]
    ) -> DistributedRun:
        execution = entry.frame.execution
        machine_arn = execution.state_machine_object["Id"]
        label = self.map_model.label or self.name
        run_id = random_uuid(execution)
        processor = dict(self.map_model.item_processor.source or {})
        processor.pop("ProcessorConfig", None)
        processor.setdefault("QueryLanguage", self.map_model.item_processor.query_language)
        tolerated, count, percentage = tolerance
        return DistributedRun(
            name=self.name,
            arn=machine_arn.replace(":stateMachine:", ":mapRun:", 1) + f"/{label}:{run_id}",
            run_id=run_id,
            machine_arn=f"{machine_arn}/{label}",
            definition=dumps(processor),
            execution_type=self.map_model.item_processor.execution_type or "STANDARD",
            processor=self.processor,
            max_concurrency=concurrency_limit(limit),
            max_concurrency_setting=limit,
            tolerance=tolerated,
            tolerated_count=count,
            tolerated_percentage=percentage,
        )

    # Iterations -----------------------------------------------------------------------------

    def _run_distributed(
        self, entry: Entry, run: DistributedRun, inputs: list[JSON]
    ) -> Routine[list[JSON]]:
        frame = entry.frame
        frame.add_event("MapRunStarted", {"mapRunArn": run.arn})
        tip = frame.last_event_id
        results = yield from run_distributed(entry, run, inputs)
        frame.add_event("MapRunSucceeded")
        frame.add_event("MapStateSucceeded")
        frame.last_event_id = tip
        return results


def _items_type_error(entry: Entry, state: MapState, items: JSON) -> StatesError:
    expression = str(state.items.value if state.items else "")[2:-2].strip()
    if not isinstance(items, dict | list | str | int | float | bool | type(None)):
        detail = "returned an unsupported result type."
    else:
        detail = (
            f"returned an unexpected result type. Expected 'array', but was '{type_name(items)}' "
            f"for value: {dumps(items)}"
        )
    error = StatesError(
        f"{entry.prefix()}The JSONata expression '{expression}' specified for the field "
        f"'Items' {detail}",
        QUERY_EVALUATION_ERROR,
    )
    error.location = "Items"  # type: ignore[attr-defined]
    return error
