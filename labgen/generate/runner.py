"""The main job: plan every selected leaf into work units, run them streaming against the teacher, then
the curation pass over every unit's sample records (the in-unit decisions reused, dedup and
decontamination added) writes each leaf's files and run.json, each once.

Streaming: every unit is an asyncio task and every sample inside it moves to its next stage the moment
its previous request returns; at most `max_active_units` units run at once (bounded memory), enough to
keep the teacher's `max_in_flight` requests busy. Finished units are stored atomically and reused.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labgen import __version__
from labgen.curate.writer import LeafCounts, write_run
from labgen.dedup.config import DedupConfig
from labgen.errors import TeacherError
from labgen.generate.config import GenerateConfig
from labgen.generate.freeform_skills import run_freeform_unit
from labgen.generate.grounded_skills import run_grounded_unit
from labgen.generate.knowledge import run_knowledge_unit
from labgen.generate.output import remove_leaf_output, unit_result
from labgen.generate.plan import LeafPlan, plan_leaf, teacher_context_window
from labgen.generate.progress import Progress, QuietProgress
from labgen.generate.selection import SkippedLeaf, leaf_documents, select_leaves
from labgen.generate.unit_work import RunInfo, UnitWork
from labgen.generate.units import UnitStore, WorkUnit
from labgen.taxonomy.leaf import FREEFORM_SKILL, GROUNDED_SKILL, KNOWLEDGE, Leaf
from labgen.teachers.base import Completion, Teacher

if TYPE_CHECKING:
    from labgen.curate.run import PassResult

UNIT_RUNNERS: dict[str, Callable[[UnitWork], Awaitable[None]]] = {
    FREEFORM_SKILL: run_freeform_unit,
    GROUNDED_SKILL: run_grounded_unit,
    KNOWLEDGE: run_knowledge_unit,
}


@dataclass(frozen=True)
class GenerateResult:
    out_dir: Path
    run_json: Path
    leaves: dict[str, LeafCounts]
    units_generated: int
    units_reused: int
    removed: tuple[str, ...]
    elapsed_s: float
    notes: tuple[str, ...] = ()
    skipped: tuple[SkippedLeaf, ...] = ()  # invalid leaves left out with skip_invalid
    targets: dict[str, int] = field(default_factory=dict)  # kept samples each leaf wants


@dataclass
class _RunState:
    """Live bookkeeping shared by the unit tasks of one run."""

    teacher: Teacher
    config: GenerateConfig
    store: UnitStore
    info: RunInfo
    progress: Progress
    out_dir: Path
    abort_after: int
    results: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    remaining: dict[str, int] = field(default_factory=dict)
    units: dict[str, list[WorkUnit]] = field(default_factory=dict)  # planned and top-up units of each leaf
    top_ups: dict[str, int] = field(default_factory=dict)  # top-up passes run per leaf
    group: asyncio.TaskGroup | None = None
    slots: asyncio.Semaphore | None = None
    dedup: DedupConfig | None = None  # the run's dedup settings, which top-ups count with
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


def generate(taxonomy: Path, out_dir: Path, teacher: Teacher, config: GenerateConfig | None = None, *,
             changed_base: str | None = None, progress: Progress | None = None,
             skip_invalid: bool = False, answer_store: Path | None | bool = True,
             dedup: DedupConfig | None = None) -> GenerateResult:
    """Generate every leaf of `taxonomy` (or those changed against `changed_base`) into `out_dir`.

    Any invalid leaf stops the run before a teacher call, unless `skip_invalid`: then only the valid
    leaves are generated and the others are listed (with their first error) in the result and run.json.
    Teacher answers are kept in the answer store (`answer_store`: True for OUT/.labgen/answers.sqlite, a
    path to share one store between runs, False for none), so a rerun that sends the same requests spends
    no tokens whatever the critic, system prompt or dedup settings. `dedup`: the dedup settings (default
    DedupConfig(); none when `config.dedup` is off).
    """
    config = (config or GenerateConfig()).validated()
    started = time.monotonic()
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    taxonomy, out_dir = Path(taxonomy), Path(out_dir)
    selection = select_leaves(taxonomy, changed_base=changed_base, skip_invalid=skip_invalid)
    stored = _stored_teacher(teacher, out_dir, answer_store)
    if stored is not None:
        teacher = stored
    plans = plan_run(selection.leaves, taxonomy, teacher, config)
    from labgen.curate.inputs import LeafInfo, write_manifest

    for plan in plans:  # what curation needs of the leaf, beside its units
        write_manifest(out_dir, LeafInfo.from_leaf(plan.leaf, tuple(unit.id for unit in plan.units),
                                                   planned=len(plan.units), target=plan.target,
                                                   per_unit=plan.per_unit))
    from labgen.taxonomy.diff import taxonomy_commit

    info = RunInfo(seed=config.seed, taxonomy_commit=taxonomy_commit(taxonomy), teacher=teacher.identity())
    progress = progress or QuietProgress()
    state = _RunState(teacher=teacher, config=config, store=UnitStore(out_dir), info=info, progress=progress,
                      out_dir=out_dir, abort_after=config.abort_after_failures, dedup=dedup)
    try:
        asyncio.run(_execute(plans, state))
        if state.successes == 0 and state.failures_in_row > 0:
            raise TeacherError(f"the teacher answered none of {state.failures_in_row} requests "
                               f"(last error: {state.last_error})",
                               hint="check it with `labgen teacher check`; rerun when it works (nothing is lost)")
        for path in selection.removed:
            remove_leaf_output(out_dir, path)
        passed = _curate(out_dir, plans, state, dedup, None if stored is None else stored.store)
    finally:
        progress.close()
        if stored is not None:
            stored.store.close()
    notes = list(selection.notes) + [f"{plan.leaf.path}: {note}" for plan in plans for note in plan.notes]
    notes.extend(passed.notes)
    if passed.dedup is not None:
        notes.extend(passed.dedup.warnings)
        if passed.dedup.removed:
            notes.append(f"dedup moved {passed.dedup.removed} duplicate or contaminated samples to rejects")
    planned = {plan.leaf.path for plan in plans}
    leaves = {path: leaf.counts for path, leaf in sorted(passed.leaves.items()) if path in planned}
    elapsed = time.monotonic() - started
    accounting = teacher.accounting.as_dict()
    targets = {plan.leaf.path: plan.target for plan in plans}
    run = {"labgen_version": __version__, "taxonomy": str(taxonomy), "taxonomy_commit": info.taxonomy_commit,
           "teacher": info.teacher, "parameters": config.as_dict(),
           "dedup": None if passed.dedup is None else passed.dedup.config.as_dict(), "seed": config.seed,
           "changed_base": changed_base, "removed_leaves": list(selection.removed),
           "skipped_leaves": [leaf.as_dict() for leaf in selection.skipped],
           "leaves": {path: {**counts.as_dict(), "target": targets[path],
                             "short": max(0, targets[path] - counts.kept)} for path, counts in leaves.items()},
           "units": {"generated": state.generated, "reused": state.reused},
           "tokens": {"prompt": accounting["total"]["prompt_tokens"],
                      "completion": accounting["total"]["completion_tokens"]},
           "teacher_accounting": accounting, "notes": notes, "curation": passed.summary(),
           "answer_store": None if stored is None else {"path": str(stored.store.path), "hits": stored.hits,
                                                         "misses": stored.misses},
           "started_at": started_at, "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           "elapsed_s": round(elapsed, 3)}
    run_json = write_run(out_dir, run)
    return GenerateResult(out_dir=out_dir, run_json=run_json, leaves=leaves, units_generated=state.generated,
                          units_reused=state.reused, removed=selection.removed, elapsed_s=elapsed, notes=tuple(notes),
                          skipped=selection.skipped, targets=targets)


def _stored_teacher(teacher: Teacher, out_dir: Path, answer_store: Path | None | bool) -> Any:
    from labgen.store import AnswerStore, StoredTeacher

    if answer_store is False or answer_store is None or isinstance(teacher, StoredTeacher):
        return None
    path = out_dir / ".labgen" / "answers.sqlite" if answer_store is True else Path(answer_store)
    return StoredTeacher(teacher, AnswerStore(path))


def plan_run(leaves: tuple[Leaf, ...] | list[Leaf], taxonomy: Path, teacher: Teacher,
             config: GenerateConfig) -> list[LeafPlan]:
    """Every leaf's work units (knowledge documents are resolved and chunked here; no teacher call)."""
    from labgen.tokens import estimate_message_tokens

    # The layout of units must not depend on whether a tokenizer happens to be loaded: plan with the
    # conservative estimate, never the backend's exact count.
    window = teacher_context_window(teacher, config)
    identity = teacher.identity()
    plans = []
    for leaf in leaves:
        documents = leaf_documents(leaf, taxonomy) if leaf.kind == KNOWLEDGE else None
        plans.append(plan_leaf(leaf, config, teacher_identity=identity, window=window,
                               count_tokens=estimate_message_tokens, documents=documents))
    return plans


async def _execute(plans: list[LeafPlan], state: _RunState) -> None:
    # Each active unit keeps a few requests ready (a sample chain per item), so about 3/4 of the in-flight
    # limit in units saturates the teacher; more would run every unit in lockstep and end in a long tail.
    # A one-at-a-time teacher gets one unit: its requests then come stage by stage (five judge prompts in a
    # row, then five answers...), which is what llama.cpp's reuse of the previous prompt's prefix needs.
    limit = state.config.max_active_units or max(1, (3 * state.teacher.max_in_flight) // 4)
    slots = asyncio.Semaphore(limit)
    state.progress.start({plan.leaf.path: len(plan.units) for plan in plans})
    state.slots = slots
    for plan in plans:
        state.results[plan.leaf.path] = []
        state.remaining[plan.leaf.path] = len(plan.units)
        state.units[plan.leaf.path] = list(plan.units)
        state.top_ups[plan.leaf.path] = 0
        if not plan.units:
            _finish_leaf(state, plan)
    try:
        async with asyncio.TaskGroup() as group:
            state.group = group
            for plan in plans:
                for unit in plan.units:
                    group.create_task(_run_unit(state, plan, unit, slots))
    except BaseExceptionGroup as group_error:
        raise _first_error(group_error) from None


def _first_error(group_error: BaseExceptionGroup) -> BaseException:
    for error in group_error.exceptions:
        if isinstance(error, BaseExceptionGroup):
            return _first_error(error)
        return error
    return group_error


async def _run_unit(state: _RunState, plan: LeafPlan, unit: WorkUnit, slots: asyncio.Semaphore) -> None:
    leaf = plan.leaf
    stored = state.store.load(leaf.path, unit.id)
    if stored is not None:
        state.reused += 1
        state.leaf_started.setdefault(leaf.path, time.monotonic())
        await _unit_finished(state, plan, stored, reused=True)
        return
    async with slots:
        state.leaf_started.setdefault(leaf.path, time.monotonic())
        state.progress.unit_started(leaf.path)
        started = time.monotonic()
        work = UnitWork(teacher=state.teacher, config=state.config, leaf=leaf, unit=unit, run=state.info,
                        on_drop=lambda: state.progress.dropped(leaf.path), on_completion=state.on_completion)
        await UNIT_RUNNERS[leaf.kind](work)
        result = unit_result(work, time.monotonic() - started)
        # fsync'ing writes run in a worker thread, so the event loop keeps feeding the teacher meanwhile.
        await asyncio.to_thread(state.store.save, leaf.path, unit.id, result)
        state.generated += 1
    await _unit_finished(state, plan, result, reused=False)


async def _unit_finished(state: _RunState, plan: LeafPlan, result: dict[str, Any], *, reused: bool) -> None:
    path = plan.leaf.path
    state.results[path].append(result)
    state.remaining[path] -= 1
    kept = sum(1 for record in result["records"] if record["drop"] is None)
    state.progress.unit_done(path, kept=kept, rejected=len(result["records"]) - kept, reused=reused)
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
        await asyncio.to_thread(_finish_leaf, state, plan)


def _top_up_units(state: _RunState, plan: LeafPlan) -> tuple[WorkUnit, ...]:
    """Top-up units when dedup within the leaf leaves it short of its target (top_up.py decides; a
    worker thread, since it runs the leaf's dedup)."""
    from labgen.generate.top_up import leaf_progress, top_up_wanted, unit_kept_fields

    path = plan.leaf.path
    if not state.config.dedup:
        return ()
    units = state.units[path]
    ordered = sorted(state.results[path], key=lambda result: result["index"])
    progress = leaf_progress(plan.leaf, [unit_kept_fields(result) for result in ordered], state.dedup or DedupConfig())
    wanted = top_up_wanted(progress, plan.target, state.top_ups[path])
    return plan.extra_units(max(unit.index for unit in units) + 1, wanted)


def _finish_leaf(state: _RunState, plan: LeafPlan) -> None:
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


def _curate(out_dir: Path, plans: list[LeafPlan], state: _RunState, dedup: DedupConfig | None,
            store: Any) -> PassResult:
    """The curation pass over every leaf of OUT that has stored units: this run's leaves from memory (their
    in-unit decisions are reused as they are), the others (not selected by --changed) from the unit store,
    decided under this run's settings; dedup within and across leaves, against seeds and evaluation sets."""
    from labgen.curate.inputs import LeafInput, UnitInfo, load_leaf, read_manifests
    from labgen.curate.run import Settings, curation_pass
    from labgen.dedup import load_eval_items

    config = state.config
    planned = {plan.leaf.path: plan for plan in plans}
    inputs = []
    for info in read_manifests(out_dir):
        plan = planned.get(info.path)
        if plan is None:
            inputs.append(load_leaf(out_dir, info))
        else:
            units = sorted((UnitInfo.from_result(result) for result in state.results[info.path]),
                           key=lambda unit: unit.index)
            inputs.append(LeafInput(info, tuple(units)))
    eval_items = load_eval_items(config.decontaminate) if config.decontaminate and config.dedup else ()
    settings = Settings(critic=config.critic, system_prompt=config.system_prompt,
                        dedup=(dedup or DedupConfig()) if config.dedup else None,
                        eval_items=tuple(eval_items))
    return curation_pass(out_dir, inputs, settings, store=store, teacher=lambda: state.teacher)
