"""The recorded Lambda handlers' stand-ins, for a server the conformance cases run through.

``stepline serve --functions stepline.conformance.served_functions`` offers each stand-in
under the name ``remote_cases`` gives a case's functions: the handler file's stem, and the
same numbered from 2 for a case that created several functions with one handler.
"""

from __future__ import annotations

from stepline.conformance.functions import HANDLERS, Handler
from stepline.conformance.remote_cases import served_function_name

_MOST_FUNCTIONS_OF_ONE_HANDLER = 4

FUNCTIONS: dict[str, Handler] = {
    served_function_name(handler_file, ordinal): handler
    for handler_file, handler in HANDLERS.items()
    for ordinal in range(1, _MOST_FUNCTIONS_OF_ONE_HANDLER + 1)
}
