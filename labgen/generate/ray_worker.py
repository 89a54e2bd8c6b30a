"""What runs on a Ray worker for `labgen generate --executor ray`: one leaf's units and top-ups, by the same
`execute` as a local run, against a teacher the worker builds (or a teacher actor holds), with its answers
kept by the head's store actor (labgen/store/remote.py). Units are stored by the worker in the shared
OUT folder, each atomically, as a local run stores them.

Nothing here imports ray at module level: the head wraps these functions and classes with `ray.remote`
(ray_executor.py), and a worker imports this module by name.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labgen.dedup.config import DedupConfig
from labgen.errors import ConfigError, TeacherError
from labgen.generate.config import GenerateConfig
from labgen.generate.execution import RunState, execute
from labgen.generate.plan import LeafPlan
from labgen.generate.progress import QuietProgress
from labgen.generate.unit_work import RunInfo
from labgen.generate.units import UnitStore, WorkUnit
from labgen.teachers.base import Accounting, ChatRequest, Completion, Teacher
from labgen.teachers.bounded import BoundedTeacher
from labgen.teachers.config import TeacherConfig, build_teacher


PROGRESS_EVERY_S = 0.5  # how often a leaf task sends its progress events to the head


@dataclass(frozen=True)
class WorkerTeacher:
    """How a worker gets its teacher: built in the task from `config` (a client of the configured
    OpenAI-compatible servers), or `actor`, a TeacherServer actor that holds an in-process engine."""

    config: TeacherConfig
    actor: Any = None
    identity: dict[str, Any] = field(default_factory=dict)  # the actor's teacher's (with `actor`)

    def build(self) -> Teacher:
        if self.actor is None:
            return build_teacher(self.config)
        return ActorTeacher(self.actor, self.identity, max_in_flight=self.config.in_flight)


@dataclass(frozen=True)
class LeafJob:
    """One Ray task: a planned leaf and everything its units need, none of it the taxonomy."""

    plan: LeafPlan
    config: GenerateConfig
    info: RunInfo
    dedup: DedupConfig | None
    out_dir: str  # absolute; the same path on every node (shared storage)
    teacher: WorkerTeacher
    answers: Any  # the store actor (None: no answer store)
    fingerprint: str  # the head's labgen_fingerprint()
    progress: Any = None  # a ray.util.queue.Queue the head reads the leaf's progress events from (None: none)


@dataclass(frozen=True)
class LeafOutcome:
    """What the head needs of a finished leaf: its unit results (also stored) and the worker's counts."""

    path: str
    results: list[dict[str, Any]]
    units: list[WorkUnit]  # planned and top-up units
    top_ups: int
    reused_units: frozenset[str]
    generated: int
    reused: int
    accounting: Accounting
    hits: int
    misses: int
    successes: int
    failures_in_row: int
    last_error: str
    elapsed_s: float


def labgen_fingerprint() -> str:
    """The labgen version and every template's hash: a node whose labgen differs from the head's would write
    other samples under the same unit ids."""
    from labgen import __version__
    from labgen.hashing import short_id
    from labgen.prompts import all_template_ids, get_template

    return short_id({"version": __version__,
                     "templates": {name: get_template(name).sha256 for name in all_template_ids()}}, 16)


def run_leaf_job(job: LeafJob) -> LeafOutcome:
    """The Ray task: run the leaf's units (reusing those already stored) and its top-ups."""
    if labgen_fingerprint() != job.fingerprint:
        raise ConfigError("this Ray node's labgen (version or prompt templates) differs from the head's",
                          hint="install the same labgen on every node of the cluster")
    return asyncio.run(_run_leaf(job))


async def _run_leaf(job: LeafJob) -> LeafOutcome:
    from labgen.store import StoredTeacher
    from labgen.store.remote import RemoteAnswers

    started = time.monotonic()
    teacher = job.teacher.build()
    try:
        if teacher.identity() != job.info.teacher:
            raise TeacherError(f"this Ray node's teacher is {teacher.identity()}, the head's is {job.info.teacher}",
                               hint="serve the same model at the teacher URL on every node")
        stored = (None if job.answers is None
                  else StoredTeacher(teacher, RemoteAnswers(job.answers), slot_until_stored=True))
        out_dir = Path(job.out_dir)
        progress = ForwardedProgress()
        state = RunState(teacher=stored or teacher, config=job.config, store=UnitStore(out_dir), info=job.info,
                         progress=progress, out_dir=out_dir, abort_after=job.config.abort_after_failures,
                         dedup=job.dedup, finish_here=False)
        await _forwarding(execute([job.plan], state), progress, job.progress)
    finally:
        await teacher.aclose()
    path = job.plan.leaf.path
    return LeafOutcome(path=path, results=state.results[path], units=state.units[path],
                       top_ups=state.top_ups[path], reused_units=frozenset(state.reused_units),
                       generated=state.generated, reused=state.reused, accounting=teacher.accounting,
                       hits=0 if stored is None else stored.hits, misses=0 if stored is None else stored.misses,
                       successes=state.successes, failures_in_row=state.failures_in_row,
                       last_error=state.last_error, elapsed_s=time.monotonic() - started)


class ForwardedProgress(QuietProgress):
    """A leaf task's progress events, kept for the head (`take`); each unit named by its id, and the leaf's
    unit count given as a total, so that the head counts each once even when Ray runs the leaf again."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, Any]] = []
        self.units: dict[str, int] = {}

    def start(self, units_per_leaf: dict[str, int]) -> None:
        self.units = dict(units_per_leaf)

    def unit_started(self, leaf: str) -> None:
        self.events.append(("unit_started", leaf, None))

    def unit_done(self, leaf: str, *, kept: int, rejected: int, reused: bool, unit: str = "") -> None:
        self.events.append(("unit_done", leaf, (unit, kept, rejected, reused)))

    def units_added(self, leaf: str, count: int) -> None:
        self.units[leaf] = self.units.get(leaf, 0) + count
        self.events.append(("units", leaf, self.units[leaf]))

    def dropped(self, leaf: str) -> None:
        self.events.append(("dropped", leaf, None))

    def take(self) -> list[tuple[str, str, Any]]:
        events, self.events = self.events, []
        return events


async def _forwarding(run: Any, progress: ForwardedProgress, channel: Any) -> None:
    """Await `run`, sending the progress it makes to the head's queue (`channel`; None: nowhere) every
    PROGRESS_EVERY_S seconds and once more at the end (awaited, so the head has every event before it has
    the leaf's result). Progress is only shown: a queue that fails loses events, never the leaf (the head
    shows its units when the task returns)."""
    async def send() -> None:
        events = progress.take()
        if events and channel is not None:
            try:
                await channel.put_async(events)
            except Exception:  # the queue actor is gone (RayError) or full: the head settles from the result
                pass

    async def every() -> None:
        while True:
            await asyncio.sleep(PROGRESS_EVERY_S)
            await send()

    sender = asyncio.get_running_loop().create_task(every())
    try:
        await run
    finally:
        sender.cancel()
    await send()


class TeacherServer:
    """The body of a teacher actor: one teacher built in the actor's process (vLLM on the GPUs Ray gave it,
    or the embedded model), answering the requests of every worker it serves on one event loop, so the
    engine batches them."""

    def __init__(self, config: TeacherConfig, gpus: int = 0) -> None:
        # The actor holds the group's GPUs and vLLM's tensor-parallel workers are its own processes on them
        # (the "mp" backend), as Ray's own vLLM batch stage runs it; the "ray" backend would ask Ray for
        # the same GPUs a second time.
        engine = ({"tensor_parallel_size": gpus, "distributed_executor_backend": "mp"}
                  if config.backend == "vllm" and gpus > 1 else None)
        self.teacher = build_teacher(config, engine_kwargs=engine)

    async def identity(self) -> dict[str, Any]:
        return self.teacher.identity()

    async def complete(self, request: ChatRequest) -> Completion:
        return await self.teacher.complete(request)


class ActorTeacher(BoundedTeacher):
    """A worker's face of a teacher actor: each request one actor call. Ray retries the call on the
    restarted actor when the actor dies; one that stays dead past its restarts fails the request."""

    def __init__(self, actor: Any, identity: dict[str, Any], *, max_in_flight: int) -> None:
        super().__init__(max_in_flight=max_in_flight)
        self.actor = actor
        self._identity = dict(identity)
        self.backend = str(identity.get("backend", "actor"))

    @property
    def model(self) -> str:
        return str(self._identity.get("model", ""))

    def identity(self) -> dict[str, Any]:
        return dict(self._identity)

    async def _complete_once(self, request: ChatRequest) -> Completion:
        from ray.exceptions import RayError

        try:
            return await self.actor.complete.remote(request)
        except RayError as exc:
            return Completion(request=request, error=f"the teacher actor is gone: {exc}", error_kind="connection")
