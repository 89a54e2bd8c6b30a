"""Running planned leaves' work units against a teacher: the one code path of a local run and of each Ray
worker (labgen/generate/ray_executor.py), which runs it for the leaf it was given.

Streaming: every unit is an asyncio task and every sample inside it moves to its next stage the moment
its previous request returns; at most `max_active_units` units run at once (bounded memory), enough to
keep the teacher's `max_in_flight` requests busy. Finished units are stored atomically and reused. A
leaf whose units are done may get top-up units (top_up.py) before it is finished.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labgen.dedup.config import DedupConfig
from labgen.errors import TeacherError
from labgen.generate.config import GenerateConfig
from labgen.generate.freeform_skills import run_freeform_unit
from labgen.generate.grounded_skills import run_grounded_unit
from labgen.generate.knowledge import run_knowledge_unit
from labgen.generate.output import unit_result
from labgen.generate.plan import LeafPlan
from labgen.generate.progress import Progress
from labgen.generate.unit_work import RunInfo, UnitWork
from labgen.generate.units import UnitStore, WorkUnit
from labgen.store.batching import Coalescer
from labgen.taxonomy.leaf import FREEFORM_SKILL, GROUNDED_SKILL, KNOWLEDGE
from labgen.teachers.base import Completion, Teacher

if TYPE_CHECKING:
    from labgen.generate.check_process import CheckProcess

UNIT_RUNNERS: dict[str, Callable[[UnitWork], Awaitable[None]]] = {
    FREEFORM_SKILL: run_freeform_unit,
    GROUNDED_SKILL: run_grounded_unit,
    KNOWLEDGE: run_knowledge_unit,
}


@dataclass
class RunState:
    """Live bookkeeping shared by the unit tasks of one run (or of one Ray worker's leaf)."""

    teacher: Teacher
    config: GenerateConfig
    store: UnitStore
    info: RunInfo
    progress: Progress
    out_dir: Path
    abort_after: int
    dedup: DedupConfig | None = None  # the run's dedup settings, which top-ups count with
    # False on a Ray worker: the head finishes each leaf (prunes its units, rewrites its manifest) when the
    # leaf's task returns, so those files have one writer.
    finish_here: bool = True
    answer_path: Path | None = None  # the run's answer store (None: none)
    checks: CheckProcess | None = None  # where candidates' checks and top-up dedup run (None: this process)
    saves: Coalescer | None = None  # finished units of one turn of the loop, written in one worker-thread call
    results: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    remaining: dict[str, int] = field(default_factory=dict)
    units: dict[str, list[WorkUnit]] = field(default_factory=dict)  # planned and top-up units of each leaf
    top_ups: dict[str, int] = field(default_factory=dict)  # top-up passes run per leaf
    reused_units: set[str] = field(default_factory=set)
    group: asyncio.TaskGroup | None = None
    slots: asyncio.Semaphore | None = None
    leaf_started: dict[str, float] = field(default_factory=dict)
    generated: int = 0
    reused: int = 0
    successes: int = 0
    failures_in_row: int = 0
    last_error: str = ""

    def on_completion(self, completion: Completion) -> None:
        if getattr(completion, "error_kind", None) == "context_length":
            return  # the prompt's fault, not the teacher's
        if completion.error is None:
            self.successes += 1
            self.failures_in_row = 0
            return
        self.failures_in_row += 1
        self.last_error = completion.error
        if self.successes == 0 and self.failures_in_row >= self.abort_after:
            raise TeacherError(f"the teacher failed its first {self.failures_in_row} requests "
                               f"(last error: {self.last_error})",
                               hint="check the teacher with `labgen teacher check`; finished work is kept")

    def begin_leaf(self, plan: LeafPlan) -> None:
        path = plan.leaf.path
        self.results[path] = []
        self.remaining[path] = len(plan.units)
        self.units[path] = list(plan.units)
        self.top_ups[path] = 0


async def execute(plans: list[LeafPlan], state: RunState) -> None:
    """Run every unit of `plans` (and the leaves' top-ups); each leaf's unit results end in state.results."""
    # Each active unit keeps a few requests ready (a sample chain per item), so about 3/4 of the in-flight
    # limit in units saturates the teacher; more would run every unit in lockstep and end in a long tail.
    # A one-at-a-time teacher gets one unit: its requests then come stage by stage (five judge prompts in a
    # row, then five answers...), which is what llama.cpp's reuse of the previous prompt's prefix needs.
    limit = state.config.max_active_units or max(1, (3 * state.teacher.max_in_flight) // 4)
    slots = asyncio.Semaphore(limit)
    state.progress.start({plan.leaf.path: len(plan.units) for plan in plans})
    state.slots = slots
    for plan in plans:
        state.begin_leaf(plan)
        if not plan.units and state.finish_here:
            finish_leaf(state, plan)
    try:
        with fewer_collections():
            async with asyncio.TaskGroup() as group:
                state.group = group
                for plan in plans:
                    for unit in plan.units:
                        group.create_task(_run_unit(state, plan, unit, slots))
    except BaseExceptionGroup as group_error:
        raise _first_error(group_error) from None


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Python's cyclic garbage collector less often while units run. A run allocates a few hundred objects
    per request (messages, completions, records, futures) beside a growing heap of long-lived ones (the
    results kept for curation); at the default threshold (a collection every 700 allocations, a full one
    every 100 of those) the collector walks that heap again and again: about a tenth of labgen's CPU in
    bench/client_cpu.py. Reference counting still frees everything without a cycle at once."""
    before = gc.get_threshold()
    gc.set_threshold(10_000, 50, 50)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _first_error(group_error: BaseExceptionGroup) -> BaseException:
    for error in group_error.exceptions:
        if isinstance(error, BaseExceptionGroup):
            return _first_error(error)
        return error
    return group_error


async def _run_unit(state: RunState, plan: LeafPlan, unit: WorkUnit, slots: asyncio.Semaphore) -> None:
    leaf = plan.leaf
    stored = state.store.load(leaf.path, unit.id)
    if stored is not None:
        state.reused += 1
        state.reused_units.add(unit.id)
        state.leaf_started.setdefault(leaf.path, time.monotonic())
        await _unit_finished(state, plan, stored, reused=True)
        return
    async with slots:
        state.leaf_started.setdefault(leaf.path, time.monotonic())
        state.progress.unit_started(leaf.path)
        started = time.monotonic()
        work = UnitWork(teacher=state.teacher, config=state.config, leaf=leaf, unit=unit, run=state.info,
                        on_drop=lambda: state.progress.dropped(leaf.path), on_completion=state.on_completion,
                        checks=state.checks)
        await UNIT_RUNNERS[leaf.kind](work)
        result = unit_result(work, time.monotonic() - started)
        await _save(state, leaf.path, unit.id, result)
        state.generated += 1
    await _unit_finished(state, plan, result, reused=False)


async def _save(state: RunState, leaf_path: str, unit_id: str, result: dict[str, Any]) -> None:
    """Store a finished unit. The units finished in one turn of the loop are written together by a worker
    thread (encoding and fsync'ing there, while the event loop keeps feeding the teacher): one hand-off
    between the threads and one fsync of each folder per turn, not per unit."""
    if state.saves is None:
        store = state.store

        async def write(units: list[tuple[str, str, dict[str, Any]]]) -> list[None]:
            await asyncio.to_thread(store.save_many, units)
            return [None] * len(units)

        state.saves = Coalescer(write)
    await state.saves.submit((leaf_path, unit_id, result))


async def _unit_finished(state: RunState, plan: LeafPlan, result: dict[str, Any], *, reused: bool) -> None:
    path = plan.leaf.path
    state.results[path].append(result)
    state.remaining[path] -= 1
    unit_done(state.progress, path, result, reused=reused)
    if state.remaining[path] == 0:
        extra = await asyncio.to_thread(_top_up_units, state, plan)
        if extra:  # the leaf is not done: its top-up units join the run
            assert state.group is not None and state.slots is not None
            state.top_ups[path] += 1
            state.remaining[path] += len(extra)
            state.units[path].extend(extra)
            state.progress.units_added(path, len(extra))
            for unit in extra:
                state.group.create_task(_run_unit(state, plan, unit, state.slots))
            return
        if state.finish_here:
            await asyncio.to_thread(finish_leaf, state, plan)


def unit_done(progress: Progress, path: str, result: dict[str, Any], *, reused: bool) -> None:
    kept, rejected = unit_counts(result)
    progress.unit_done(path, kept=kept, rejected=rejected, reused=reused, unit=result["unit"])


def unit_counts(result: dict[str, Any]) -> tuple[int, int]:
    """(kept, rejected) sample records of a unit's result."""
    kept = sum(1 for record in result["records"] if record["drop"] is None)
    return kept, len(result["records"]) - kept


def _top_up_units(state: RunState, plan: LeafPlan) -> tuple[WorkUnit, ...]:
    """Top-up units when dedup within the leaf leaves it short of its target (top_up.py decides; a
    worker thread, since it runs the leaf's dedup)."""
    from labgen.generate.top_up import leaf_progress, top_up_wanted, unit_kept_fields

    path = plan.leaf.path
    if not state.config.dedup:
        return ()
    units = state.units[path]
    ordered = sorted(state.results[path], key=lambda result: result["index"])
    count = leaf_progress if state.checks is None else state.checks.leaf_progress
    progress = count(plan.leaf, [unit_kept_fields(result) for result in ordered], state.dedup or DedupConfig())
    wanted = top_up_wanted(progress, plan.target, state.top_ups[path])
    return plan.extra_units(max(unit.index for unit in units) + 1, wanted)


def finish_leaf(state: RunState, plan: LeafPlan) -> None:
    """The leaf's units are done: drop units the plan no longer uses (a worker thread). Its files are
    written by the curation pass at the end of the run."""
    path = plan.leaf.path
    elapsed = time.monotonic() - state.leaf_started.get(path, time.monotonic())
    units = state.units.get(path, list(plan.units))
    state.store.prune(path, {unit.id for unit in units})
    if len(units) > len(plan.units):  # top-ups ran: the manifest lists every unit the leaf used
        from labgen.curate.inputs import LeafInfo, write_manifest

        write_manifest(state.out_dir, LeafInfo.from_leaf(plan.leaf, tuple(unit.id for unit in units),
                                                         planned=len(plan.units), target=plan.target,
                                                         per_unit=plan.per_unit))
    records = [record for unit in state.results[path] for record in unit["records"]]
    kept = sum(1 for record in records if record["drop"] is None)
    state.progress.leaf_done(path, kept=kept, rejected=len(records) - kept, elapsed_s=elapsed)
