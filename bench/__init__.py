"""Benchmarks: Stepline against moto's ASL interpreter, measured in the same process.

A workload file (``bench/workloads/<name>.json``) becomes a :class:`Workload`. Each side
(``bench.stepline_side``, ``bench.peers``) runs it a number of times, checks every output against
``expected_output`` and returns the elapsed seconds of the timed loop; ``bench.run`` turns those
into rates and ratios.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WORKLOAD_DIR = Path(__file__).parent / "workloads"

# Workloads a single process can run today; the others need the server and the durable engine.
IN_PROCESS_WORKLOADS = ("pass100", "choice_loop", "map1000")


class OutputMismatchError(AssertionError):
    """An execution did not succeed, or its output differs from the workload's expected output."""


@dataclass(frozen=True, slots=True)
class Workload:
    """One benchmark: an ASL definition, its input, the output every execution must produce."""

    name: str
    definition: dict[str, Any]
    input: Any
    expected_output: Any
    units_per_execution: int
    unit: str
    executions: int

    @property
    def input_text(self) -> str:
        """The input as JSON text, the form both sides' APIs take."""
        return json.dumps(self.input)


def workload_from_document(document: dict[str, Any]) -> Workload:
    """Build a workload from a parsed workload file; Map workloads are counted in items."""
    if "items" in document:
        units, unit = int(document["items"]), "items/s"
    else:
        units, unit = int(document["states_entered_per_execution"]), "transitions/s"
    return Workload(
        name=str(document["name"]),
        definition=document["definition"],
        input=document["input"],
        expected_output=document["expected_output"],
        units_per_execution=units,
        unit=unit,
        executions=int(document["harness"]["executions"]),
    )


def load_workload(name: str) -> Workload:
    """Read ``bench/workloads/<name>.json``."""
    text = (WORKLOAD_DIR / f"{name}.json").read_text(encoding="utf-8")
    return workload_from_document(json.loads(text))


def check_outputs(workload: Workload, outcomes: list[tuple[str, str | None]]) -> None:
    """Raise unless every ``(status, output_text)`` is SUCCEEDED with the expected output."""
    for index, (status, output_text) in enumerate(outcomes):
        if status != "SUCCEEDED":
            message = f"{workload.name}: execution {index} ended {status}"
            raise OutputMismatchError(message)
        output = None if output_text is None else json.loads(output_text)
        if output != workload.expected_output:
            message = f"{workload.name}: execution {index} returned {output_text}"
            raise OutputMismatchError(message)
