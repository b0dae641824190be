"""ASL intrinsic functions (``States.Format(...)`` and the other 17), parsed once into closures.

``compile_intrinsic(text)`` parses a call and returns an ``Intrinsic`` whose ``evaluate(scope)``
runs it. Problems a definition validator must reject (syntax, unknown functions, wrong argument
counts) raise ``InvalidIntrinsic`` at compile time. At run time a function given unusable
arguments raises ``StatesIntrinsicFailure``; a path argument that names nothing raises
``jsonpath.PathNotFound`` unchanged. A payload template turns either into the ``States.Runtime``
error AWS records, with ``runtime_failure``.
"""

from stepline.asl.intrinsics.arguments import runtime_failure
from stepline.asl.intrinsics.catalog import FUNCTION_NAMES
from stepline.asl.intrinsics.parser import Intrinsic, InvalidIntrinsic, compile_intrinsic

__all__ = [
    "FUNCTION_NAMES",
    "Intrinsic",
    "InvalidIntrinsic",
    "compile_intrinsic",
    "runtime_failure",
]
