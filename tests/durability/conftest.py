"""Settings of the durability tests, from the environment:

- ``STEPLINE_DURABILITY_EXECUTIONS``: how many executions each run starts (default 1000);
- ``STEPLINE_DURABILITY_SEED``: the seed of the kill (and cut, and restart) moments; each test
  prints the one it used, so a failure can be run again with the same moments.
"""

from __future__ import annotations

import os
import random

import pytest

DEFAULT_EXECUTIONS = 1000


@pytest.fixture
def executions() -> int:
    return int(os.environ.get("STEPLINE_DURABILITY_EXECUTIONS") or DEFAULT_EXECUTIONS)


@pytest.fixture
def seed(request: pytest.FixtureRequest) -> int:
    configured = os.environ.get("STEPLINE_DURABILITY_SEED")
    value = int(configured) if configured else random.SystemRandom().randrange(2**32)
    print(f"STEPLINE_DURABILITY_SEED={value} reproduces this test's moments")
    request.node.user_properties.append(("seed", value))
    return value
