"""The AWS-recorded corpus through a real server, with boto3: what passes in-process passes
through the API too (``stepline conformance --endpoint``), the Express cases included."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stepline.conformance.cases import is_target, load_cases
from stepline.conformance.outcomes import CaseResult
from stepline.conformance.remote_cases import Endpoint
from stepline.conformance.runner import run_case
from tests.e2e.server import Server, running_server


@pytest.fixture(scope="module")
def conformance_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("conformance")
    arguments = ("--time-skipping", "--functions", "stepline.conformance.served_functions")
    with running_server(directory, *arguments) as running:
        yield running


@pytest.fixture(scope="module")
def outcomes(conformance_server: Server) -> dict[str, tuple[CaseResult, CaseResult]]:
    """Each case's outcome in-process and through the server."""
    endpoint = Endpoint(conformance_server.url)
    return {case.id: (run_case(case), run_case(case, endpoint=endpoint)) for case in load_cases()}


def test_the_corpus_passes_through_the_server_as_it_does_in_process(
    outcomes: dict[str, tuple[CaseResult, CaseResult]],
) -> None:
    differing = {
        case_id: f"in-process {local.outcome}, through the server {remote.outcome}: {remote.detail}"
        for case_id, (local, remote) in outcomes.items()
        if local.outcome != remote.outcome and case_id not in _SERVED_ONLY
    }
    assert differing == {}


_SERVED_ONLY = {case.id for case in load_cases() if "activities" in case.needs}
"""Cases only a server runs: their activity workers ask it for tasks over the API."""


def test_activity_cases_run_through_the_server_with_their_workers(
    outcomes: dict[str, tuple[CaseResult, CaseResult]],
) -> None:
    assert len(_SERVED_ONLY) >= 4
    for case_id in _SERVED_ONLY:
        local, remote = outcomes[case_id]
        assert local.outcome == "skipped"
        assert remote.outcome == "passed", remote.detail


def test_timestamps_derived_from_now_are_regenerated_from_the_servers_clock(
    outcomes: dict[str, tuple[CaseResult, CaseResult]],
) -> None:
    """The Wait boundary cases: 24855 days from "now" may be waited, 24856 may not; both hold
    only when the input's timestamp is shifted to the server's clock, not the recording's."""
    shifted = [case for case in load_cases() if case.timestamps_from_now]
    assert len(shifted) >= 2
    assert all(outcomes[case.id][1].outcome == "passed" for case in shifted)


def test_every_target_case_passes_through_the_server(
    outcomes: dict[str, tuple[CaseResult, CaseResult]],
) -> None:
    targets = [case for case in load_cases() if is_target(case)]
    assert len(targets) == 632
    failed = {case.id: outcomes[case.id][1].detail for case in targets}
    assert {key: why for key, why in failed.items() if outcomes[key][1].outcome != "passed"} == {}


@pytest.mark.parametrize("kind", ["sync_execution", "express_async"])
def test_express_cases_pass_through_the_server(
    outcomes: dict[str, tuple[CaseResult, CaseResult]], kind: str
) -> None:
    remote = [outcomes[case.id][1] for case in load_cases() if case.kind == kind]
    assert remote, f"no {kind} case in the corpus"
    failed = {result.case_id: result.detail for result in remote if result.outcome != "passed"}
    known = {case_id for case_id in failed if case_id in _corpus_known_failures()}
    assert set(failed) == known, failed


def _corpus_known_failures() -> set[str]:
    from stepline.conformance.known_failures import read_known_failures  # noqa: PLC0415

    path = Path(__file__).parents[1] / "conformance" / "corpus_known_failures.txt"
    return read_known_failures(path)
