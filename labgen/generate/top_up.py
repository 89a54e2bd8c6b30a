"""Reaching a leaf's target after dedup: how many of a leaf's kept samples survive dedup within the leaf
(and against its seeds), and whether the leaf gets top-up units for the rest.

A leaf is topped up only for what dedup took from units that did reach their targets: a unit that used
its rounds without reaching its target has spent its request cap (its outputs keep failing), and more
units would fail the same way. Everything here depends only on the stored unit results, so a rerun tops
up exactly as the first run did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from labgen.taxonomy.leaf import Leaf

MAX_TOP_UP_PASSES = 3  # a leaf's top-ups stop after this many passes, whatever dedup still takes


@dataclass(frozen=True)
class LeafProgress:
    kept: int  # kept samples of the leaf's units
    unique: int  # of those, what dedup within the leaf and against its seeds leaves
    capped: bool  # some unit used its rounds without reaching its target


def leaf_progress(leaf: Leaf, units: Sequence[dict[str, Any]], unit_targets: dict[str, int]) -> LeafProgress:
    """Count a leaf's kept and deduplicated samples from its unit results (in unit order)."""
    from labgen.dedup import DedupConfig, find_duplicates, seeds_from_leaves
    from labgen.dedup.seeds import sample_item, seed_item

    ordered = sorted(units, key=lambda u: u["index"])
    rows = [row for unit in ordered for row in unit["samples"]]
    seeds = [seed_item(seed, leaf.path) for seed in seeds_from_leaves([leaf]).get(leaf.path, [])]
    items = seeds + [sample_item(row, leaf.path) for row in rows]
    removed = sum(1 for index in find_duplicates(items, DedupConfig(across_leaves=False)) if index >= len(seeds))
    capped = any(len(unit["samples"]) < unit_targets.get(unit["unit"], 0) for unit in ordered)
    return LeafProgress(kept=len(rows), unique=len(rows) - removed, capped=capped)


def top_up_wanted(progress: LeafProgress, target: int, passes_done: int) -> int:
    """Kept samples a new pass of units should add (0: the leaf is done)."""
    if progress.capped or passes_done >= MAX_TOP_UP_PASSES:
        return 0
    return max(0, target - progress.unique)
