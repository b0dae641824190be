"""Durability with real processes: engine nodes run as OS processes of their own
(``python -m tests.durability.node``) on the real clock, and are killed with SIGKILL, frozen
with SIGSTOP, cut off from PostgreSQL, left unaware of a commit (``proxy``), or see PostgreSQL
itself restart; every execution must still end exactly once, as it would have without any of
it (``checks.verify``).

    python -m pytest tests/durability                      # all of it, about 3 minutes
    python -m pytest -m "not slow"                         # everything else, without it
    STEPLINE_DURABILITY_EXECUTIONS=200 STEPLINE_DURABILITY_SEED=42 python -m pytest tests/durability

Every test that runs nodes is marked ``slow``. Each prints its seed: the same seed draws the
same kill (freeze, cut, restart) moments again. On a failure the tests print the tail of every
node's log, and say where the whole logs are.
"""
