"""What a run writes: unit results, and each leaf's samples.jsonl, rejects.jsonl and stats.json
(assembled atomically from its finished units, in unit order), and OUT/run.json. See docs/formats.md.
"""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labgen.errors import OutputError
from labgen.generate.critic_link import critic_summary
from labgen.generate.filters import Candidate, Drop
from labgen.generate.unit_work import UnitWork
from labgen.generate.units import UnitStore
from labgen.hashing import short_id
from labgen.jsonl import write_json_atomic, write_jsonl_atomic
from labgen.taxonomy.leaf import Leaf

SAMPLES = "samples.jsonl"
REJECTS = "rejects.jsonl"
STATS = "stats.json"
RUN = "run.json"


@dataclass(frozen=True)
class LeafCounts:
    generated: int
    kept: int
    rejected: int

    def as_dict(self) -> dict[str, int]:
        return {"generated": self.generated, "kept": self.kept, "rejected": self.rejected}


def _user_message(candidate: Candidate) -> str:
    if candidate.context:
        return f"{candidate.context}\n\n{candidate.question or ''}"
    return candidate.question or ""


def _provenance(work: UnitWork, candidate: Candidate) -> dict[str, Any]:
    return {"leaf_path": work.leaf.path, "leaf_hash": work.leaf.content_hash,
            "taxonomy_commit": work.run.taxonomy_commit, "seed_ids": list(candidate.seed_ids),
            "templates": dict(sorted(candidate.templates.items())), "teacher": work.run.teacher,
            "sampling": dict(sorted(candidate.sampling.items())), "seed": work.run.seed, "unit": work.unit.id,
            "document": candidate.document,
            "tokens": {"prompt": candidate.prompt_tokens, "completion": candidate.completion_tokens}}


def sample_record(work: UnitWork, candidate: Candidate, position: int) -> dict[str, Any]:
    leaf = work.leaf
    return {"id": "s-" + short_id([work.unit.id, "sample", position]), "leaf": leaf.path, "branch": leaf.branch,
            "kind": leaf.kind,
            "messages": [{"role": "system", "content": work.config.system_prompt},
                         {"role": "user", "content": _user_message(candidate)},
                         {"role": "assistant", "content": candidate.answer or ""}],
            "question": candidate.question, "answer": candidate.answer, "context": candidate.context,
            "answer_style": candidate.answer_style, "critic": critic_summary(candidate.verdicts),
            "provenance": _provenance(work, candidate)}


def reject_record(work: UnitWork, drop: Drop, position: int) -> dict[str, Any]:
    candidate = drop.candidate or Candidate(slot=drop.slot, seed_ids=work.unit.seed_ids)
    return {"id": "r-" + short_id([work.unit.id, "reject", position]), "leaf": work.leaf.path, "kind": work.leaf.kind,
            "stage": drop.stage, "reason": drop.reason, "raw": drop.raw, "fields": candidate.fields(),
            "duplicate_of": None,
            "critic": critic_summary(candidate.verdicts) if candidate.verdicts else None,
            "provenance": _provenance(work, candidate)}


def unit_result(work: UnitWork, elapsed_s: float) -> dict[str, Any]:
    """A finished unit as stored: its samples and rejects in slot order, with ids from unit and position."""
    kept = sorted(work.ledger.kept, key=lambda c: c.slot)
    drops = sorted(work.ledger.drops, key=lambda d: (d.slot, d.stage))
    samples = [sample_record(work, c, i) for i, c in enumerate(kept)]
    rejects = [reject_record(work, d, i) for i, d in enumerate(drops)]
    return {"unit": work.unit.id, "leaf": work.leaf.path, "index": work.unit.index,
            "complete": work.ledger.teacher_failures == 0, "teacher_failures": work.ledger.teacher_failures,
            "requests": work.requests, "teacher": work.accounting.as_dict(), "samples": samples, "rejects": rejects,
            "rejected_by": dict(sorted(work.ledger.counts.items())),
            "tokens": {"prompt": sum(c.prompt_tokens for c in kept) + sum(d.candidate.prompt_tokens for d in drops
                                                                          if d.candidate),
                       "completion": sum(c.completion_tokens for c in kept)
                       + sum(d.candidate.completion_tokens for d in drops if d.candidate)},
            "elapsed_s": round(elapsed_s, 3)}


def merge_accounting(units: list[dict[str, Any]]) -> dict[str, Any]:
    """The teacher accounting of a leaf: its units' per-stage counters summed."""
    from labgen.teachers.base import Accounting, StageCounters

    total = Accounting()
    for unit in units:
        for stage, counters in (unit.get("teacher") or {}).get("stages", {}).items():
            into = total.stages.setdefault(stage, StageCounters())
            into.requests += counters.get("requests", 0)
            into.retries += counters.get("retries", 0)
            into.failures += counters.get("failures", 0)
            into.prompt_tokens += counters.get("prompt_tokens", 0)
            into.completion_tokens += counters.get("completion_tokens", 0)
            into.latency_s += counters.get("latency_s", 0.0)
    return total.as_dict()


def assemble_leaf(out_dir: Path, leaf: Leaf, units: list[dict[str, Any]], *, elapsed_s: float) -> LeafCounts:
    """Write the leaf's samples, rejects and stats from its units (in unit order), each file atomically."""
    folder = Path(out_dir) / leaf.path
    ordered = sorted(units, key=lambda u: u["index"])
    samples = [row for unit in ordered for row in unit["samples"]]
    rejects = [row for unit in ordered for row in unit["rejects"]]
    write_jsonl_atomic(folder / SAMPLES, samples)
    write_jsonl_atomic(folder / REJECTS, rejects)
    rejected_by: Counter[str] = Counter()
    for unit in ordered:
        rejected_by.update(unit.get("rejected_by", {}))
    counts = LeafCounts(generated=len(samples) + len(rejects), kept=len(samples), rejected=len(rejects))
    write_json_atomic(folder / STATS, {"leaf": leaf.path, "kind": leaf.kind, **counts.as_dict(),
                                       "rejected_by": dict(sorted(rejected_by.items())),
                                       "units": len(ordered), "requests": sum(u.get("requests", 0) for u in ordered),
                                       "tokens": {"prompt": sum(u["tokens"]["prompt"] for u in ordered),
                                                  "completion": sum(u["tokens"]["completion"] for u in ordered)},
                                       "teacher": merge_accounting(ordered), "elapsed_s": round(elapsed_s, 3)})
    return counts


def read_leaf_counts(out_dir: Path, leaf_path: str) -> LeafCounts | None:
    """Counts of a leaf as its stats.json says now (after dedup may have moved samples to rejects)."""
    import json

    path = Path(out_dir) / leaf_path / STATS
    try:
        stats = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return LeafCounts(int(stats.get("generated", 0)), int(stats.get("kept", 0)), int(stats.get("rejected", 0)))


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


def write_run_json(out_dir: Path, run: dict[str, Any]) -> Path:
    path = Path(out_dir) / RUN
    write_json_atomic(path, run)
    return path
