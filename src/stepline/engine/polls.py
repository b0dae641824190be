"""Long polls of activity workers (GetActivityTask): each waits, up to its deadline, for a
task of its activity, without holding a database transaction or a thread of its own.

A poll is a ``Future``: a caller may block on it (``result()``) or await it (a server wraps
it with ``asyncio.wrap_future``). One thread (``stepline-activities``), alive only while
polls wait, hands tasks out: the oldest poll of an activity first, as soon as this node's
loop announces a new task for that activity (``queued``), and every ``recheck_seconds`` in
case another node queued one; a poll whose deadline passes gets the empty answer ``{}``.
A poll cancelled before a task was taken for it (its client went away) is skipped.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("stepline.engine")

Answer = dict[str, Any]
Take = Callable[[str, "str | None"], "Answer | None"]
"""Takes the oldest task of an activity for a worker: (activity ARN, worker) -> answer."""
Waiting = Callable[[list[str]], set[str]]
"""Which of these activities have a task to hand out (a read, to spare write transactions)."""


@dataclass(eq=False)
class Poll:
    activity_arn: str
    worker_name: str | None
    deadline: float
    """``time.monotonic()`` at which the poll gives up with ``{}``."""
    answer: Future[Answer] = field(default_factory=Future)


class Polls:
    """The polls waiting on one node, and the thread that answers them."""

    def __init__(
        self,
        take: Take,
        waiting: Waiting,
        stopping: threading.Event,
        recheck_seconds: float = 0.5,
    ) -> None:
        self._take = take
        self._waiting = waiting
        self._stopping = stopping
        self.recheck_seconds = recheck_seconds
        self._condition = threading.Condition()
        self._polls: dict[str, collections.deque[Poll]] = {}
        self._fresh: set[str] = set()
        self._thread: threading.Thread | None = None

    def add(self, poll: Poll) -> None:
        """Wait for a task of ``poll``'s activity (answered through ``poll.answer``)."""
        with self._condition:
            self._polls.setdefault(poll.activity_arn, collections.deque()).append(poll)
            self._fresh.add(poll.activity_arn)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, name="stepline-activities", daemon=True
                )
                self._thread.start()
            self._condition.notify()

    def queued(self, activity_arn: str) -> None:
        """A task of ``activity_arn`` was just queued (called by the loop after its commit)."""
        with self._condition:
            if activity_arn in self._polls:
                self._fresh.add(activity_arn)
                self._condition.notify()

    def __len__(self) -> int:
        with self._condition:
            return sum(len(polls) for polls in self._polls.values())

    # The thread ----------------------------------------------------------------------------

    def _serve(self) -> None:
        recheck_at = 0.0
        while True:
            with self._condition:
                now = time.monotonic()
                self._expire(now, everything=self._stopping.is_set())
                if not self._polls:
                    self._thread = None  # a later poll starts another
                    return
                if not self._fresh and now < recheck_at:
                    earliest = min(p.deadline for polls in self._polls.values() for p in polls)
                    self._condition.wait(max(0.0, min(recheck_at, earliest) - now))
                    continue
                if now >= recheck_at:
                    self._fresh.update(self._polls)
                    recheck_at = now + self.recheck_seconds
                looking, self._fresh = sorted(self._fresh), set()
            try:
                self._hand_out(looking)
            except Exception:  # the store is down, or closing: try again at the next look
                log.warning("activity polls could not be answered", exc_info=True)
                self._stopping.wait(self.recheck_seconds)

    def _expire(self, now: float, *, everything: bool) -> None:
        for activity_arn, polls in list(self._polls.items()):
            for poll in list(polls):
                if poll.answer.done():
                    polls.remove(poll)  # cancelled by its caller
                elif everything or poll.deadline <= now:
                    polls.remove(poll)
                    _resolve(poll, {})
            if not polls:
                del self._polls[activity_arn]
                self._fresh.discard(activity_arn)

    def _hand_out(self, activities: list[str]) -> None:
        for activity_arn in self._waiting(activities):
            while True:
                poll = self._next(activity_arn)
                if poll is None:
                    break
                try:
                    answer = self._take(activity_arn, poll.worker_name)
                except BaseException:
                    self._put_back(poll)
                    raise
                if answer is None:
                    self._put_back(poll)
                    break
                if not _resolve(poll, answer):
                    # Cancelled while its task was taken: the task is that worker's, as if it
                    # had died holding it (TimeoutSeconds and HeartbeatSeconds end it).
                    log.warning("an activity task was taken for a poll that went away")

    def _next(self, activity_arn: str) -> Poll | None:
        with self._condition:
            polls = self._polls.get(activity_arn)
            while polls:
                poll = polls.popleft()
                if not poll.answer.done():
                    return poll
            return None

    def _put_back(self, poll: Poll) -> None:
        with self._condition:
            self._polls.setdefault(poll.activity_arn, collections.deque()).appendleft(poll)


def _resolve(poll: Poll, answer: Answer) -> bool:
    """Answer ``poll``; False if its caller had cancelled it."""
    if not poll.answer.set_running_or_notify_cancel():
        return False
    try:
        poll.answer.set_result(answer)
    except InvalidStateError:  # pragma: no cover - answered twice: the first answer stands
        return False
    return True
