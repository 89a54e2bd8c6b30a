"""What a unit leaves behind: its result with every candidate as a sample record (the leaf files are
written from the records by labgen.curate.writer), and removing a deleted leaf's outputs. See docs/formats.md.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from labgen.curate.record import DropMark, RecordTables, SampleRecord
from labgen.curate.writer import REJECTS, SAMPLES, STATS
from labgen.errors import OutputError
from labgen.generate.filters import Candidate, Drop
from labgen.generate.unit_work import UnitWork
from labgen.generate.units import UnitStore
from labgen.hashing import short_id


def unit_result(work: UnitWork, elapsed_s: float) -> dict[str, Any]:
    """A finished unit as stored: every candidate it made as a sample record, in slot order (labgen.curate
    turns records into samples and rejects), and what the records share: the unit's place and settings."""
    from dataclasses import fields

    kept = [(c, None) for c in work.ledger.kept]
    dropped = [(d.candidate or Candidate(slot=d.slot, seed_ids=work.unit.seed_ids), d) for d in work.ledger.drops]
    entries = sorted(kept + dropped, key=lambda entry: (entry[0].slot, entry[1].stage if entry[1] else ""))
    per_candidate = _per_candidate_stages(work.leaf.kind)
    tables = RecordTables(seed_ids=work.unit.seed_ids)
    records = [tables.encode(_record(work, candidate, drop, per_candidate)) for candidate, drop in entries]
    templates: dict[str, dict[str, str]] = {}
    for candidate, _ in entries:
        templates.update(candidate.templates)
    critic = work.critic_config
    candidates = [c for c, _ in entries]
    return {"unit": work.unit.id, "leaf": work.leaf.path, "kind": work.leaf.kind, "branch": work.leaf.branch,
            "leaf_hash": work.leaf.content_hash, "index": work.unit.index,
            "complete": work.ledger.teacher_failures == 0, "teacher_failures": work.ledger.teacher_failures,
            "requests": work.requests, "teacher": work.accounting.as_dict(),
            "target": work.unit.target, "max_rounds": work.unit.max_rounds, "asks": work.asks,
            "shape": {"per_request": work.unit.per_request, "contexts_per_round": work.unit.contexts_per_round,
                      "questions_per_context": work.unit.questions_per_context,
                      "answer_styles": list(work.config.answer_styles)},
            "rounds": 1 + max((c.slot[0] for c in candidates if c.slot), default=-1),
            "seed": work.run.seed, "seed_key": work.unit.request_key or work.unit.id,
            "seed_ids": list(work.unit.seed_ids), "taxonomy_commit": work.run.taxonomy_commit,
            "teacher_identity": work.run.teacher,
            "critic": {f.name: getattr(critic, f.name) for f in fields(critic)},
            "templates": dict(sorted(templates.items())), **tables.as_json(), "records": records,
            "rejected_by": dict(sorted(work.ledger.counts.items())),
            "tokens": {"prompt": sum(c.prompt_tokens for c in candidates),
                       "completion": sum(c.completion_tokens for c in candidates)},
            "elapsed_s": round(elapsed_s, 3)}


def _per_candidate_stages(kind: str) -> frozenset[str]:
    """Stages whose drop is a curation decision on one candidate: its judges and checks, and the one-answer
    generation step (a failed answer request); any other drop (parse, a failed list request) is final."""
    from labgen.critic.checks import DETERMINISTIC_CHECKS
    from labgen.generate.pipelines import GENERATE, ONE, pipeline_for

    pipeline = pipeline_for(kind)
    return frozenset(DETERMINISTIC_CHECKS) | {s.name for s in pipeline.steps
                                              if s.role != GENERATE or s.yields == ONE}


def _record(work: UnitWork, candidate: Candidate, drop: Drop | None, per_candidate: frozenset[str]) -> SampleRecord:
    unit = work.unit
    mark = None if drop is None else DropMark(drop.stage, drop.reason, drop.raw, drop.teacher_failure)
    record_id = "s-" + short_id([unit.request_key or unit.id, work.run.seed, list(candidate.slot),
                                 candidate.question, candidate.answer, candidate.context])
    return SampleRecord(
        id=record_id, leaf=work.leaf.path, kind=work.leaf.kind, unit=unit.id, slot=candidate.slot,
        seed_ids=candidate.seed_ids, question=candidate.question, answer=candidate.answer, context=candidate.context,
        answer_style=candidate.answer_style, document=candidate.document, templates=tuple(sorted(candidate.templates)),
        sampling=dict(sorted(candidate.sampling.items())),
        tokens=dict(sorted(candidate.stage_tokens.items())), finish_reason=candidate.finish_reason,
        checks=tuple(candidate.checks), judges=dict(candidate.judges), drop=mark,
        candidate=drop is None or (drop.candidate is not None and drop.stage in per_candidate))


def remove_leaf_output(out_dir: Path, leaf_path: str) -> None:
    """A deleted leaf's outputs and stored units go from OUT."""
    out_dir = Path(out_dir).resolve()
    folder = (out_dir / leaf_path).resolve()
    if out_dir not in folder.parents:
        raise OutputError(f"refusing to remove {folder}: not inside the output folder", path=out_dir)
    for name in (SAMPLES, REJECTS, STATS):
        try:
            (folder / name).unlink()
        except FileNotFoundError:
            pass
    UnitStore(out_dir).remove_leaf(leaf_path)
    for parent in [folder, *folder.parents]:
        if parent == out_dir or out_dir not in parent.parents:
            break
        try:
            parent.rmdir()  # only when empty
        except OSError:
            break
    units_folder = UnitStore(out_dir).root / leaf_path
    if units_folder.is_dir() and not any(units_folder.iterdir()):
        shutil.rmtree(units_folder, ignore_errors=True)
