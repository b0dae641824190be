"""What a start names (a state machine, one of its versions, or an alias), resolved to the
definition and compiled plan it runs, and kept while the catalog does not change.

Resolving reads the catalog (the state machine, the version or alias and its versions) and the
definition; a start of the same ARN a moment later would read the same rows again. ``Targets``
keeps each ARN's routes with the catalog revision it read them at (``store.catalog_revision``:
every change of a state machine, version or alias raises it, on whichever node) and resolves
again once the revision has moved, so a start never runs what the catalog no longer says
(ADR 0010). Definitions never change, and plans are compiled once per definition.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from stepline.runtime import Plan
from stepline.store import Definition
from stepline.store.records import StateMachineRecord


@dataclass(frozen=True, slots=True)
class Resolved:
    """One thing a start may run: the state machine, the definition id and role, the version
    and alias it goes through, and the weight of that route (100 for all but aliases)."""

    machine: StateMachineRecord
    definition_id: int
    role: str
    version_arn: str | None = None
    alias_arn: str | None = None
    weight: int = 100


@dataclass(frozen=True, slots=True)
class Target:
    """What a start names, resolved: the state machine, the definition and plan to run, the
    role, and the version and alias it went through."""

    machine_arn: str
    definition: Definition
    plan: Plan
    role: str
    version_arn: str | None
    alias_arn: str | None
    starts_at_once: bool = False
    """Whether a start's first run is short enough to make where the request arrived (a few
    states that never wait: ``FIRST_RUN_LIMIT``)."""


@dataclass(frozen=True, slots=True)
class Route:
    target: Target
    weight: int


FIRST_RUN_LIMIT = 100
"""The most states a start's first run may enter for it to be made at once on a server's
event loop (ADR 0010): about 2 ms of work at the most."""


class Targets:
    """Routes by the ARN a start names, each kept with the catalog revision it was resolved
    at and used only while that revision is the current one."""

    def __init__(
        self,
        revision: Callable[[], int],
        resolve: Callable[[str], tuple[Route, ...]],
        *,
        size: int = 1024,
    ) -> None:
        self._revision = revision
        self._resolve = resolve
        self.size = size
        self._routes: dict[str, tuple[int, tuple[Route, ...]]] = {}

    def target(self, arn: str) -> Target:
        """What a start of ``arn`` runs now (an alias's version drawn by weight)."""
        routes = self.routes(arn)
        if len(routes) == 1:
            return routes[0].target
        return random.choices(routes, weights=[route.weight for route in routes])[0].target

    def starts_at_once(self, arn: str) -> bool:
        """Whether every target a start of ``arn`` may run starts at once."""
        return all(route.target.starts_at_once for route in self.routes(arn))

    def routes(self, arn: str) -> tuple[Route, ...]:
        # The revision is read before the rows: rows read after a change are kept under the
        # older revision, which only makes the next start resolve them again.
        revision = self._revision()
        kept = self._routes.get(arn)
        if kept is not None and kept[0] == revision:
            return kept[1]
        routes = self._resolve(arn)
        if len(self._routes) >= self.size:
            self._routes = {}
        self._routes[arn] = (revision, routes)
        return routes

    def __len__(self) -> int:
        return len(self._routes)
