"""Activities, as AWS's API has them: the catalog (CreateActivity, DescribeActivity,
DeleteActivity, ListActivities) and the workers' side (GetActivityTask; their answers come by
token, ``answer_task`` and the engine's ``send_task_*``).

A Task whose Resource is an activity queues its work in the outbox (``tasks``) like any other,
but no worker of Stepline's carries it out: it waits there until a worker asks for a task of
that activity. GetActivityTask takes the oldest untaken one atomically, records the worker and
tells the execution (a ``TaskStarted`` naming the worker, so ActivityStarted carries it) in
the same transaction, and returns its token and input; when none comes within the poll
(60 seconds, AWS's limit) it returns ``{}``. The poll waits in ``polls.Polls``, holding no
transaction and no thread of the loop; ``begin_get_activity_task`` hands back a ``Future``
that a server can await.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from stepline.asl.jsontext import dumps, loads
from stepline.engine import arns, errors
from stepline.engine.history import moment
from stepline.engine.loop import Loop
from stepline.engine.polls import Answer, Poll, Polls
from stepline.runtime.effects import Signal, TaskStarted, encode, parse_task_token, task_digest
from stepline.store import NewWakeup, SqlStore, TaskRecord
from stepline.store.catalog import DuplicateResource
from stepline.store.records import ActivityRecord

POLL_SECONDS = 60.0
"""How long GetActivityTask waits for a task at most (AWS's limit)."""
PAGE_LIMIT = 1000
NAME_LIMIT = 80
TAG_LIMIT = 50
OUTPUT_LIMIT_BYTES = 262_144
"""SendTaskSuccess's output (and a task's input) at most: 256 KiB of UTF-8."""
ERROR_LIMIT = 256
CAUSE_LIMIT = 32_768
ENCRYPTION_TYPES = ("AWS_OWNED_KEY", "CUSTOMER_MANAGED_KMS_KEY")
TASK_GONE = "Task Timed Out: 'Provided task does not exist anymore'"
"""AWS's answer to a token whose task timed out, was answered, or whose execution ended."""


class ActivityAlreadyExists(errors.EngineError):
    pass


class InvalidEncryptionConfiguration(errors.EngineError):
    pass


def _poll_seconds_from_environment() -> float:
    """``STEPLINE_ACTIVITY_POLL_SECONDS`` (a server's tests poll for less), else AWS's 60."""
    text = os.environ.get("STEPLINE_ACTIVITY_POLL_SECONDS")
    try:
        return POLL_SECONDS if text is None else max(0.0, float(text))
    except ValueError:
        return POLL_SECONDS


class Activities:
    """The activity half of the engine's API (mixed into ``Engine``)."""

    store: SqlStore
    region: str
    account: str
    loop: Loop
    _stopping: threading.Event

    activity_poll_seconds: float = _poll_seconds_from_environment()
    """How long GetActivityTask waits for a task (AWS: 60 s)."""
    activity_recheck_seconds: float = 0.5
    """How often waiting polls look for tasks another node queued."""
    _polls: Polls | None = None
    _polls_made = threading.Lock()

    def _now(self) -> float:
        raise NotImplementedError

    def nudge(self) -> None:
        raise NotImplementedError

    # The catalog --------------------------------------------------------------------------

    def create_activity(
        self,
        name: str,
        *,
        tags: Mapping[str, str] | None = None,
        encryption: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """CreateActivity: idempotent by name (a repeat with other tags changes nothing, as
        on AWS); a repeat with another encryption configuration is refused."""
        arns.check_name(name)
        settings = {} if encryption is None else {"encryptionConfiguration": _checked(encryption)}
        if tags is not None and len(tags) > TAG_LIMIT:
            raise errors.TooManyTags(f"Too many tags: a resource has at most {TAG_LIMIT}")
        arn = arns.activity(self.region, self.account, name)
        existing = self.store.activity(arn)
        if existing is None:
            try:
                self.store.add_activity(ActivityRecord(arn, name, self._now(), dumps(settings)))
            except DuplicateResource:
                existing = self.store.activity(arn)  # created at this moment by another call
            else:
                if tags:
                    self.store.tag(arn, dict(tags))
                existing = self.store.activity(arn)
        assert existing is not None
        if encryption is not None and loads(existing.settings) != settings:
            raise ActivityAlreadyExists(
                "Activity already exists. EncryptionConfiguration may not be updated."
            )
        return {"activityArn": arn, "creationDate": moment(existing.creation_date)}

    def describe_activity(self, activity_arn: str) -> dict[str, Any]:
        activity = self._activity(activity_arn)
        described: dict[str, Any] = {
            "activityArn": activity.arn,
            "name": activity.name,
            "creationDate": moment(activity.creation_date),
        }
        described.update(loads(activity.settings))
        return described

    def delete_activity(self, activity_arn: str) -> None:
        """DeleteActivity (of one that does not exist, too, as AWS answers). Tasks already
        queued for it wait for a worker, should it be created again."""
        _check_arn(activity_arn)
        self.store.delete_activity(activity_arn)

    def list_activities(
        self, *, max_results: int = 100, next_token: str | None = None
    ) -> dict[str, Any]:
        """ListActivities, by ARN, a page at a time (``max_results`` 0 means 100)."""
        if max_results > PAGE_LIMIT or max_results < 0:
            raise errors.ValidationException(
                f"1 validation error detected: Value '{max_results}' at 'maxResults' failed "
                f"to satisfy constraint: Member must have value less than or equal to {PAGE_LIMIT}"
            )
        limit = max_results or 100
        if next_token is not None and not _is_activity_arn(next_token):
            raise errors.InvalidToken("Invalid Token: 'Invalid token'")
        records = self.store.activities(limit=limit + 1, after=next_token)
        page = records[:limit]
        listed: dict[str, Any] = {
            "activities": [
                {
                    "activityArn": record.arn,
                    "name": record.name,
                    "creationDate": moment(record.creation_date),
                }
                for record in page
            ]
        }
        if len(records) > limit:
            listed["nextToken"] = page[-1].arn
        return listed

    def _activity(self, activity_arn: str) -> ActivityRecord:
        _check_arn(activity_arn)
        activity = self.store.activity(activity_arn)
        if activity is None:
            raise errors.ActivityDoesNotExist(f"Activity Does Not Exist: '{activity_arn}'")
        return activity

    # Workers ------------------------------------------------------------------------------

    def get_activity_task(
        self, activity_arn: str, worker_name: str | None = None, *, timeout: float | None = None
    ) -> Answer:
        """GetActivityTask, blocking: ``{"taskToken", "input"}``, or ``{}`` when no task came
        within ``timeout`` seconds (``activity_poll_seconds`` by default; 0 does not wait)."""
        return self.begin_get_activity_task(activity_arn, worker_name, timeout=timeout).result()

    def begin_get_activity_task(
        self, activity_arn: str, worker_name: str | None = None, *, timeout: float | None = None
    ) -> Future[Answer]:
        """GetActivityTask as a ``Future`` (a server awaits it without holding a thread):
        resolved at once when a task is waiting, else when one comes or the poll ends."""
        self._activity(activity_arn)
        if worker_name is not None and len(worker_name) > NAME_LIMIT:
            raise errors.ValidationException(
                f"1 validation error detected: Value '{worker_name}' at 'workerName' failed to "
                f"satisfy constraint: Member must have length less than or equal to "
                f"{NAME_LIMIT}"
            )
        answer = None
        if self.store.untaken_activities([activity_arn]):  # a read: no write lock for nothing
            answer = self._take_activity_task(activity_arn, worker_name)
        seconds = self.activity_poll_seconds if timeout is None else timeout
        if answer is not None or seconds <= 0:
            done: Future[Answer] = Future()
            done.set_result(answer or {})
            return done
        poll = Poll(activity_arn, worker_name, time.monotonic() + seconds)
        self._activity_polls().add(poll)
        return poll.answer

    def _activity_polls(self) -> Polls:
        with self._polls_made:
            if self._polls is None:
                self._polls = self._new_polls()
            return self._polls

    def _new_polls(self) -> Polls:
        polls = Polls(
            self._take_activity_task,
            self.store.untaken_activities,
            self._stopping,
            self.activity_recheck_seconds,
        )
        self.loop.activity_queued = polls.queued
        return polls

    def _take_activity_task(self, activity_arn: str, worker_name: str | None) -> Answer | None:
        def started(task: TaskRecord) -> str:
            return dumps(encode(TaskStarted(task.key, worker_name)))

        task = self.store.take_task(activity_arn, worker_name, self._now(), started)
        if task is None:
            return None
        self.nudge()  # the execution records ActivityStarted and starts its timers
        return {"taskToken": task.token, "input": task.parameters}

    # Answers by token ---------------------------------------------------------------------

    def task_of_token(self, token: str) -> TaskRecord:
        """The unanswered task a token names; AWS's errors for a token that names none:
        ``InvalidToken`` (not a token Stepline made), ``TaskTimedOut`` (its task timed out,
        was answered, or its execution ended), ``TaskDoesNotExist`` (its execution is
        unknown here)."""
        task = self.store.task_by_token(token)
        if task is not None:
            return task
        parsed = parse_task_token(token)
        if parsed is None:
            raise errors.InvalidToken("Invalid Token: 'Invalid token'")
        execution_arn, key, digest = parsed
        record = self.store.execution(execution_arn)
        if record is None:
            raise errors.TaskDoesNotExist("Task Does Not Exist: 'Provided task does not exist'")
        if not _signed(record.checkpoint, execution_arn, key, digest):
            raise errors.InvalidToken("Invalid Token: 'Invalid token'")
        raise errors.TaskTimedOut(TASK_GONE)

    def answer_task(self, token: str, signal_of: Any) -> None:
        """Hand the execution that awaits ``token``'s task the signal ``signal_of(key)``
        makes (applied at its next step, by whichever node advances it)."""
        task = self.task_of_token(token)
        signal: Signal = signal_of(task.key)
        body = dumps(encode(signal))
        self.store.add_wakeup(task.execution_id, NewWakeup("signal", self._now(), body=body))
        self.nudge()


def checked_output(output: str) -> str:
    """SendTaskSuccess's output: within AWS's 256 KiB (``ValidationException``, as AWS
    refuses it) and JSON (``InvalidOutput``)."""
    if len(output) > OUTPUT_LIMIT_BYTES or len(output.encode()) > OUTPUT_LIMIT_BYTES:
        raise errors.ValidationException(
            "1 validation error detected: Value at 'output' failed to satisfy constraint: "
            f"Member must have size less than or equal to {OUTPUT_LIMIT_BYTES} bytes in UTF-8 "
            "encoding"
        )
    try:
        loads(output)
    except ValueError:
        raise errors.InvalidOutput("Invalid Output: 'Unexpected character'") from None
    return output


def checked_failure(error: str | None, cause: str | None) -> None:
    """SendTaskFailure's error (256 characters) and cause (32,768) as AWS bounds them."""
    if error is not None and len(error) > ERROR_LIMIT:
        raise errors.ValidationException(_too_long("error", ERROR_LIMIT))
    if cause is not None and len(cause) > CAUSE_LIMIT:
        raise errors.ValidationException(_too_long("cause", CAUSE_LIMIT))


def _too_long(member: str, limit: int) -> str:
    # The members are sensitive: AWS leaves their value out of the message.
    return (
        f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
        f"Member must have length less than or equal to {limit}"
    )


def _signed(checkpoint: str | None, execution_arn: str, key: int, digest: bytes) -> bool:
    """Whether the token's digest is the one its execution made (``effects.task_token``)."""
    try:
        seed = bytes.fromhex(loads(checkpoint or "{}")["seed"])
    except (ValueError, KeyError, TypeError):
        return True  # an execution whose state cannot be read: the token may well be its
    return task_digest(execution_arn, key, seed) == digest


def _checked(encryption: Mapping[str, Any]) -> dict[str, Any]:
    """An encryption configuration as AWS accepts it (stored as given, never used)."""
    kind = encryption.get("type")
    if kind not in ENCRYPTION_TYPES:
        raise errors.ValidationException(
            f"1 validation error detected: Value '{kind}' at 'encryptionConfiguration.type' "
            "failed to satisfy constraint: Member must satisfy enum value set: "
            "[CUSTOMER_MANAGED_KMS_KEY, AWS_OWNED_KEY]"
        )
    if kind == "CUSTOMER_MANAGED_KMS_KEY" and not encryption.get("kmsKeyId"):
        raise InvalidEncryptionConfiguration(
            "Invalid Encryption Configuration: kmsKeyId is required for CUSTOMER_MANAGED_KMS_KEY"
        )
    reuse = encryption.get("kmsDataKeyReusePeriodSeconds")
    if reuse is not None and not 60 <= int(reuse) <= 900:
        raise InvalidEncryptionConfiguration(
            "Invalid Encryption Configuration: kmsDataKeyReusePeriodSeconds must be between "
            "60 and 900"
        )
    return dict(encryption)


def _check_arn(arn: str) -> None:
    parsed = arns.parse(arn)
    if parsed.kind != "activity" or len(parsed.parts) != 1:
        raise errors.InvalidArn(f"Invalid Arn: 'Resource type not valid in this context: {arn}'")


def _is_activity_arn(text: str) -> bool:
    try:
        _check_arn(text)
    except errors.EngineError:
        return False
    return True
