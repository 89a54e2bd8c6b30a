"""The curation pass over a run's sample records, shared by `labgen generate` (its end), `labgen curate` and
`labgen dedup`: replay each unit's rounds through the declared steps, ask the teacher only the judgments
the settings need and the store lacks, dedup and decontaminate the kept samples, then write every file once.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labgen.critic.config import CriticConfig
from labgen.curate.inputs import LeafInfo, LeafInput
from labgen.curate.judgments import Judges, JudgmentSource, ask
from labgen.curate.replay import Outcome, UnitReplay, apply_top_up_rule, replay_unit
from labgen.curate.rows import build_reject, build_sample
from labgen.curate.steps import Drop, curation_steps
from labgen.curate.writer import LeafCounts, merge_accounting, write_dedup_summary, write_leaf
from labgen.dedup.config import DedupConfig
from labgen.dedup.decontaminate import EvalItem
from labgen.errors import ConfigError
from labgen.store.answers import AnswerStore
from labgen.teachers.base import Teacher

TeacherSource = Callable[[], Teacher]
Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Settings:
    """What curation applies: the critic, the training rows' system prompt, dedup and decontamination."""

    critic: CriticConfig
    system_prompt: str
    dedup: DedupConfig | None = None  # None: no dedup (nor decontamination)
    eval_items: tuple[EvalItem, ...] = ()
    seeds: Mapping[str, Sequence[Any]] | None = None  # dedup's seeds by leaf (default: each leaf's manifest)


@dataclass(frozen=True)
class LeafResult:
    info: LeafInfo
    replays: tuple[UnitReplay, ...]
    missing_units: tuple[str, ...]
    counts: LeafCounts

    @property
    def units_needing_generation(self) -> int:
        return len(self.missing_units) + sum(1 for r in self.replays if r.needs_generation)

    @property
    def samples_needing_generation(self) -> int:
        return sum(r.need_generation for r in self.replays)

    def needs(self) -> dict[str, int]:
        return {"units": self.units_needing_generation, "samples": self.samples_needing_generation,
                "missing_units": len(self.missing_units),
                "short_units": sum(1 for r in self.replays if r.short),
                "failed_units": sum(1 for r in self.replays if r.generation_failed)}


@dataclass(frozen=True)
class PassResult:
    leaves: dict[str, LeafResult]
    dedup: Any  # the DedupReport, or None without dedup
    judgments_asked: int
    judgments_missing: int  # needed, not stored, and no teacher to ask
    store_lookups: int
    notes: tuple[str, ...] = field(default=())

    def summary(self) -> dict[str, Any]:
        return {"judgments_asked": self.judgments_asked, "judgments_missing": self.judgments_missing,
                "store_lookups": self.store_lookups,
                "needs_generation": {path: leaf.needs() for path, leaf in self.leaves.items()
                                     if leaf.units_needing_generation}}


def curation_pass(out_dir: Path, inputs: Sequence[LeafInput], settings: Settings, *, store: AnswerStore | None,
                  teacher: TeacherSource | None = None) -> PassResult:
    """Decide every record of `inputs` again under `settings` and write each leaf's files (and dedup.json).

    Judgments the settings need that neither the records nor `store` hold are asked of `teacher` (built on
    first need); without one they are left undecided (reject stage "curate") and counted.
    """
    judges, source = Judges(), JudgmentSource(store)
    kinds = {leaf.info.kind for leaf in inputs}
    steps = {kind: curation_steps(kind, settings.critic, judges, source) for kind in kinds}
    source.prefetch(_rethreshold_keys(inputs, settings.critic, judges))
    live: Teacher | None = None
    asked = 0
    while True:
        replays = {leaf.info.path: apply_top_up_rule(
                       leaf.info, [replay_unit(unit, leaf.info, steps[leaf.info.kind]) for unit in leaf.units],
                       settings.dedup)
                   for leaf in inputs}
        missing = {key: request for leaf in replays.values() for replay in leaf
                   for key, request in replay.missing.items() if key not in source.answered}
        if not missing or teacher is None:
            break
        if live is None:
            live = teacher()
            _same_teacher(live, inputs)
        source.answered.update(ask(live, missing))
        asked += len(missing)
    overrides, report = _dedup(out_dir, inputs, replays, settings)
    leaves: dict[str, LeafResult] = {}
    for leaf in inputs:
        path = leaf.info.path
        samples, rejects = leaf_rows(replays[path], settings.system_prompt, overrides.get(path))
        units = [replay.unit for replay in replays[path]]
        counts = write_leaf(out_dir, path, samples, rejects, {
            "kind": leaf.info.kind, "units": len(units), "requests": sum(u.requests for u in units),
            "tokens": {"prompt": sum(u.tokens[0] for u in units), "completion": sum(u.tokens[1] for u in units)},
            "teacher": merge_accounting(u.accounting for u in units)})
        leaves[path] = LeafResult(leaf.info, tuple(replays[path]), leaf.missing, counts)
    if report is not None:
        write_dedup_summary(out_dir, report)
    unanswered = len({key for leaf in replays.values() for replay in leaf for key in replay.missing})
    notes = tuple(_notes(leaves, unanswered))
    return PassResult(leaves=leaves, dedup=report, judgments_asked=asked, judgments_missing=unanswered,
                      store_lookups=source.lookups, notes=notes)


def _rethreshold_keys(inputs: Sequence[LeafInput], critic: CriticConfig, judges: Judges) -> list[str]:
    """The store keys of every recorded judgment whose request still holds but whose threshold changed:
    the answers curation will parse again (a superset: some candidates now drop before that judge)."""
    keys = []
    for leaf in inputs:
        for unit in leaf.units:
            for record in unit.records:
                for name, mark in record.judges.items():
                    if mark.failure is not None:
                        continue
                    sha = str(unit.templates.get(name, {}).get("sha256", ""))
                    same_request, same_verdict = judges.reuse(name, unit.critic, critic, sha)
                    if same_request and not same_verdict:
                        keys.append(mark.key)
    return keys


def leaf_rows(replays: Sequence[UnitReplay], system_prompt: str,
              overrides: Mapping[tuple[int, int], Drop] | None = None) -> tuple[Rows, Rows]:
    """A leaf's samples and rejects from its replayed units, in unit and slot order; `overrides` are later
    steps' drops (dedup) by (unit position, outcome position)."""
    samples, rejects = [], []
    for unit_index, replay in enumerate(replays):
        for position, outcome in enumerate(replay.outcomes):
            drop = (overrides or {}).get((unit_index, position), outcome.drop)
            if drop is None:
                samples.append(build_sample(outcome, replay.unit, system_prompt))
            else:
                rejects.append(build_reject(outcome, drop, replay.unit))
    return samples, rejects


@contextlib.contextmanager
def without_cyclic_gc() -> Iterator[None]:
    """Records are millions of small objects without cycles: the cyclic collector would only walk them
    over and over (it doubles the time of a large pass), so it pauses while they live."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _same_teacher(teacher: Teacher, inputs: Sequence[LeafInput]) -> None:
    identity = teacher.identity()
    for leaf in inputs:
        for unit in leaf.units:
            if dict(unit.teacher_identity) != identity:
                raise ConfigError(f"the run was generated by {dict(unit.teacher_identity)}, not by the teacher "
                                  f"configured now ({identity})",
                                  hint="curate asks missing judgments of the run's own teacher; configure it, or "
                                       "pass --no-teacher")


def _dedup(out_dir: Path, inputs: Sequence[LeafInput], replays: Mapping[str, list[UnitReplay]],
           settings: Settings) -> tuple[dict[str, dict[tuple[int, int], Drop]], Any]:
    """Decontamination and dedup over the kept samples of every leaf (leaves by path, samples in order)."""
    if settings.dedup is None:
        return {}, None
    from labgen.dedup.run_dedup import dedup_report, find_removals
    from labgen.dedup.seeds import seeds_from_leaves

    started = time.perf_counter()
    rows: dict[str, list[dict[str, Any]]] = {}
    owners: dict[str, list[tuple[int, int]]] = {}
    for leaf in sorted(inputs, key=lambda item: item.info.path):
        path = leaf.info.path
        rows[path], owners[path] = [], []
        for unit_index, replay in enumerate(replays[path]):
            for position, outcome in enumerate(replay.outcomes):
                if outcome.kept:
                    record = outcome.record
                    rows[path].append({"id": record.id, "kind": record.kind, "question": record.question,
                                       "answer": record.answer, "context": record.context})
                    owners[path].append((unit_index, position))
    seeds = settings.seeds if settings.seeds is not None else seeds_from_leaves(leaf.info for leaf in inputs)
    findings = find_removals(rows, settings.dedup, seeds, settings.eval_items)
    overrides: dict[str, dict[tuple[int, int], Drop]] = {}
    for (path, position), removal in findings.removals.items():
        overrides.setdefault(path, {})[owners[path][position]] = Drop(
            removal.stage, removal.reason, None, duplicate_of=removal.duplicate_of, similarity=removal.similarity,
            eval_item=removal.eval_item)
    report = dedup_report(out_dir, {path: len(items) for path, items in rows.items()}, findings, settings.dedup,
                          seeds, len(settings.eval_items), time.perf_counter() - started)
    return overrides, report


def _notes(leaves: Mapping[str, LeafResult], unanswered: int) -> list[str]:
    notes = []
    for path, leaf in leaves.items():
        if leaf.units_needing_generation:
            needs = leaf.needs()
            notes.append(f"{path}: {needs['units']} units need generation under these settings "
                         f"({needs['samples']} candidates without an answer, {needs['short_units']} units short of "
                         f"their target with rounds left, {needs['failed_units']} with failed requests, "
                         f"{needs['missing_units']} never stored): run `labgen generate` with the same settings "
                         "(it reuses every stored answer)")
    if unanswered:
        notes.append(f"{unanswered} judgments these settings need are not stored and no teacher was asked; "
                     "their candidates are rejects of stage curate (curate with a teacher to ask them)")
    return notes
