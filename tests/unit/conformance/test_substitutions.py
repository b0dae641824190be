"""The snapshot rewrites, checked on recorded cases and on values the corpus documents."""

from __future__ import annotations

from typing import Any

from stepline.conformance.cases import Case
from stepline.conformance.substitutions import (
    Names,
    Substitutions,
    convert_outputs_to_json,
    parse_json_strings,
)
from tests.unit.conformance.recorded import NAMES, recorded_case


def _case(substitutions: list[dict[str, object]], placeholders: list[str] | None = None) -> Case:
    return Case(
        {
            "id": "synthetic",
            "kind": "execution",
            "substitutions": substitutions,
            "placeholders_in_expected": placeholders or [],
        }
    )


def test_only_strings_that_open_an_object_are_parsed() -> None:
    document = {"a": '{"x":"{\\"y\\":1}"}', "b": "[1,2]", "c": "1", "d": [{"e": '{"f":2}'}]}
    parse_json_strings(document)
    # What was just parsed is not looked into again: the inner object stays text.
    assert document == {"a": {"x": '{"y":1}'}, "b": "[1,2]", "c": "1", "d": [{"e": {"f": 2}}]}


def test_convert_output_parses_scalars_and_arrays_but_not_inputs() -> None:
    document: dict[str, Any] = {
        "events": [
            {"stateEnteredEventDetails": {"input": "1"}},
            {"stateExitedEventDetails": {"output": "[1,2]"}},
            {"stateExitedEventDetails": {"output": "not json"}},
        ]
    }
    convert_outputs_to_json(document)
    events = document["events"]
    assert events[0] == {"stateEnteredEventDetails": {"input": "1"}}
    assert events[1] == {"stateExitedEventDetails": {"output": [1, 2]}}
    assert events[2] == {"stateExitedEventDetails": {"output": "not json"}}


def test_names_region_partition_and_dates_become_placeholders() -> None:
    case = _case(
        [
            {"type": "Regex", "placeholder": "<ArnPart_0idx>", "replaces": "state_machine_name"},
            {
                "type": "Regex",
                "placeholder": "<ExecArnPart_0idx>",
                "replaces": "execution_name",
                "index": 0,
                "this_case": True,
            },
        ]
    )
    arn = f"arn:aws:states:us-east-1:111111111111:execution:{NAMES.state_machine_name}"
    document = {
        "Id": f"{arn}:{NAMES.execution_name}",
        "Start": "2024-03-10T16:23:46.123Z",
        "NotADate": "2016-13-05T21:29:29Z",
        "NoZone": "2016-12-05T21:29:29",
    }
    assert Substitutions(case, NAMES).apply(document) == {
        "Id": "arn:<partition>:states:<region>:111111111111:execution:"
        "<ArnPart_0idx>:<ExecArnPart_0idx>",
        "Start": "date",
        "NotADate": "2016-13-05T21:29:29Z",
        "NoZone": "2016-12-05T21:29:29",
    }


def test_uuids_under_id_keys_are_numbered_and_replaced_everywhere() -> None:
    first, second = "3f2a1b4c-5d6e-4f70-8192-a3b4c5d6e7f8", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    document = {
        "uniqueId": first,
        "other": {"RequestID": second, "text": f"see {first}"},
        "notAnId": second,
        "uuid": first,
    }
    assert Substitutions(_case([]), NAMES).apply(document) == {
        "uniqueId": "<uuid:1>",
        "other": {"RequestID": "<uuid:2>", "text": "see <uuid:1>"},
        "notAnId": "<uuid:2>",
        "uuid": "<uuid:1>",
    }


def test_jsonpath_descent_overwrites_and_key_value_replaces_references() -> None:
    case = _case(
        [
            {"type": "Jsonpath", "placeholder": "start-time", "jsonpath": "$..StartTime"},
            {"type": "KeyValue", "placeholder": "QueueUrl", "key": "QueueUrl"},
        ]
    )
    document = {"a": {"StartTime": "x"}, "QueueUrl": "https://q/1", "copy": "at https://q/1"}
    assert Substitutions(case, NAMES).apply(document) == {
        "a": {"StartTime": "start-time"},
        "QueueUrl": "QueueUrl",
        "copy": "at QueueUrl",
    }


def test_value_from_execution_output_masks_the_generated_value() -> None:
    case = recorded_case("TestUniqueIdGeneration::test_uuid")
    generated = "9b2c6a1e-0d3f-4c7a-b5e8-1f2a3b4c5d6e"
    output = {"FunctionResult": generated}
    substitutions = Substitutions(case, Names("exec", "machine"), output=output)
    assert substitutions.apply({"output": output}) == {
        "output": {"FunctionResult": "generated-uuid"}
    }


def test_map_run_arns_are_numbered_when_the_case_used_them() -> None:
    case = _case([], ["<MapRunArnPart0_0idx>", "<MapRunArnPart1_0idx>"])
    arn = "arn:aws:states:us-east-1:111111111111:mapRun:machine/label-7:0a1b2c3d"
    assert Substitutions(case, NAMES).apply({"mapRunArn": arn}) == {
        "mapRunArn": "arn:<partition>:states:<region>:111111111111:mapRun:machine/"
        "<MapRunArnPart0_0idx>:<MapRunArnPart1_0idx>"
    }
