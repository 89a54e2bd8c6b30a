"""The main job: plan every selected leaf into work units, run them streaming against the teacher, then
the curation pass over every unit's sample records (the in-unit decisions reused, dedup and
decontamination added) writes each leaf's files and run.json, each once.

The units run in this process (execution.py: every unit an asyncio task, streaming per sample) or, with
an executor, elsewhere by the same code (ray_executor.py: a Ray task per leaf); planning, manifests and
the curation pass stay here, so the output is written once, by this process.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from labgen import __version__
from labgen.curate.writer import LeafCounts, write_run
from labgen.dedup.config import DedupConfig
from labgen.errors import TeacherError
from labgen.generate.check_process import CheckProcess
from labgen.generate.check_process import wanted as wanted_check_process
from labgen.generate.config import GenerateConfig
from labgen.generate.execution import RunState, execute
from labgen.generate.output import remove_leaf_output
from labgen.generate.plan import LeafPlan, plan_leaf, teacher_context_window
from labgen.generate.progress import Progress, QuietProgress
from labgen.generate.selection import SkippedLeaf, leaf_documents, select_leaves
from labgen.generate.unit_work import RunInfo
from labgen.generate.units import UnitStore
from labgen.taxonomy.leaf import KNOWLEDGE, Leaf
from labgen.teachers.base import Teacher

if TYPE_CHECKING:
    from labgen.curate.run import PassResult


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


class Executor(Protocol):
    """Where a run's units run: in this process (the default, `execute` on one event loop) or spread over a
    cluster (labgen.generate.ray_executor.RayExecutor), each leaf by the same `execute`."""

    def run(self, plans: list[LeafPlan], state: RunState) -> None: ...


def generate(taxonomy: Path, out_dir: Path, teacher: Teacher, config: GenerateConfig | None = None, *,
             changed_base: str | None = None, progress: Progress | None = None,
             skip_invalid: bool = False, answer_store: Path | None | bool = True,
             dedup: DedupConfig | None = None, executor: Executor | None = None) -> GenerateResult:
    """Generate every leaf of `taxonomy` (or those changed against `changed_base`) into `out_dir`.

    Any invalid leaf stops the run before a teacher call, unless `skip_invalid`: then only the valid
    leaves are generated and the others are listed (with their first error) in the result and run.json.
    Teacher answers are kept in the answer store (`answer_store`: True for OUT/.labgen/answers.sqlite, a
    path to share one store between runs, False for none), so a rerun that sends the same requests spends
    no tokens whatever the critic, system prompt or dedup settings. `dedup`: the dedup settings (default
    DedupConfig(); none when `config.dedup` is off). `executor`: where the units run (default: this
    process; `RayExecutor` spreads the leaves over a Ray cluster and writes the same files).
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
    state = RunState(teacher=teacher, config=config, store=UnitStore(out_dir), info=info, progress=progress,
                     out_dir=out_dir, abort_after=config.abort_after_failures, dedup=dedup,
                     answer_path=None if stored is None else stored.store.path)
    if executor is None and wanted_check_process(config.check_process, teacher.backend):
        state.checks = CheckProcess(teacher.notice)
    try:
        if executor is None:
            asyncio.run(execute(plans, state))
        else:
            executor.run(plans, state)
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


def _curate(out_dir: Path, plans: list[LeafPlan], state: RunState, dedup: DedupConfig | None,
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
