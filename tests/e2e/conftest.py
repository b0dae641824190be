"""A Stepline server per test module (``server``), and boto3 clients for it (``sfn``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.server import Server, running_server

FUNCTIONS = str(Path(__file__).with_name("functions.py"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("server")
    with running_server(directory, "--functions", FUNCTIONS) as running:
        yield running


@pytest.fixture
def sfn(server: Server) -> Any:
    return server.client()
