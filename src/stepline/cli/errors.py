"""What ends a command early: one line for standard error and the exit status it stands for.

::

    CommandError                  one line, an exit status
    ├── UsageError          (2)   the user's arguments, files, input or function modules
    ├── ServerRefused       (3)   the server answered with an AWS error code and message
    ├── ServerUnreachable   (4)   nothing answered at the endpoint
    └── Interrupted       (130)   Ctrl-C while following an execution, which goes on

``main`` prints ``stepline <command>: <line>`` and exits with the status; no command lets a
traceback reach the user. A finished execution that did not succeed is no error: the command
prints its error and cause and returns ``FAILED`` itself.
"""

from __future__ import annotations

SUCCEEDED = 0
FAILED = 1
"""The work was done and failed: an execution did not succeed, a definition has problems."""
USAGE = 2
REFUSED = 3
UNREACHABLE = 4
INTERNAL = 70
"""A fault of Stepline's own (``EX_SOFTWARE``); ``STEPLINE_DEBUG=1`` shows the traceback."""
INTERRUPTED = 130
BROKEN_PIPE = 141

EXIT_STATUSES = f"""\
exit status:
  {SUCCEEDED:<4} success (an execution waited for or watched SUCCEEDED)
  {FAILED:<4} the work failed: an execution ended FAILED, TIMED_OUT or ABORTED, a definition
       has problems (validate), a conformance case failed
  {USAGE:<4} a usage mistake: an argument, an unreadable definition or input file, input that
       is not JSON, a --functions module that cannot be imported, an invalid definition (run)
  {REFUSED:<4} the server refused the request (its AWS error code and message are printed)
  {UNREACHABLE:<4} no server answered at the endpoint (start one with `stepline serve`)
  {INTERNAL:<4} a fault in Stepline itself (STEPLINE_DEBUG=1 shows the traceback)
  {INTERRUPTED:<4} interrupted (Ctrl-C); {BROKEN_PIPE} when the output's reader went away"""
"""The epilog of ``stepline --help``."""


class CommandError(Exception):
    """A command cannot go on: ``str(error)`` is the line to print."""

    status = INTERNAL

    def __init__(self, message: str) -> None:
        # A message from elsewhere (a server, an exception) may span lines: keep one.
        super().__init__(" ".join(message.split()))


class UsageError(CommandError):
    status = USAGE


class ServerRefused(CommandError):
    """The server's answer to a request, an AWS error: ``code`` and ``message``."""

    status = REFUSED

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


class ServerUnreachable(CommandError):
    status = UNREACHABLE


class Interrupted(CommandError):
    """Ctrl-C where the user should know what goes on without them."""

    status = INTERRUPTED
