"""Scratch PostgreSQL databases: created on a server for one run (a benchmark, a conformance
run) and dropped afterwards, so that the run starts empty and leaves nothing behind."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager

_numbers = itertools.count(1)


@contextmanager
def scratch_database(admin_url: str, prefix: str) -> Iterator[str]:
    """Create ``<prefix><pid>_<n>`` through ``admin_url`` (any database of that server the
    user may connect to); the new database's URL; dropped on leaving, whoever is still in it."""
    import psycopg  # noqa: PLC0415 - only PostgreSQL users need it
    from psycopg import sql  # noqa: PLC0415

    name = f"{prefix}{os.getpid()}_{next(_numbers)}"
    identifier = sql.Identifier(name)
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(identifier))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(identifier))
    try:
        yield with_database(admin_url, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            connection.execute(drop.format(identifier))


def with_database(url: str, name: str) -> str:
    """``url`` naming database ``name`` instead (its query string kept)."""
    base, _, query = url.partition("?")
    scheme, _, rest = base.partition("://")
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}/{name}" + (f"?{query}" if query else "")
