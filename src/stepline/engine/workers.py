"""Carrying out dispatched work addressed to in-process functions, on a pool of threads.

Every answer (TaskStarted as the function begins, then its result or error) is handed to
``post`` with the execution it belongs to; the engine applies it in its next step. Work can
run more than once (after a node dies, the next owner dispatches again): what a function does
should be safe to repeat, as with any at-least-once task queue.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Callable
from typing import Any

from stepline.asl.errors import RUNTIME, StatesError
from stepline.runtime.clock import Clock
from stepline.runtime.effects import Dispatch, Signal, TaskFailed, TaskStarted, TaskSucceeded
from stepline.runtime.functions import FunctionRegistry

log = logging.getLogger("stepline.engine")

Post = Callable[[Any, Signal], None]


class Workers:
    def __init__(
        self, functions: FunctionRegistry, post: Post, clock: Clock, size: int = 16
    ) -> None:
        self.functions = functions
        self.post = post
        self.clock = clock
        self.pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=size, thread_name_prefix="stepline-worker"
        )
        self._lock = threading.Lock()
        self._in_flight = 0
        self.idle = threading.Event()
        self.idle.set()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def submit(self, owner: Any, dispatch: Dispatch, region: str, account: str) -> None:
        with self._lock:
            self._in_flight += 1
            self.idle.clear()
        self.pool.submit(self._work, owner, dispatch, region, account)

    def _work(self, owner: Any, dispatch: Dispatch, region: str, account: str) -> None:
        try:
            self.post(owner, TaskStarted(dispatch.key))
            self.post(owner, self._answer(dispatch, region, account))
        finally:
            with self._lock:
                self._in_flight -= 1
                if not self._in_flight:
                    self.idle.set()

    def _answer(self, dispatch: Dispatch, region: str, account: str) -> Signal:
        try:
            output = self.functions.perform(
                dispatch.resource,
                dispatch.parameters,
                region=region,
                account=account,
                now=self.clock.now(),
            )
        except StatesError as error:
            return TaskFailed(dispatch.key, error.error, error.cause)
        except Exception as error:  # a broken resource fails that task, not the worker
            log.exception("dispatched work %s failed unexpectedly", dispatch.key)
            return TaskFailed(dispatch.key, RUNTIME, f"{type(error).__name__}: {error}")
        return TaskSucceeded(dispatch.key, output)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
