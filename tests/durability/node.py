"""One Stepline node as an OS process of its own, for the durability tests to kill.

    python -m tests.durability.node --store URL --functions tests.durability.workflow \
        [--node NAME] [--lease-seconds 2] [--poll-seconds 0.5]

Runs the engine's loop on the real clock until SIGTERM or SIGINT (then leaves cleanly) or
SIGKILL (then leaves nothing but what it committed). ``--functions`` names a module with a
``functions()`` that returns the ``FunctionRegistry`` (or ``MODULE:ATTRIBUTE``). It prints
``ready NODE PID`` on stdout once its loop runs, and logs to stderr; it exits with status 3
if one of the engine's threads dies.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import threading
from types import FrameType

from stepline.engine import Engine
from stepline.runtime import FunctionRegistry, SystemClock

ENGINE_THREADS = frozenset({"stepline-engine", "stepline-listen"})
DIED = 3
"""The exit status of a node whose engine thread died."""


def load_functions(reference: str) -> FunctionRegistry:
    """The registry ``MODULE[:ATTRIBUTE]`` names (ATTRIBUTE defaults to ``functions``)."""
    module_name, _, attribute = reference.partition(":")
    found = getattr(importlib.import_module(module_name), attribute or "functions")
    registry = found() if callable(found) else found
    if not isinstance(registry, FunctionRegistry):
        raise SystemExit(f"{reference} is not a FunctionRegistry")
    return registry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.durability.node")
    parser.add_argument("--store", required=True, help="sqlite:///PATH or postgresql://...")
    parser.add_argument("--functions", required=True, help="MODULE[:ATTRIBUTE]")
    parser.add_argument("--node", default=None)
    parser.add_argument("--lease-seconds", type=float, default=5.0)
    parser.add_argument("--poll-seconds", type=float, default=1.0)
    arguments = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s.%(msecs)03d %(process)d %(threadName)s %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
    )
    stopping = threading.Event()

    def stop(signal_number: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    engine = Engine(
        arguments.store,
        functions=load_functions(arguments.functions),
        clock=SystemClock(),
        node=arguments.node,
        lease_seconds=arguments.lease_seconds,
        poll_seconds=arguments.poll_seconds,
    )
    engine.start()
    log = logging.getLogger("stepline.node")
    # The engine's own threads: if one dies (an exception its loop did not handle) the
    # process would linger doing nothing; exit instead, so the test sees it at once.
    threads = [thread for thread in threading.enumerate() if thread.name in ENGINE_THREADS]
    log.info("node %s running (%s)", engine.node, ", ".join(t.name for t in threads))
    print(f"ready {engine.node} {os.getpid()}", flush=True)
    while not stopping.wait(0.2):
        dead = [thread.name for thread in threads if not thread.is_alive()]
        if dead:
            log.error("node %s: thread %s died; exiting", engine.node, ", ".join(dead))
            logging.shutdown()
            os._exit(DIED)
    engine.close()
    log.info("node %s left", engine.node)
    return 0


if __name__ == "__main__":
    sys.exit(main())
