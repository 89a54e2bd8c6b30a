"""Dedup and decontamination as a step: `find_removals` says which samples go (pure), `dedup_run` is the
step over a run directory.

On a run of `labgen generate` the removals are decided again from the stored sample records with the
run's curation settings (labgen.curate), so `labgen dedup` is the dedup step of the same curation pass
and leaves every file as a generate with these settings writes it. On a folder of leaf files only, the
removed samples move to rejects.jsonl (one reject schema, labgen.curate.rows); each file is rewritten
atomically and counts are recounted from the files, so running it again removes nothing and changes
no byte.
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
from labgen.errors import OutputError

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


@dataclass(frozen=True)
class Removal:
    """One sample removed by dedup or decontamination, and what it duplicates or overlaps."""

    leaf: str
    position: int  # the sample's place among its leaf's samples before this pass
    sample_id: str
    stage: str  # "dedup" or "decontaminate"
    reason: str
    duplicate_of: str  # a sample id, "seed:<leaf>#seed-N" or "eval:<file>:<line>"
    similarity: float
    eval_item: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Findings:
    removals: dict[tuple[str, int], Removal]
    near_pass: dict[str, int]
    warnings: tuple[str, ...]


def find_removals(leaves: Mapping[str, Sequence[Mapping[str, Any]]], config: DedupConfig,
                  seeds: Mapping[str, Sequence[SeedInput]], eval_items: Sequence[EvalItem] | None) -> Findings:
    """Decontaminate (when eval_items are given), then dedup: which samples go, by (leaf, position).

    `leaves` maps each leaf (in keep-first order) to its samples (mappings with id, kind, question,
    answer and context). Writes nothing: the caller's writer does.
    """
    warnings: list[str] = []
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
    return Findings(removals, near_stats, tuple(warnings))


def dedup_report(out_dir: Path, sizes: Mapping[str, int], findings: Findings, config: DedupConfig,
                 seeds: Mapping[str, Sequence[SeedInput]], eval_items: int, elapsed_s: float,
                 warnings: Sequence[str] = ()) -> DedupReport:
    """The pass summarised (OUT/dedup.json): `sizes` is each leaf's sample count before it."""
    removals = findings.removals
    return DedupReport(
        out_dir=str(out_dir),
        leaves=tuple(LeafDedup(leaf, size, size - sum(1 for r in removals.values() if r.leaf == leaf),
                               dict(Counter(f"{r.stage}/{r.reason}" for r in removals.values() if r.leaf == leaf)))
                     for leaf, size in sizes.items()),
        removals=tuple(removals[key] for key in sorted(removals)),
        seeds={leaf: len(seeds.get(leaf, ())) for leaf in sizes if config.against_seeds},
        eval_items=eval_items, near_pass=findings.near_pass, elapsed_s=elapsed_s, config=config,
        warnings=tuple(warnings) + findings.warnings)


def dedup_run(out_dir: Path, config: DedupConfig | None = None, seeds: Mapping[str, Sequence[SeedInput]] | None = None,
              eval_items: Sequence[EvalItem] | None = None) -> DedupReport:
    """Decontaminate (when eval_items are given), then dedup every leaf of a run directory; write the results.

    A run of `labgen generate` (its units stored) is curated again with its own settings and this dedup
    configuration (labgen.curate), so the result equals that of a generate with these settings; a folder
    of leaf files only has the removals applied to the samples it holds.
    """
    from labgen.curate.inputs import has_manifests

    started = time.perf_counter()
    config = config or DedupConfig()
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise OutputError("run directory not found", path=out_dir, hint="pass the OUT folder of `labgen generate`")
    if has_manifests(out_dir):
        from labgen.curate.rerun import dedup_again

        return dedup_again(out_dir, config, seeds=seeds, eval_items=eval_items)
    from labgen.curate.writer import apply_removals, write_dedup_summary

    leaves = read_leaf_samples(out_dir)
    warnings: list[str] = []
    if config.against_seeds and seeds is None:
        seeds, warnings = load_run_seeds(out_dir, list(leaves))
    seeds = seeds or {}
    findings = find_removals(leaves, config, seeds, eval_items)
    apply_removals(out_dir, leaves, findings.removals)
    report = dedup_report(out_dir, {leaf: len(rows) for leaf, rows in leaves.items()}, findings, config, seeds,
                          len(eval_items or ()), time.perf_counter() - started, warnings)
    write_dedup_summary(out_dir, report)
    return report
