"""Map (inline, distributed, legacy) and Parallel: results, item shaping, events, failures."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stepline.runtime import ExecutionResult, FakeClock, compile_definition, run_execution

PASS_THROUGH = {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}
FAIL_ON_ONE = {
    "StartAt": "I",
    "States": {
        "I": {
            "Type": "Choice",
            "Choices": [{"Variable": "$", "NumericEquals": 1, "Next": "Bad"}],
            "Default": "Good",
        },
        "Bad": {"Type": "Fail", "Error": "ItemError", "Cause": "item one"},
        "Good": {"Type": "Succeed"},
    },
}
DISTRIBUTED = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}


def execute(state: dict[str, Any], input_value: Any, **others: Any) -> ExecutionResult:
    definition = {"StartAt": "M", "States": {"M": {"End": True, **state}, **others}}
    return run_execution(compile_definition(definition), json.dumps(input_value), clock=FakeClock())


def types(result: ExecutionResult) -> list[str]:
    return [event["type"] for event in result.history()]


def map_state(processor: dict[str, Any] = PASS_THROUGH, **fields: Any) -> dict[str, Any]:
    return {"Type": "Map", "ItemProcessor": processor, **fields}


# Inline Map -----------------------------------------------------------------------------------


def test_inline_map_keeps_the_items_order() -> None:
    doubler = {
        "StartAt": "I",
        "States": {
            "I": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($, $)"}, "End": True}
        },
    }
    result = execute(map_state(doubler), [3, 1, 2])
    assert result.output_value == [{"v": 6}, {"v": 2}, {"v": 4}]
    assert types(result) == [
        "ExecutionStarted",
        "MapStateEntered",
        "MapStateStarted",
        *["MapIterationStarted", "PassStateEntered", "PassStateExited", "MapIterationSucceeded"]
        * 3,
        "MapStateSucceeded",
        "MapStateExited",
        "ExecutionSucceeded",
    ]
    started = result.history()[2]
    assert started["mapStateStartedEventDetails"] == {"length": 3}
    assert result.history()[3]["mapIterationStartedEventDetails"] == {"index": 0, "name": "M"}


def test_map_items_path_result_selector_and_result_path() -> None:
    state = map_state(
        ItemsPath="$.items",
        ResultSelector={"count.$": "States.ArrayLength($)"},
        ResultPath="$.summary",
    )
    result = execute(state, {"items": ["a", "b"], "keep": True})
    assert result.output_value == {"items": ["a", "b"], "keep": True, "summary": {"count": 2}}


def test_map_over_an_empty_array() -> None:
    result = execute(map_state(), [])
    assert result.output_value == []


def test_item_selector_sees_the_map_item_index_and_value() -> None:
    state = map_state(
        ItemsPath="$.items",
        ItemSelector={"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value", "k.$": "$.k"},
    )
    result = execute(state, {"items": ["a", "b"], "k": 0})
    assert result.output_value == [
        {"index": 0, "value": "a", "k": 0},
        {"index": 1, "value": "b", "k": 0},
    ]


def test_legacy_iterator_and_parameters() -> None:
    state = {
        "Type": "Map",
        "Iterator": PASS_THROUGH,
        "Parameters": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value"},
    }
    result = execute(state, ["x", "y"])
    assert result.output_value == [{"i": 0, "v": "x"}, {"i": 1, "v": "y"}]


def test_map_input_that_is_not_an_array_fails() -> None:
    result = execute(map_state(ItemsPath="$.items"), {"items": {"a": 1}})
    assert result.status == "FAILED"
    assert result.error == "States.Runtime"
    assert (result.cause or "").endswith('Map state input must be an array but was: {"a":1}')


def test_max_concurrency_path_is_read_from_the_input() -> None:
    state = map_state(MaxConcurrencyPath="$.limit", ItemsPath="$.items")
    result = execute(state, {"limit": 1, "items": [1, 2]})
    assert result.output_value == [1, 2]


@pytest.mark.parametrize(
    ("input_value", "message"),
    [
        (
            {"limit": "many", "items": []},
            'The MaxConcurrencyPath field refers to value "many" which is not a valid integer: '
            "$.limit",
        ),
        ({"items": []}, "Invalid path '$.limit' : No results for path: $.limit"),
    ],
)
def test_max_concurrency_path_errors(input_value: Any, message: str) -> None:
    result = execute(map_state(MaxConcurrencyPath="$.limit", ItemsPath="$.items"), input_value)
    assert result.error == "States.Runtime"
    assert (result.cause or "").endswith(message)


def test_a_failed_iteration_fails_the_map() -> None:
    result = execute(map_state(FAIL_ON_ONE), [0, 1, 2])
    assert result.status == "FAILED"
    assert (result.error, result.cause) == ("ItemError", "item one")
    assert types(result)[-4:] == [
        "FailStateEntered",
        "MapIterationFailed",
        "MapStateFailed",
        "ExecutionFailed",
    ]
    assert types(result).count("MapIterationStarted") == 2


def test_a_failed_map_can_be_caught() -> None:
    catcher = {"ErrorEquals": ["ItemError"], "ResultPath": "$.error", "Next": "Caught"}
    state = map_state(FAIL_ON_ONE, ItemsPath="$.items", Catch=[catcher])
    state.pop("End", None)
    definition = {
        "StartAt": "M",
        "States": {"M": state | {"End": True}, "Caught": {"Type": "Pass", "End": True}},
    }
    result = run_execution(compile_definition(definition), '{"items": [1]}', clock=FakeClock())
    assert result.output_value == {
        "items": [1],
        "error": {"Error": "ItemError", "Cause": "item one"},
    }


def test_a_retried_map_runs_all_its_iterations_again() -> None:
    state = map_state(FAIL_ON_ONE, Retry=[{"ErrorEquals": ["ItemError"], "MaxAttempts": 1}])
    clock = FakeClock()
    definition = {"StartAt": "M", "States": {"M": {**state, "End": True}}}
    result = run_execution(compile_definition(definition), "[1]", clock=clock)
    assert result.error == "ItemError"
    assert clock.slept == [1]
    assert types(result).count("MapStateStarted") == 2


def test_jsonata_map_items_item_selector_and_output() -> None:
    state = map_state(
        QueryLanguage="JSONata",
        Items="{% $states.input.values %}",
        ItemSelector={
            "at": "{% $states.context.Map.Item.Index %}",
            "v": "{% $states.context.Map.Item.Value %}",
        },
        Output="{% $states.result.v %}",
    )
    result = execute(state, {"values": [5, 6]})
    assert result.output_value == [5, 6]


def test_jsonata_map_without_items_iterates_its_input() -> None:
    assert execute(map_state(QueryLanguage="JSONata"), [1, 2]).output_value == [1, 2]


@pytest.mark.parametrize(("items", "kind"), [("5", "number"), ("'x'", "string"), ("{}", "object")])
def test_jsonata_map_items_that_are_not_an_array(items: str, kind: str) -> None:
    state = map_state(QueryLanguage="JSONata", Items="{% " + items + " %}")
    result = execute(state, {})
    assert result.error == "States.QueryEvaluationError"
    assert f"Expected 'array', but was '{kind}'" in (result.cause or "")
    assert types(result)[-3:] == ["EvaluationFailed", "MapStateFailed", "ExecutionFailed"]


# Distributed Map ------------------------------------------------------------------------------


def distributed(processor: dict[str, Any] = PASS_THROUGH, **fields: Any) -> dict[str, Any]:
    return map_state({**processor, "ProcessorConfig": DISTRIBUTED}, **fields)


def test_distributed_map_records_a_map_run() -> None:
    result = execute(distributed(Label="Run"), [0, 1])
    assert result.output_value == [0, 1]
    assert types(result) == [
        "ExecutionStarted",
        "MapStateEntered",
        "MapStateStarted",
        "MapRunStarted",
        "MapRunSucceeded",
        "MapStateSucceeded",
        "MapStateExited",
        "ExecutionSucceeded",
    ]
    arn = result.history()[3]["mapRunStartedEventDetails"]["mapRunArn"]
    assert arn.startswith("arn:aws:states:us-east-1:111111111111:mapRun:StateMachine/Run:")


def test_item_batcher_groups_items_with_the_batch_input() -> None:
    state = distributed(
        ItemsPath="$.items",
        ItemBatcher={"MaxItemsPerBatch": 2, "BatchInput": {"k.$": "$.k"}},
    )
    result = execute(state, {"items": [1, 2, 3], "k": "K"})
    assert result.output_value == [
        {"BatchInput": {"k": "K"}, "Items": [1, 2]},
        {"BatchInput": {"k": "K"}, "Items": [3]},
    ]


def test_item_batcher_max_items_per_batch_path() -> None:
    state = distributed(ItemsPath="$.items", ItemBatcher={"MaxItemsPerBatchPath": "$.size"})
    result = execute(state, {"items": [1, 2, 3], "size": 3})
    assert result.output_value == [{"Items": [1, 2, 3]}]


def test_a_failure_within_the_tolerated_count_succeeds() -> None:
    result = execute(distributed(FAIL_ON_ONE, ToleratedFailureCount=1), [0, 1, 2])
    assert result.status == "SUCCEEDED"
    assert "MapRunSucceeded" in types(result)


def test_failures_beyond_the_tolerated_count_fail_the_map() -> None:
    result = execute(distributed(FAIL_ON_ONE, ToleratedFailureCount=0), [0, 1, 2])
    assert result.status == "FAILED"
    assert result.error == "States.ExceedToleratedFailureThreshold"
    assert types(result)[-4:] == [
        "MapRunStarted",
        "MapRunFailed",
        "MapStateFailed",
        "ExecutionFailed",
    ]


@pytest.mark.parametrize(("percentage", "status"), [(50, "SUCCEEDED"), (10, "FAILED")])
def test_tolerated_failure_percentage(percentage: float, status: str) -> None:
    # One failure in four items is 25%.
    result = execute(distributed(FAIL_ON_ONE, ToleratedFailurePercentage=percentage), [0, 1, 2, 3])
    assert result.status == status


def test_tolerated_failure_count_path_and_percentage_path() -> None:
    state = distributed(
        FAIL_ON_ONE,
        ItemsPath="$.items",
        ToleratedFailureCountPath="$.count",
        ToleratedFailurePercentagePath="$.percentage",
    )
    result = execute(state, {"items": [0, 1], "count": 0, "percentage": "50"})
    assert result.status == "SUCCEEDED"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ToleratedFailureCountPath": "$.v"}, "ToleratedFailureCount cannot be negative."),
        (
            {"ToleratedFailurePercentagePath": "$.v"},
            "ToleratedFailurePercentage must be between 0 and 100.",
        ),
    ],
)
def test_tolerated_failure_out_of_range(fields: dict[str, Any], message: str) -> None:
    result = execute(distributed(ItemsPath="$.items", **fields), {"items": [0], "v": -1})
    assert result.error == "States.Runtime"
    assert (result.cause or "").endswith(message)


def test_jsonata_tolerated_failure_count() -> None:
    state = distributed(
        FAIL_ON_ONE, QueryLanguage="JSONata", ToleratedFailureCount="{% $count($states.input) %}"
    )
    assert execute(state, [1, 1]).status == "SUCCEEDED"


# Parallel -------------------------------------------------------------------------------------


def branch(result: Any, name: str = "B") -> dict[str, Any]:
    return {"StartAt": name, "States": {name: {"Type": "Pass", "Result": result, "End": True}}}


def echo(name: str) -> dict[str, Any]:
    return {"StartAt": name, "States": {name: {"Type": "Pass", "End": True}}}


def test_parallel_outputs_the_list_of_branch_outputs_in_order() -> None:
    state = {"Type": "Parallel", "Branches": [branch("one", "B1"), branch("two", "B2")]}
    result = execute(state, {})
    assert result.output_value == ["one", "two"]
    assert types(result) == [
        "ExecutionStarted",
        "ParallelStateEntered",
        "ParallelStateStarted",
        "PassStateEntered",
        "PassStateExited",
        "PassStateEntered",
        "PassStateExited",
        "ParallelStateSucceeded",
        "ParallelStateExited",
        "ExecutionSucceeded",
    ]


def test_parallel_branches_share_the_input_and_parameters() -> None:
    state = {
        "Type": "Parallel",
        "Branches": [echo("B1"), echo("B2")],
        "InputPath": "$.in",
        "Parameters": {"v.$": "$.v"},
        "ResultSelector": {"first.$": "$[0]"},
        "ResultPath": "$.out",
    }
    result = execute(state, {"in": {"v": 1}})
    # ResultPath places the result in the raw state input, not the InputPath selection.
    assert result.output_value == {"in": {"v": 1}, "out": {"first": {"v": 1}}}


def test_a_failed_branch_fails_the_parallel() -> None:
    failing = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "FailureType"}}}
    result = execute({"Type": "Parallel", "Branches": [failing]}, {})
    assert (result.status, result.error) == ("FAILED", "FailureType")
    events = result.history()
    assert [(e["id"], e["previousEventId"], e["type"]) for e in events] == [
        (1, 0, "ExecutionStarted"),
        (2, 0, "ParallelStateEntered"),
        (3, 2, "ParallelStateStarted"),
        (4, 3, "FailStateEntered"),
        (5, 4, "ParallelStateFailed"),
        (6, 5, "ExecutionFailed"),
    ]


def test_a_failed_parallel_can_be_caught() -> None:
    failing = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "c"}}}
    state = {
        "Type": "Parallel",
        "Branches": [branch(1), failing],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
    }
    result = execute(state, {}, Caught={"Type": "Pass", "End": True})
    assert result.output_value == {"Error": "E", "Cause": "c"}


def test_jsonata_parallel_arguments_and_output() -> None:
    state = {
        "Type": "Parallel",
        "QueryLanguage": "JSONata",
        "Branches": [echo("B1"), echo("B2")],
        "Arguments": "{% $states.input.x %}",
        "Output": "{% $sum($states.result) %}",
    }
    assert execute(state, {"x": 4}).output_value == 8


def test_jsonata_parallel_without_arguments() -> None:
    state = {"Type": "Parallel", "QueryLanguage": "JSONata", "Branches": [echo("B")]}
    assert execute(state, {"x": 4}).output_value == [{"x": 4}]
