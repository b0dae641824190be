"""What remote commands print: aligned tables, labelled fields, JSON with ISO dates, short
durations, cells cut to one line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from stepline.cli.output import (
    between,
    cut,
    duration,
    moment,
    pretty_json,
    print_fields,
    print_json,
    print_table,
)


def test_a_table_aligns_its_columns_on_the_widest_cell(capsys: pytest.CaptureFixture[str]) -> None:
    print_table(
        ("NAME", "STATUS", "DURATION"),
        [["first", "SUCCEEDED", "1.0s"], ["a-longer-name", "FAILED", ""]],
        empty="no executions",
    )
    assert capsys.readouterr().out == (
        "NAME           STATUS     DURATION\n"
        "first          SUCCEEDED  1.0s\n"
        "a-longer-name  FAILED\n"
    )


def test_an_empty_table_says_so_on_standard_error(capsys: pytest.CaptureFixture[str]) -> None:
    print_table(("NAME",), [], empty="no state machines")
    assert capsys.readouterr() == ("", "(no state machines)\n")


def test_fields_without_a_value_are_left_out(capsys: pytest.CaptureFixture[str]) -> None:
    print_fields([("Name", "first"), ("Error", None), ("State machine", "orders"), ("Cause", "")])
    assert capsys.readouterr().out == "Name           first\nState machine  orders\n"


def test_cells_are_cut_to_one_line() -> None:
    assert cut("a\n  b") == "a b"
    assert cut("x" * 100, limit=10) == "x" * 9 + "…"
    assert cut("x" * 10, limit=10) == "x" * 10


def test_json_shows_dates_in_iso_8601(capsys: pytest.CaptureFixture[str]) -> None:
    moment_ = datetime(2026, 1, 31, 14, 5, 9, 120000, tzinfo=UTC)
    print_json({"startDate": moment_, "name": "é"})
    assert json.loads(capsys.readouterr().out) == {
        "startDate": "2026-01-31T14:05:09.120000+00:00",
        "name": "é",
    }
    with pytest.raises(TypeError, match="cannot show set as JSON"):
        print_json({"odd": {1}})


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "0.0s"), (0.44, "0.4s"), (59.9, "59.9s"), (65, "1m 05s"), (3600 + 61, "1h 01m")],
)
def test_durations_are_short(seconds: float, shown: str) -> None:
    assert duration(seconds) == shown


def test_dates_are_shown_in_local_time_to_the_second() -> None:
    moment_ = datetime(2026, 1, 31, 14, 5, 9, 999000, tzinfo=UTC)
    assert moment(moment_) == moment_.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    assert moment(None) == ""
    assert between(moment_, moment_ + timedelta(seconds=2.5)) == "2.5s"
    assert between(moment_, None) == ""


def test_json_text_is_indented_and_other_text_left_alone() -> None:
    assert pretty_json('{"a":[1]}') == '{\n  "a": [\n    1\n  ]\n}'
    assert pretty_json("not json") == "not json"
    assert pretty_json(None) is None
