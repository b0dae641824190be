"""The activity workers of recorded cases, played over a server's API (``--endpoint``).

A case whose state machine runs an activity was recorded with a worker of the test's own:
it asked for the task (GetActivityTask, under a worker name the history keeps) and then
answered it. The record holds the history, not the worker; what each worker did is read from
the test's name, as the recording's tests are named after it:

- ``…_failure``: SendTaskFailure with the error ``Programmatic Error`` and the task's input as
  the cause;
- ``…_timeout``: takes the task and never answers (the Task's timeout ends it);
- ``…_heartbeat``: SendTaskHeartbeat, then SendTaskSuccess with the task's input;
- any other: SendTaskSuccess with the task's input as the output.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from stepline.conformance.cases import Case

ACTIVITY_ARN = re.compile(r"arn:aws:states:[a-z0-9-]+:\d{12}:activity:[A-Za-z0-9_.-]+")
"""An activity's ARN inside a definition's text."""

FAILURE_ERROR = "Programmatic Error"
DEFAULT_WORKER_NAME = "stepline-conformance-worker"


def recorded_activities(definition_text: str) -> list[str]:
    """The activity ARNs a definition names, each once, in order."""
    return list(dict.fromkeys(ACTIVITY_ARN.findall(definition_text)))


def behaviour(case: Case) -> str:
    """What the case's worker did: ``fail``, ``silent``, ``heartbeat`` or ``succeed``."""
    test = case.id.rsplit("::", 1)[-1].split("[", 1)[0]
    if test.endswith("_failure"):
        return "fail"
    if test.endswith("_timeout"):
        return "silent"
    if test.endswith("_heartbeat"):
        return "heartbeat"
    return "succeed"


def worker_name(case: Case) -> str:
    """The worker name the recorded history shows, so that the histories compare."""
    for event in case.expected_history or []:
        details = event.get("activityStartedEventDetails")
        if isinstance(details, dict) and details.get("workerName"):
            return str(details["workerName"])
    return DEFAULT_WORKER_NAME


class ActivityWorker:
    """One worker for one activity, in a thread: it takes one task and answers it as the
    case's worker did. ``stop`` waits for it (a poll that found nothing ends within 60 s,
    AWS's long-poll limit; the runner stops it sooner by ending the execution)."""

    def __init__(self, client: Any, activity_arn: str, case: Case) -> None:
        self.client = client
        self.activity_arn = activity_arn
        self.behaviour = behaviour(case)
        self.name = worker_name(case)
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="conformance-worker", daemon=True)

    def start(self) -> ActivityWorker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 65.0) -> None:
        self._thread.join(timeout)

    def _work(self) -> None:
        try:
            task = self.client.get_activity_task(
                activityArn=self.activity_arn, workerName=self.name
            )
            token = task.get("taskToken")
            if token:
                self._answer(token, str(task.get("input") or "{}"))
        except Exception as error:  # the case fails on its history; keep why for the report
            self.error = error

    def _answer(self, token: str, input_text: str) -> None:
        if self.behaviour == "silent":
            return
        if self.behaviour == "fail":
            self.client.send_task_failure(taskToken=token, error=FAILURE_ERROR, cause=input_text)
            return
        if self.behaviour == "heartbeat":
            self.client.send_task_heartbeat(taskToken=token)
        self.client.send_task_success(taskToken=token, output=input_text)
