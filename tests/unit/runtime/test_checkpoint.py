"""Checkpoints: a run turned into JSON at any step and rebuilt goes on exactly as if it had
stayed in memory, and the language's random values come from the execution's seed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stepline.runtime import (
    CheckpointError,
    FakeClock,
    FunctionRegistry,
    Plan,
    checkpoint,
    compile_definition,
    resume,
    start_execution,
)
from stepline.runtime.transition import ExecutionRun

from .scripted import START, play

FUNCTION = "arn:aws:lambda:us-east-1:111111111111:function:"
SEED = bytes(range(16))


def task(name: str, function: str = "echo", **fields: Any) -> dict[str, Any]:
    return {name: {"Type": "Task", "Resource": FUNCTION + function, **fields}}


def echo(event: Any, context: Any) -> Any:
    return {"echo": event}


def flaky(event: Any, context: Any) -> Any:
    if isinstance(event, dict) and event.get("fail"):
        raise ValueError("asked to fail")
    return event


FUNCTIONS = FunctionRegistry({"echo": echo, "flaky": flaky})

RETRY = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 2,
          "JitterStrategy": "FULL"}]  # fmt: skip

MAP_OF_TASK_AND_WAIT = {
    "StartAt": "Fan",
    "States": {
        "Fan": {
            "Type": "Map",
            "MaxConcurrency": 2,
            "ItemProcessor": {
                "StartAt": "Call",
                "States": {
                    **task("Call", Next="Pause"),
                    "Pause": {"Type": "Wait", "Seconds": 5, "Next": "Id"},
                    "Id": {
                        "Type": "Pass",
                        "Parameters": {"id.$": "States.UUID()", "n.$": "States.MathRandom(1, 9)"},
                        "End": True,
                    },
                },
            },
            "Next": "Last",
        },
        **task("Last", End=True),
    },
}

NESTED = {
    "StartAt": "Both",
    "States": {
        "Both": {
            "Type": "Parallel",
            "Branches": [
                {
                    "StartAt": "Each",
                    "States": {
                        "Each": {
                            "Type": "Map",
                            "ItemsPath": "$.items",
                            "ItemProcessor": {
                                "StartAt": "Try",
                                "States": {
                                    **task("Try", "flaky", Retry=RETRY, Next="Nap"),
                                    "Nap": {"Type": "Wait", "Seconds": 1, "End": True},
                                },
                            },
                            "End": True,
                        }
                    },
                },
                {
                    "StartAt": "Other",
                    "States": {
                        **task("Other", Next="Think"),
                        "Think": {
                            "Type": "Pass",
                            "QueryLanguage": "JSONata",
                            "Output": "{% {'r': $random(), 'u': $uuid(), 't': $now()} %}",
                            "End": True,
                        },
                    },
                },
            ],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
            "End": True,
        },
        "Caught": {"Type": "Pass", "End": True},
    },
}

FAILING_MAP = {
    "StartAt": "Fan",
    "States": {
        "Fan": {
            "Type": "Map",
            "ItemProcessor": {
                "StartAt": "Try",
                "States": {**task("Try", "flaky", Next="Nap"),
                           "Nap": {"Type": "Wait", "Seconds": 3, "End": True}},
            },
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 1}],
            "End": True,
        }
    },
}  # fmt: skip

SEQUENTIAL_WAITS = {
    "StartAt": "Fan",
    "States": {
        "Fan": {
            "Type": "Map",
            "ItemProcessor": {
                "StartAt": "Nap",
                "States": {"Nap": {"Type": "Wait", "SecondsPath": "$", "End": True}},
            },
            "Next": "Branches",
        },
        "Branches": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 2, "End": True}}},
                {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}},
            ],
            "End": True,
        },
    },
}

CASES = {
    "map of task and wait": (MAP_OF_TASK_AND_WAIT, "[1, 2, 3, 4]"),
    "nested parallel, map, retry": (NESTED, '{"items": [{"fail": false}, {"fail": true}, {}]}'),
    "nested, all succeed": (NESTED, '{"items": [{}, {"x": 1}]}'),
    "failing map retried": (FAILING_MAP, '[{"fail": true}, {}, {}]'),
    "sequential waits": (SEQUENTIAL_WAITS, "[3, 1, 2]"),
}


def new_run(plan: Plan, input_text: str) -> ExecutionRun:
    return start_execution(
        plan, input_text, clock=FakeClock(), execution_name="checkpointed", seed=SEED
    )


@pytest.mark.parametrize("order", [0, 1, 2, 3])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_run_rebuilt_at_every_step_records_what_a_run_in_memory_records(
    case: str, order: int
) -> None:
    definition, input_text = CASES[case]
    plan = compile_definition(definition)
    kept, kept_script = play(plan, new_run(plan, input_text), FUNCTIONS, seed=order)
    rebuilt, rebuilt_script = play(
        plan, new_run(plan, input_text), FUNCTIONS, seed=order, rebuild_every_step=True
    )
    assert rebuilt_script.rebuilds > 1
    assert rebuilt_script.signals == kept_script.signals
    assert rebuilt_script.history() == kept_script.history()
    assert rebuilt.result == kept.result
    assert kept.result is not None


def test_a_fork_in_progress_is_rebuilt_without_replaying_finished_units() -> None:
    plan = compile_definition(MAP_OF_TASK_AND_WAIT)
    _, script = play(plan, new_run(plan, "[1, 2, 3, 4]"), FUNCTIONS, rebuild_every_step=True)
    forks = [saved["root"]["fork"] for saved in script.checkpoints if saved["root"]["fork"]]
    assert forks, "the Map's fork was checkpointed while it ran"
    # Once iterations have ended, the checkpoint holds their outputs, not their runs.
    late = forks[-1]
    assert len(late["outcomes"]) == 3
    assert len(late["running"]) == 1
    running = next(iter(late["running"].values()))
    assert running["state"] in {"Call", "Pause"}
    assert len(running["journal"]) <= 2


def test_the_same_seed_gives_the_same_random_values_and_another_seed_others() -> None:
    plan = compile_definition(NESTED)
    text = '{"items": [{}]}'
    first = play(plan, new_run(plan, text), FUNCTIONS)[1].history()
    second = play(plan, new_run(plan, text), FUNCTIONS)[1].history()
    assert first == second
    other_run = start_execution(
        plan, text, clock=FakeClock(), execution_name="checkpointed", seed=b"another seed!!!!"
    )
    other = play(plan, other_run, FUNCTIONS)[1].history()
    assert other != first
    assert [event["type"] for event in other] == [event["type"] for event in first]


def test_jsonata_now_is_the_time_of_the_transition() -> None:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Nap",
        "States": {
            "Nap": {"Type": "Wait", "Seconds": 90, "Next": "When"},
            "When": {"Type": "Pass", "Output": "{% [$now(), $millis()] %}", "End": True},
        },
    }
    plan = compile_definition(definition)
    run, _ = play(plan, new_run(plan, "{}"), FUNCTIONS)
    assert run.result is not None
    assert json.loads(run.result.output or "") == [
        "2001-02-03T04:06:36.000Z",
        int((START + 90) * 1000),
    ]


def test_a_checkpoint_of_another_definition_is_refused() -> None:
    plan = compile_definition(MAP_OF_TASK_AND_WAIT)
    run = new_run(plan, "[1]")
    run.start(START)
    saved = checkpoint(run)
    other = compile_definition({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    with pytest.raises(CheckpointError):
        resume(other, saved)
    with pytest.raises(CheckpointError):
        resume(plan, {**saved, "version": 99})
    with pytest.raises(CheckpointError):
        resume(plan, {"version": 1})
    broken = json.loads(json.dumps(saved))
    broken["root"]["journal"] = []
    with pytest.raises(CheckpointError):
        resume(plan, broken)


def test_finished_and_unstarted_runs_round_trip() -> None:
    plan = compile_definition({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    run = new_run(plan, '{"a": 1}')
    rebuilt = resume(plan, json.loads(json.dumps(checkpoint(run))))
    assert not rebuilt.finished
    rebuilt.start(START)
    assert rebuilt.result is not None
    assert rebuilt.result.output == '{"a": 1}'
    again = resume(plan, json.loads(json.dumps(checkpoint(rebuilt))))
    assert again.result == rebuilt.result
    assert again.start(START) == []
