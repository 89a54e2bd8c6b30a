"""The one writer of a run's files: each leaf's samples.jsonl, rejects.jsonl and stats.json, OUT/dedup.json
and OUT/run.json, each written once (atomically) after every curation step has decided. Counts come from
the rows written, through one counting function (labgen.curate.rows.count_rejects).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labgen.curate.rows import count_rejects, reject_row
from labgen.jsonl import read_jsonl, write_json_atomic, write_jsonl_atomic

SAMPLES = "samples.jsonl"
REJECTS = "rejects.jsonl"
STATS = "stats.json"
RUN = "run.json"
DEDUP_SUMMARY = "dedup.json"
DEDUP_STAGES = ("dedup", "decontaminate")


@dataclass(frozen=True)
class LeafCounts:
    generated: int
    kept: int
    rejected: int

    def as_dict(self) -> dict[str, int]:
        return {"generated": self.generated, "kept": self.kept, "rejected": self.rejected}


def write_leaf(out_dir: Path, leaf: str, samples: Sequence[Mapping[str, Any]], rejects: Sequence[Mapping[str, Any]],
               stats: Mapping[str, Any]) -> LeafCounts:
    """Write one leaf's three files; `stats` adds to the counts (units, requests, tokens, teacher...)."""
    folder = Path(out_dir) / leaf
    write_jsonl_atomic(folder / SAMPLES, samples)
    write_jsonl_atomic(folder / REJECTS, rejects)
    counts = LeafCounts(generated=len(samples) + len(rejects), kept=len(samples), rejected=len(rejects))
    write_json_atomic(folder / STATS, {"leaf": leaf, **stats, **counts.as_dict(), **_reject_counts(rejects)})
    return counts


def _reject_counts(rejects: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    by_stage: Counter[str] = Counter()
    rows = list(rejects)
    for row in rows:
        by_stage[str(row.get("stage"))] += 1
    return {"rejected_by": dict(sorted(count_rejects(rows).items())), "dedup_removed": by_stage["dedup"],
            "decontaminate_removed": by_stage["decontaminate"]}


def merge_accounting(accountings: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The teacher accounting of a leaf: its units' per-stage counters summed."""
    from labgen.teachers.base import Accounting, StageCounters

    total = Accounting()
    for accounting in accountings:
        for stage, counters in (accounting or {}).get("stages", {}).items():
            into = total.stages.setdefault(stage, StageCounters())
            into.requests += counters.get("requests", 0)
            into.retries += counters.get("retries", 0)
            into.failures += counters.get("failures", 0)
            into.prompt_tokens += counters.get("prompt_tokens", 0)
            into.completion_tokens += counters.get("completion_tokens", 0)
            into.latency_s += counters.get("latency_s", 0.0)
    return total.as_dict()


def write_dedup_summary(out_dir: Path, report: Any) -> None:
    write_json_atomic(Path(out_dir) / DEDUP_SUMMARY, report.as_dict())


def write_run(out_dir: Path, run: Mapping[str, Any]) -> Path:
    path = Path(out_dir) / RUN
    write_json_atomic(path, run)
    return path


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def apply_removals(out_dir: Path, leaves: Mapping[str, Sequence[Mapping[str, Any]]],
                   removals: Mapping[tuple[str, int], Any]) -> dict[str, int]:
    """A folder of leaf files without stored units: move the removed samples to rejects (the one schema),
    recount each leaf's stats.json from its files and update run.json's leaf counts. Returns kept counts."""
    kept_counts: dict[str, int] = {}
    for leaf, rows in leaves.items():
        folder = Path(out_dir) / leaf
        gone = {position: removals[(leaf, position)] for position in range(len(rows)) if (leaf, position) in removals}
        rejects = list(read_jsonl(folder / REJECTS)) if (folder / REJECTS).exists() else []
        present = {row.get("id") for row in rejects}
        for position, removal in sorted(gone.items()):
            row = rows[position]
            reject = reject_row(sample_id=removal.sample_id, leaf=leaf, kind=row.get("kind"), stage=removal.stage,
                                reason=removal.reason, fields=row, duplicate_of=removal.duplicate_of,
                                similarity=removal.similarity, eval_item=removal.eval_item, critic=row.get("critic"),
                                provenance=row.get("provenance"))
            if reject["id"] not in present:
                rejects.append(reject)
        samples = [row for position, row in enumerate(rows) if position not in gone]
        if gone:
            write_jsonl_atomic(folder / SAMPLES, samples)
            write_jsonl_atomic(folder / REJECTS, rejects)
        stats = read_json(folder / STATS) or {}
        stats.update({"leaf": stats.get("leaf", leaf), "kept": len(samples), "rejected": len(rejects),
                      **_reject_counts(rejects)})
        write_json_atomic(folder / STATS, stats)
        kept_counts[leaf] = len(samples)
    run = read_json(Path(out_dir) / RUN)
    if run is not None and isinstance(run.get("leaves"), dict):
        for leaf, kept in kept_counts.items():
            entry = run["leaves"].get(leaf)
            if isinstance(entry, dict):
                stats = read_json(Path(out_dir) / leaf / STATS) or {}
                entry.update({"kept": kept, "rejected": stats.get("rejected"),
                              "dedup_removed": stats.get("dedup_removed", 0) + stats.get("decontaminate_removed", 0)})
        write_run(out_dir, run)
    return kept_counts
