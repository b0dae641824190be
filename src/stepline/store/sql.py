"""The store: one SQL layer for SQLite and PostgreSQL (``SqlStore``), assembled from its parts:
the dialect hooks and schema (``base``), records (``rows``), claims (``claims``), commits
(``commits``), the catalog of state machines, activities and tags (``catalog``) and the
activity tasks workers take (``activity_tasks``).

Every write of the engine goes through ``commit``: one transaction for a batch of steps,
which first checks (and, on PostgreSQL, locks) that this node still owns each execution at the
version it advanced, so a node that lost an execution can never write it.
"""

from __future__ import annotations

from stepline.store.activity_tasks import ActivityTasks
from stepline.store.base import DuplicateExecution, StoreError
from stepline.store.catalog import Catalog, DuplicateResource
from stepline.store.claims import Claims
from stepline.store.commits import Commits
from stepline.store.rows import Rows

__all__ = ["DuplicateExecution", "DuplicateResource", "SqlStore", "StoreError"]


class SqlStore(Rows, Claims, Commits, Catalog, ActivityTasks):
    """Everything but connecting, transactions and locking (see the dialect modules)."""
