"""``--functions MODULE``: the user's modules whose functions Lambda Tasks call, imported from a
``.py`` file or by a dotted name found from the current directory; a module that is missing,
does not compile or fails on import is refused in one line."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from stepline.cli.errors import UsageError

if TYPE_CHECKING:
    from stepline.runtime.functions import FunctionRegistry


def load_functions(references: list[str]) -> FunctionRegistry:
    """Register each module's ``FUNCTIONS`` mapping, or else its public functions by name."""
    from stepline.runtime.functions import FunctionRegistry  # noqa: PLC0415 - loads slowly

    registry = FunctionRegistry()
    for reference in references:
        module = import_module(reference)
        declared = getattr(module, "FUNCTIONS", None)
        if isinstance(declared, dict):
            for name, handler in declared.items():
                registry.register(str(name), handler)
            continue
        for name, value in vars(module).items():
            defined_here = inspect.isfunction(value) and value.__module__ == module.__name__
            if defined_here and not name.startswith("_"):
                registry.register(name, value)
    return registry


def import_module(reference: str) -> ModuleType:
    """The module a ``.py`` path or a dotted name designates, imported."""
    if reference.endswith(".py"):
        return _import_file(reference)
    return _import_dotted(reference)


def _import_file(reference: str) -> ModuleType:
    path = Path(reference)
    if path.is_dir():
        raise _refused(reference, "it is a directory")
    if not path.is_file():
        raise _refused(reference, "no such file")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise _refused(reference, "not a Python module")
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader
    _run_import(reference, lambda: loader.exec_module(module))
    return module


def _import_dotted(reference: str) -> ModuleType:
    if "/" in reference or "\\" in reference or not reference.strip(".").strip():
        raise _refused(reference, "name a .py file or a dotted module name such as pkg.handlers")
    # The ``stepline`` script's path starts at its own directory, not at the user's.
    here = os.getcwd()
    if here not in sys.path and "" not in sys.path:
        sys.path.insert(0, here)
    found: list[ModuleType] = []
    _run_import(reference, lambda: found.append(importlib.import_module(reference)))
    return found[0]


def _run_import(reference: str, importing: Callable[[], object]) -> None:
    """Run ``importing``, turning whatever the import raises into one line."""
    try:
        importing()
    except ModuleNotFoundError as error:
        if error.name is not None and _is_prefix(error.name, reference):
            raise _refused(
                reference, f"no module named {error.name!r} (looked from {os.getcwd()})"
            ) from None
        raise _refused(reference, f"importing it failed: {error}") from None
    except SyntaxError as error:
        where = f"{error.filename}, line {error.lineno}" if error.filename else "its source"
        raise _refused(reference, f"syntax error in {where}: {error.msg}") from None
    except (Exception, SystemExit) as error:
        raise _refused(reference, f"importing it failed: {type(error).__name__}: {error}") from None


def _is_prefix(name: str, reference: str) -> bool:
    """Whether the missing module is ``reference`` itself or one of its parent packages."""
    return reference == name or reference.startswith(f"{name}.")


def _refused(reference: str, reason: str) -> UsageError:
    return UsageError(f"--functions {reference}: {reason}")
