"""The recorded Lambda handlers' stand-ins, for a server the conformance cases run through.

``stepline serve --functions stepline.conformance.served_functions`` offers each stand-in
under every name ``remote_cases.served_function_name`` may give a case's functions.
"""

from __future__ import annotations

from stepline.conformance.functions import HANDLERS, Handler
from stepline.conformance.remote_cases import SERVED_NAME_LENGTHS, served_function_name

_MOST_FUNCTIONS_OF_ONE_HANDLER = 4

FUNCTIONS: dict[str, Handler] = {
    served_function_name(handler_file, ordinal, length): handler
    for handler_file, handler in HANDLERS.items()
    for ordinal in range(1, _MOST_FUNCTIONS_OF_ONE_HANDLER + 1)
    for length in SERVED_NAME_LENGTHS
}
