"""Moving removed samples from samples.jsonl to rejects.jsonl, and recounting stats.json and run.json."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labgen.hashing import short_id
from labgen.jsonl import JsonlAppender, read_jsonl, write_json_atomic, write_jsonl_atomic

STAGES = ("dedup", "decontaminate")


@dataclass(frozen=True)
class Removal:
    """One sample removed by dedup or decontamination, and what it duplicates or overlaps."""

    leaf: str
    position: int  # line order in the leaf's samples.jsonl before this run
    sample_id: str
    stage: str  # "dedup" or "decontaminate"
    reason: str
    duplicate_of: str  # a sample id, "seed:<leaf>#seed-N" or "eval:<file>:<line>"
    similarity: float
    eval_item: Mapping[str, Any] | None = None


def reject_row(removal: Removal, sample: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": "r-" + short_id({"sample": removal.sample_id, "stage": removal.stage}),
        "leaf": removal.leaf, "kind": sample.get("kind"), "stage": removal.stage, "reason": removal.reason,
        "raw": None,
        "fields": {"question": sample.get("question"), "answer": sample.get("answer"), "context": sample.get("context")},
        "duplicate_of": removal.duplicate_of, "similarity": removal.similarity,
        "eval_item": dict(removal.eval_item) if removal.eval_item else None,
        "sample_id": removal.sample_id, "critic": sample.get("critic"), "provenance": sample.get("provenance"),
        "sample": dict(sample),
    }


def write_back(out_dir: Path, leaves: Mapping[str, Sequence[Mapping[str, Any]]],
               removals: Mapping[tuple[str, int], Removal]) -> dict[str, int]:
    """Apply the removals leaf by leaf; returns each leaf's kept count."""
    kept_counts: dict[str, int] = {}
    for leaf, rows in leaves.items():
        leaf_dir = out_dir / leaf
        gone = {position: removals[(leaf, position)] for position in range(len(rows)) if (leaf, position) in removals}
        if gone:
            rejects = leaf_dir / "rejects.jsonl"
            present = {row.get("id") for row in read_jsonl(rejects)} if rejects.exists() else set()
            with JsonlAppender(rejects) as appender:
                for position, removal in sorted(gone.items()):
                    row = reject_row(removal, rows[position])
                    if row["id"] not in present:
                        appender.write(row)
            write_jsonl_atomic(leaf_dir / "samples.jsonl",
                               (row for position, row in enumerate(rows) if position not in gone))
        kept_counts[leaf] = len(rows) - len(gone)
        _recount_stats(leaf_dir, leaf, kept_counts[leaf])
    _update_run_json(out_dir, kept_counts)
    return kept_counts


def _recount_stats(leaf_dir: Path, leaf: str, kept: int) -> None:
    """Set kept, dedup_removed, decontaminate_removed and the dedup entries of rejected_by from the files."""
    path = leaf_dir / "stats.json"
    stats: dict[str, Any] = {}
    if path.exists():
        try:
            stats = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            stats = {}
    rejects = leaf_dir / "rejects.jsonl"
    counts: Counter[str] = Counter()
    by_stage: Counter[str] = Counter()
    total_rejects = 0
    if rejects.exists():
        for row in read_jsonl(rejects):
            total_rejects += 1
            if row.get("stage") in STAGES:
                counts[f"{row['stage']}/{row.get('reason')}"] += 1
                by_stage[row["stage"]] += 1
    rejected_by = {k: v for k, v in (stats.get("rejected_by") or {}).items()
                   if not k.startswith(tuple(f"{stage}/" for stage in STAGES))}
    previous = sum(v for k, v in (stats.get("rejected_by") or {}).items() if k not in rejected_by)
    rejected = stats.get("rejected")
    stats.update({
        "leaf": stats.get("leaf", leaf),
        "kept": kept,
        "rejected": total_rejects if not isinstance(rejected, int) else rejected - previous + sum(counts.values()),
        "rejected_by": dict(sorted({**rejected_by, **counts}.items())),
        "dedup_removed": by_stage["dedup"],
        "decontaminate_removed": by_stage["decontaminate"],
    })
    write_json_atomic(path, stats)


def _update_run_json(out_dir: Path, kept_counts: Mapping[str, int]) -> None:
    path = out_dir / "run.json"
    if not path.exists():
        return
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return
    leaves = run.get("leaves")
    if not isinstance(leaves, dict):
        return
    for leaf, kept in kept_counts.items():
        entry = leaves.get(leaf)
        if isinstance(entry, dict):
            stats = json.loads((out_dir / leaf / "stats.json").read_text(encoding="utf-8"))
            entry.update({"kept": kept, "rejected": stats.get("rejected"),
                          "dedup_removed": stats.get("dedup_removed", 0) + stats.get("decontaminate_removed", 0)})
    write_json_atomic(path, run)
