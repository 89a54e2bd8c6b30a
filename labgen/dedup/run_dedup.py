"""dedup_run: the dedup step over a run directory (OUT/<leaf>/samples.jsonl), moving removals to rejects.

Order of work, so a killed run loses nothing: rejects are appended first (skipping ids already there),
then samples.jsonl is rewritten atomically, then stats.json, run.json and OUT/dedup.json.
Running it again removes nothing: what is left has no duplicates, and reject counts are recounted from
rejects.jsonl rather than added.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labgen.dedup.config import DedupConfig
from labgen.dedup.decontaminate import ContaminationIndex, EvalItem
from labgen.dedup.find import find_duplicates
from labgen.dedup.items import DedupItem, SeedText
from labgen.dedup.seeds import SeedInput, load_run_seeds, read_leaf_samples, sample_item, seed_item
from labgen.dedup.write_back import Removal, write_back
from labgen.errors import OutputError
from labgen.jsonl import write_json_atomic

DEDUP = "dedup"
DECONTAMINATE = "decontaminate"


@dataclass(frozen=True)
class LeafDedup:
    leaf: str
    before: int
    kept: int
    removed: Mapping[str, int]  # "<stage>/<reason>" -> count, this run


@dataclass(frozen=True)
class DedupReport:
    out_dir: str
    leaves: tuple[LeafDedup, ...]
    removals: tuple[Removal, ...]
    seeds: Mapping[str, int]  # leaf -> seed texts compared against
    eval_items: int
    near_pass: Mapping[str, int]
    elapsed_s: float
    config: DedupConfig
    warnings: tuple[str, ...] = field(default=())

    @property
    def removed(self) -> int:
        return len(self.removals)

    def as_dict(self) -> dict[str, Any]:
        by_reason = Counter(f"{r.stage}/{r.reason}" for r in self.removals)
        return {
            "config": self.config.as_dict(),
            "leaves": {leaf.leaf: {"before": leaf.before, "kept": leaf.kept, "removed": dict(leaf.removed)}
                       for leaf in self.leaves},
            "totals": {"before": sum(leaf.before for leaf in self.leaves),
                       "kept": sum(leaf.kept for leaf in self.leaves),
                       "removed": self.removed, "removed_by": dict(sorted(by_reason.items()))},
            "contamination": [{"sample": r.sample_id, "leaf": r.leaf, **(r.eval_item or {})}
                              for r in self.removals if r.stage == DECONTAMINATE],
            "seeds": dict(self.seeds), "eval_items": self.eval_items, "near_pass": dict(self.near_pass),
            "elapsed_s": round(self.elapsed_s, 3), "warnings": list(self.warnings),
        }


def dedup_run(out_dir: Path, config: DedupConfig | None = None, seeds: Mapping[str, Sequence[SeedInput]] | None = None,
              eval_items: Sequence[EvalItem] | None = None) -> DedupReport:
    """Decontaminate (when eval_items are given), then dedup every leaf of a run directory; write the results."""
    started = time.perf_counter()
    config = config or DedupConfig()
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise OutputError("run directory not found", path=out_dir, hint="pass the OUT folder of `labgen generate`")
    leaves = read_leaf_samples(out_dir)
    warnings: list[str] = []
    if config.against_seeds and seeds is None:
        seeds, warnings = load_run_seeds(out_dir, list(leaves))
    seeds = seeds or {}

    removals: dict[tuple[str, int], Removal] = {}
    if eval_items:
        index = ContaminationIndex(eval_items, config)
        warnings += [f"{item.file}:{item.line}: evaluation item under {config.eval_min_words} words, not checked"
                     for item in index.skipped]
        for leaf, rows in leaves.items():
            for position, row in enumerate(rows):
                found = index.find((row.get("question"), row.get("answer"), row.get("context")))
                if found is not None:
                    removals[(leaf, position)] = Removal(
                        leaf=leaf, position=position, sample_id=str(row.get("id")), stage=DECONTAMINATE,
                        reason=found.rule, duplicate_of=found.item.ref, similarity=1.0, eval_item=found.as_dict())

    items: list[DedupItem] = []
    owners: list[tuple[str, int, str]] = []  # (leaf, position in samples or -1 for a seed, seed ref)
    if config.against_seeds:
        for leaf in leaves:
            for number, seed in enumerate(seeds.get(leaf, ())):
                items.append(seed_item(seed, leaf))
                seed_id = seed.id if isinstance(seed, SeedText) and seed.id else f"seed-{number}"
                owners.append((leaf, -1, f"seed:{leaf}#{seed_id}"))
    for leaf, rows in leaves.items():
        for position, row in enumerate(rows):
            if (leaf, position) not in removals:
                items.append(sample_item(row, leaf))
                owners.append((leaf, position, str(row.get("id"))))
    near_stats: dict[str, int] = {}
    for index, match in sorted(find_duplicates(items, config, near_stats).items()):
        leaf, position, sample_id = owners[index]
        original_leaf, original_position, original_id = owners[match.original]
        copy = "copy of a seed" if original_position < 0 else "duplicate"
        removals[(leaf, position)] = Removal(
            leaf=leaf, position=position, sample_id=sample_id, stage=DEDUP,
            reason=f"{'exact' if match.exact else 'near'} {copy}", duplicate_of=original_id,
            similarity=round(match.similarity, 4))

    kept = write_back(out_dir, leaves, removals)
    report = DedupReport(
        out_dir=str(out_dir),
        leaves=tuple(LeafDedup(leaf, len(rows), kept[leaf],
                               dict(Counter(f"{r.stage}/{r.reason}" for r in removals.values() if r.leaf == leaf)))
                     for leaf, rows in leaves.items()),
        removals=tuple(removals[key] for key in sorted(removals)),
        seeds={leaf: len(seeds.get(leaf, ())) for leaf in leaves if config.against_seeds},
        eval_items=len(eval_items or ()), near_pass=near_stats, elapsed_s=time.perf_counter() - started,
        config=config, warnings=tuple(warnings))
    write_json_atomic(out_dir / "dedup.json", report.as_dict())
    return report
