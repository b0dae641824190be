"""The steps a compiled JSONPath is made of, and the walk that applies them in turn.

Each step selects what it names in one value: a member, an index, a slice, every child, every
descendant (``..``) or the elements a filter keeps. ``jsonpath`` parses text into these steps;
``jsonpath_filter`` builds the predicates that ``Filter`` holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from stepline.asl.scope import JSON

__all__ = [
    "DefiniteStep",
    "Descent",
    "Filter",
    "Index",
    "Indexes",
    "Name",
    "Names",
    "NoMatch",
    "Predicate",
    "Slice",
    "Step",
    "Wildcard",
    "render",
    "select_all",
]

Predicate = Callable[[JSON, JSON], bool]
"""A filter's test of one element, given the element and the document's root."""


class NoMatch(Exception):
    """Leaves a definite walk early; the caller turns it into ``PathNotFound``."""


@dataclass(frozen=True)
class Name:
    name: str
    is_definite = True

    def select(self, value: JSON, _root: JSON, out: list[JSON]) -> None:
        if isinstance(value, dict) and self.name in value:
            out.append(value[self.name])

    def one(self, value: JSON) -> JSON:
        if isinstance(value, dict) and self.name in value:
            return value[self.name]
        raise NoMatch

    def fragment(self) -> str:
        return f"['{self.name}']"


@dataclass(frozen=True)
class Names:
    """``['a','b']`` as a leaf: an object holding those of the keys that exist."""

    names: tuple[str, ...]
    is_definite = True

    def select(self, value: JSON, _root: JSON, out: list[JSON]) -> None:
        if isinstance(value, dict):
            out.append(self.one(value))

    def one(self, value: JSON) -> JSON:
        if not isinstance(value, dict):
            raise NoMatch
        return {name: value[name] for name in self.names if name in value}

    def fragment(self) -> str:
        return "[" + ", ".join(f"'{name}'" for name in self.names) + "]"


@dataclass(frozen=True)
class Index:
    index: int
    is_definite = True

    def select(self, value: JSON, _root: JSON, out: list[JSON]) -> None:
        if isinstance(value, list) and -len(value) <= self.index < len(value):
            out.append(value[self.index])

    def one(self, value: JSON) -> JSON:
        if isinstance(value, list) and -len(value) <= self.index < len(value):
            return value[self.index]
        raise NoMatch

    def fragment(self) -> str:
        return f"[{self.index}]"


@dataclass(frozen=True)
class Indexes:
    indexes: tuple[int, ...]
    is_definite = False

    def select(self, value: JSON, _root: JSON, out: list[JSON]) -> None:
        if isinstance(value, list):
            size = len(value)
            out.extend(value[index] for index in self.indexes if -size <= index < size)

    def fragment(self) -> str:
        return "[" + ",".join(str(index) for index in self.indexes) + "]"


@dataclass(frozen=True)
class Slice:
    start: int | None
    stop: int | None
    is_definite = False

    def select(self, value: JSON, _root: JSON, out: list[JSON]) -> None:
        if isinstance(value, list):
            out.extend(value[self.start : self.stop])

    def fragment(self) -> str:
        start = "" if self.start is None else str(self.start)
        stop = "" if self.stop is None else str(self.stop)
        return f"[{start}:{stop}]"


@dataclass(frozen=True)
class Wildcard:
    is_definite = False

    def select(self, value: JSON, _root: JSON, out: list[JSON]) -> None:
        if isinstance(value, dict):
            out.extend(value.values())
        elif isinstance(value, list):
            out.extend(value)

    def fragment(self) -> str:
        return "[*]"


def _descendants(value: JSON) -> Iterator[JSON]:
    """The value and everything inside it, parents before children (Jayway's scan order)."""
    yield value
    children = value.values() if isinstance(value, dict) else value
    if isinstance(value, dict | list):
        for child in children:
            yield from _descendants(child)


@dataclass(frozen=True)
class Descent:
    """``..step``: the inner step applied at every depth."""

    inner: Step
    is_definite = False

    def select(self, value: JSON, root: JSON, out: list[JSON]) -> None:
        for node in _descendants(value):
            self.inner.select(node, root, out)

    def fragment(self) -> str:
        return ".." + self.inner.fragment()


@dataclass(frozen=True)
class Filter:
    """``[?(...)]``: array elements (or an object itself) for which the predicate holds."""

    predicate: Predicate = field(compare=False)
    is_definite = False

    def select(self, value: JSON, root: JSON, out: list[JSON]) -> None:
        if isinstance(value, list):
            out.extend(item for item in value if self.predicate(item, root))
        elif isinstance(value, dict) and self.predicate(value, root):
            out.append(value)

    def fragment(self) -> str:
        return "[?]"


Step = Name | Names | Index | Indexes | Slice | Wildcard | Descent | Filter
"""One step of a path: ``select`` appends its matches, ``fragment`` is how Jayway prints it.

Definite steps (``Name``, ``Names``, ``Index``) also have ``one``: the single match or
``NoMatch``.
"""
DefiniteStep = Name | Names | Index


def render(steps: tuple[Step, ...]) -> str:
    return "$" + "".join(step.fragment() for step in steps)


def select_all(steps: tuple[Step, ...], value: JSON, root: JSON) -> list[JSON]:
    current = [value]
    for step in steps:
        found: list[JSON] = []
        for item in current:
            step.select(item, root, found)
        current = found
    return current
