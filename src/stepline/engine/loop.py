"""The engine's loop: claim what is due, advance it, commit every step of the batch at once.

One thread advances executions (``Loop.step``); in-process functions run on ``Workers`` and
post their answers to the loop's inbox. Activity tasks are not this node's work: they wait in
the outbox for a worker to ask (``engine.activities``), which ``activity_queued`` is told of.
A step:

1. takes the answers this node's workers posted, and claims executions with wake-ups due
   (timers, starts, stops, answers from outside, recoveries) that no other live node owns;
2. finds each execution's run: from the bounded cache if its version is the stored one, else
   rebuilt from its checkpoint (``transition.resume``);
3. applies the inputs (``steps.apply``) and turns each run into a ``StepWrite``;
4. commits the whole batch in one transaction (``store.commit``), which skips executions this
   node no longer owns;
5. only then hands new work to the workers (the outbox rule: work is never done for a step
   that was not committed) or announces new activity tasks, and caches the runs.

A run whose state cannot be read back fails alone (``steps.failed_write``); a store that
cannot be reached fails the batch, which is retried: nothing it applied was committed, and
the answers it consumed go back to the inbox.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from stepline.asl.jsontext import dumps, loads
from stepline.engine.history import to_record
from stepline.engine.steps import Input, apply, dispatch_of, failed_write, to_write
from stepline.runtime import (
    CheckpointError,
    FakeClock,
    InvalidDefinitionError,
    Plan,
    compile_definition,
    start_execution,
)
from stepline.runtime.checkpoint import resume
from stepline.runtime.effects import Dispatch, Signal, StartExecution
from stepline.runtime.functions import FunctionRegistry
from stepline.runtime.resources import is_activity
from stepline.runtime.transition import ExecutionRun
from stepline.store import (
    Claim,
    DuplicateExecution,
    EventRecord,
    NewExecution,
    SqlStore,
    StepWrite,
)

log = logging.getLogger("stepline.engine")


@dataclass(slots=True)
class Cached:
    run: ExecutionRun
    version: int
    definition_id: int


class RunCache:
    """The runs of recently advanced executions, least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._runs: collections.OrderedDict[int, Cached] = collections.OrderedDict()

    def get(self, execution_id: int) -> Cached | None:
        cached = self._runs.get(execution_id)
        if cached is not None:
            self._runs.move_to_end(execution_id)
        return cached

    def put(self, execution_id: int, cached: Cached) -> None:
        if self.size <= 0:
            return
        self._runs[execution_id] = cached
        self._runs.move_to_end(execution_id)
        while len(self._runs) > self.size:
            self._runs.popitem(last=False)

    def drop(self, execution_id: int) -> None:
        self._runs.pop(execution_id, None)

    def __len__(self) -> int:
        return len(self._runs)


Submit = Callable[[int, Dispatch, str, str], None]


@dataclass(frozen=True, slots=True)
class Adopted:
    """An execution started and stepped by another thread (``start_stepped``), for the loop
    to take on: its run to cache and the work it dispatched; with no run, it is recovered
    (the commit that created it may or may not have happened when the caller heard)."""

    execution_id: int
    cached: Cached | None
    dispatches: list[Dispatch]


@dataclass(slots=True)
class Batch:
    """What one step advanced: its writes, runs, work to dispatch, executions recovering."""

    writes: list[StepWrite] = field(default_factory=list)
    runs: dict[int, ExecutionRun] = field(default_factory=dict)
    dispatches: dict[int, list[Dispatch]] = field(default_factory=dict)
    recovering: list[int] = field(default_factory=list)


class Loop:
    """The steps of one node over one store."""

    def __init__(
        self,
        store: SqlStore,
        node: str,
        submit: Submit,
        *,
        functions: FunctionRegistry,
        cache_size: int,
        batch_size: int,
    ) -> None:
        self.store = store
        self.node = node
        self.submit = submit
        self.functions = functions
        self.cache = RunCache(cache_size)
        self.batch_size = batch_size
        self.plans: dict[int, Plan | str] = {}
        """Compiled plans by definition id (or why the definition does not compile)."""
        self._inbox: collections.deque[tuple[int, Signal]] = collections.deque()
        self._inbox_lock = threading.Lock()
        self._handed: list[Claim] = []
        """Executions this node started already owning them, not yet stepped (``hand``)."""
        self._adopted: list[Adopted] = []
        """Executions stepped by the thread that started them, for the loop to take on."""
        self._uncertain: set[int] = set()
        """Executions of a batch whose commit may or may not have happened."""
        self.wake = threading.Event()
        self.ended: Callable[[int, StepWrite], None] = lambda execution_id, write: None
        """Called for every execution a committed step ended."""
        self.claimed_express: Callable[[Claim], bool] = lambda claim: False
        """Offered every claim first: True when it was an Express execution, run elsewhere."""
        self.activity_queued: Callable[[str], None] = lambda activity_arn: None
        """Told, after the commit, of every activity that got a new task to hand out."""
        self.timers_set: Callable[[], None] = lambda: None
        """Told when a start stepped outside the loop (``start_stepped``) set timers."""

    # The inbox ----------------------------------------------------------------------------

    def post(self, execution_id: int, signal: Signal) -> None:
        """An answer for an execution this node advances (from a worker thread)."""
        with self._inbox_lock:
            self._inbox.append((execution_id, signal))
        self.wake.set()

    def _take_inbox(self) -> list[tuple[int, Signal]]:
        with self._inbox_lock:
            taken = list(self._inbox)
            self._inbox.clear()
        return taken

    def _put_back(self, answers: list[tuple[int, Signal]]) -> None:
        with self._inbox_lock:
            self._inbox.extendleft(reversed(answers))

    @property
    def has_answers(self) -> bool:
        return bool(self._inbox) or bool(self._handed) or bool(self._adopted)

    def hand(self, claim: Claim) -> None:
        """An execution this node created already owning it (``create_owned_execution``):
        the next step takes it as claimed, without a claim's transaction (from any thread)."""
        with self._inbox_lock:
            self._handed.append(claim)
        self.wake.set()

    def _take_handed(self) -> tuple[list[Claim], list[Adopted]]:
        with self._inbox_lock:
            handed, self._handed = self._handed, []
            adopted, self._adopted = self._adopted, []
        return handed, adopted

    def _adopt(self, adopted: Adopted) -> None:
        with self._inbox_lock:
            self._adopted.append(adopted)
        self.wake.set()

    # A start stepped where it is made -------------------------------------------------------

    def start_stepped(
        self, new: NewExecution, events: Sequence[EventRecord], run: ExecutionRun
    ) -> bool:
        """Apply a new Standard execution's start at once, in the calling thread, and commit
        the execution with its first step (ADR 0011): one transaction instead of two, and an
        execution that needs no outside work has ended when its start is answered. False,
        with nothing written, when that step starts child executions (a distributed Map):
        their records need transactions of their own, so the caller hands the start to the
        loop (``hand``), and ``run`` is dropped. From any thread."""
        now = new.start_date
        applied = apply(run, [Input("start")], now)
        if any(isinstance(effect, StartExecution) for effect in applied.effects):
            return False
        dispatches: list[Dispatch] = []

        def write_of(execution_id: int) -> StepWrite:
            write, started = to_write(run, applied, execution_id, 0, now, new_child=_no_child)
            dispatches.extend(started)
            return write

        try:
            execution_id, write = self.store.create_stepped_execution(
                new, events, self.node, write_of
            )
        except DuplicateExecution:
            raise
        except Exception:
            # The commit may have happened unheard of (a connection broken as it answered):
            # if the execution is there, the loop recovers it (dispatching again the work
            # its step queued) and the start stands.
            found = self.store.execution(new.arn)
            if found is None or found.start_date != new.start_date:
                raise
            self._adopt(Adopted(found.id, None, []))
            return True
        if run.finished:
            self.ended(execution_id, write)
            return True
        if dispatches:
            self._adopt(Adopted(execution_id, Cached(run, 1, new.definition_id), dispatches))
        if write.new_wakeups:
            self.timers_set()
        return True

    # A step -------------------------------------------------------------------------------

    def step(self, now: float, *, claim: bool = True) -> int:
        """Advance what is ready at ``now``; how many executions moved."""
        answers = self._take_inbox()
        inputs: dict[int, list[Input]] = collections.defaultdict(list)
        for execution_id in self._uncertain:
            inputs[execution_id].append(Input("recover"))
        for execution_id, signal in answers:
            inputs[execution_id].append(Input("answer", signal=signal))
        versions: dict[int, int] = {}
        handed, adopted = self._take_handed()
        for taken in adopted:
            if taken.cached is None:
                inputs[taken.execution_id].append(Input("recover"))
            else:
                self._take_on(taken, taken.cached)
        try:
            if claim:
                for claimed in self.store.claim(self.node, now, self.batch_size):
                    if self.claimed_express(claimed):
                        continue
                    inputs[claimed.execution_id].extend(Input.of(w) for w in claimed.wakeups)
                    versions[claimed.execution_id] = claimed.version
            stale = self._handed_inputs(handed, inputs, versions)
            if not inputs:
                return 0
            batch = self._advance(inputs, versions, now, stale)
            lost = self.store.commit(self.node, batch.writes)
        except BaseException:
            # The batch may not have been committed, or may have been without this node
            # hearing of it (the connection broke while it waited). Forget what it did in
            # memory and keep the answers it took (applied again, they change nothing if it
            # was); the next step recovers these executions: it dispatches again the work
            # they await, which a commit this node did not hear of has queued.
            for execution_id in inputs:
                self.cache.drop(execution_id)
            self._uncertain.update(inputs)
            self._put_back(answers)
            raise
        self._uncertain.clear()
        self._after_commit(batch, lost)
        return len(batch.writes)

    def _take_on(self, adopted: Adopted, cached: Cached) -> None:
        """Cache an adopted run (unless this loop stepped it since) and dispatch its work."""
        execution_id = adopted.execution_id
        if self.cache.get(execution_id) is None:
            self.cache.put(execution_id, cached)
        run = cached.run
        self._dispatch(
            execution_id, adopted.dispatches, run.execution.region, run.execution.account
        )

    def _dispatch(
        self, execution_id: int, dispatches: Sequence[Dispatch], region: str, account: str
    ) -> None:
        """Hand committed work to this node's workers, or tell of new activity tasks."""
        for dispatch in dispatches:
            if is_activity(dispatch.resource):
                self.activity_queued(dispatch.resource)  # a worker will ask for it
            else:
                self.submit(execution_id, dispatch, region, account)

    def _handed_inputs(
        self, handed: list[Claim], inputs: dict[int, list[Input]], versions: dict[int, int]
    ) -> dict[int, tuple[int, set[int]]]:
        """Add the wake-ups of handed starts to ``inputs``; for each, the version it was
        handed at and its wake-up ids (``_advance`` drops them if the version has moved)."""
        handed_at: dict[int, tuple[int, set[int]]] = {}
        for claimed in handed:
            execution_id = claimed.execution_id
            # Claimed from the store in this step as well (its wake-up was due), or stepped
            # by this loop already (it is cached): what it brings was applied.
            if execution_id in versions or self.cache.get(execution_id) is not None:
                continue
            inputs[execution_id].extend(Input.of(wakeup) for wakeup in claimed.wakeups)
            handed_at[execution_id] = (claimed.version, {w.id for w in claimed.wakeups})
        return handed_at

    def _advance(
        self,
        inputs: dict[int, list[Input]],
        versions: dict[int, int],
        now: float,
        handed: dict[int, tuple[int, set[int]]] | None = None,
    ) -> Batch:
        found_runs = self._runs(list(inputs), versions, now)
        batch = Batch()
        for execution_id, given in inputs.items():
            items = given
            found = found_runs.get(execution_id)
            if found is None:
                continue  # gone: nothing to advance
            if isinstance(found, StepWrite):
                batch.writes.append(found)
                continue
            run, version = found
            if handed and execution_id in handed and handed[execution_id][0] != version:
                # Handed, but stepped since (claimed from the store before the hand came, and
                # dropped from the cache): its start was applied; other inputs still are.
                ids = handed[execution_id][1]
                items = [item for item in items if item.wakeup_id not in ids]
                if not items:
                    continue
            applied = apply(run, items, now)
            write, started = to_write(
                run, applied, execution_id, version, now, new_child=self._new_child
            )
            batch.writes.append(write)
            batch.runs[execution_id] = run
            batch.dispatches[execution_id] = started
            if applied.recover:
                batch.recovering.append(execution_id)
        return batch

    def _runs(
        self, execution_ids: list[int], versions: dict[int, int], now: float
    ) -> dict[int, tuple[ExecutionRun, int] | StepWrite]:
        found: dict[int, tuple[ExecutionRun, int] | StepWrite] = {}
        missing = []
        for execution_id in execution_ids:
            cached = self.cache.get(execution_id)
            stored_version = versions.get(execution_id)
            if cached is not None and stored_version in (None, cached.version):
                found[execution_id] = (cached.run, cached.version)
            else:
                missing.append(execution_id)
        for execution_id, (version, definition_id, text) in self.store.checkpoints(missing).items():
            found[execution_id] = self._rebuild(execution_id, version, definition_id, text, now)
        return found

    def _rebuild(
        self, execution_id: int, version: int, definition_id: int, text: str | None, now: float
    ) -> tuple[ExecutionRun, int] | StepWrite:
        plan = self.plan(definition_id)
        try:
            if isinstance(plan, str):
                raise CheckpointError(plan)
            run = resume(plan.machine, loads(text or "null"), functions=self.functions)
        except (CheckpointError, ValueError, TypeError, AttributeError) as error:
            cause = f"Stepline could not read this execution's saved state: {error}"
            log.error("execution %s: %s", execution_id, cause)
            last = self.store.last_event_id(execution_id)
            return failed_write(execution_id, version, last, cause, now)
        self.cache.put(execution_id, Cached(run, version, definition_id))
        return run, version

    def _new_child(
        self, effect: StartExecution, parent_id: int, parent: ExecutionRun
    ) -> NewExecution:
        """A distributed Map's child execution, ready to be written with its parent's step."""
        now = parent.execution.now
        name = effect.state_machine_arn.split(":stateMachine:", 1)[-1]
        definition_id = self.store.ensure_definition(
            effect.state_machine_arn, name, effect.execution_type, effect.definition, now
        )
        plan = self.plan(definition_id)
        if isinstance(plan, str):
            raise CheckpointError(plan)
        clock = FakeClock(datetime.fromtimestamp(now, UTC))
        execution = parent.execution
        child = start_execution(
            plan,
            effect.input,
            clock=clock,
            execution_name=effect.name,
            state_machine_name=name,
            region=execution.region,
            account=execution.account,
            execution_arn=effect.arn,
        )
        if effect.execution_type == "EXPRESS":
            child.timeout_seconds = express_timeout(child.timeout_seconds)
        return NewExecution(
            effect.arn,
            effect.name,
            effect.state_machine_arn,
            definition_id,
            effect.execution_type,
            effect.input,
            now,
            dumps(child.checkpoint()),
            parent_id=parent_id,
            map_run_arn=effect.map_run_arn,
            parent_key=effect.key,
            events=tuple(to_record(event) for event in child.execution.log.drain()),
        )

    def plan(self, definition_id: int) -> Plan | str:
        """The compiled plan of a stored definition, or why there is none."""
        plan = self.plans.get(definition_id)
        if plan is None:
            definition = self.store.definition(definition_id)
            if definition is None:
                plan = f"its definition {definition_id} is missing"
            else:
                try:
                    plan = compile_definition(definition.text, state_machine_type=definition.type)
                except InvalidDefinitionError as error:
                    plan = f"its definition no longer compiles: {error.message}"
            self.plans[definition_id] = plan
        return plan

    def _after_commit(self, batch: Batch, lost: set[int]) -> None:
        for write in batch.writes:
            execution_id = write.execution_id
            run = batch.runs.get(execution_id)
            if execution_id in lost:
                self.cache.drop(execution_id)
                continue
            if run is None or run.finished:
                self.cache.drop(execution_id)
                self.ended(execution_id, write)
                continue
            cached = self.cache.get(execution_id)
            if cached is not None:
                cached.version = write.expected_version + 1
            region, account = run.execution.region, run.execution.account
            self._dispatch(execution_id, batch.dispatches.get(execution_id, ()), region, account)
        recovering = [key for key in batch.recovering if key not in lost]
        for task in self.store.tasks(recovering):
            if is_activity(task.resource):
                continue  # still in the outbox, for a worker to take (or taken by one)
            run = batch.runs[task.execution_id]
            just_started = {
                dispatch.key for dispatch in batch.dispatches.get(task.execution_id, ())
            }
            if task.key in run.awaited and task.key not in just_started:
                execution = run.execution
                self.submit(
                    task.execution_id, dispatch_of(task), execution.region, execution.account
                )

    def forget(self, execution_ids: list[Any]) -> None:
        for execution_id in execution_ids:
            self.cache.drop(execution_id)


def _no_child(effect: StartExecution, parent_id: int, parent: ExecutionRun) -> NewExecution:
    raise AssertionError("a start stepped outside the loop never starts child executions")


EXPRESS_LIMIT_SECONDS = 300


def express_timeout(seconds: int | None) -> int:
    """AWS ends an Express execution that runs for more than five minutes."""
    return EXPRESS_LIMIT_SECONDS if seconds is None else min(seconds, EXPRESS_LIMIT_SECONDS)
