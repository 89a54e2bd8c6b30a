"""Reaching a leaf's target after dedup: how many of a leaf's kept samples survive dedup within the leaf
(and against its seeds), and whether the leaf gets top-up units for the rest.

A leaf is topped up only for what dedup took from units that did reach their targets: a unit that used
its rounds without reaching its target has spent its request cap (its outputs keep failing), and more
units would fail the same way. Everything here depends only on the stored unit results, so a rerun tops
up exactly as the first run did.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from labgen.dedup.config import DedupConfig
from labgen.hashing import content_hash


MAX_TOP_UP_PASSES = 3  # a leaf's top-ups stop after this many passes, whatever dedup still takes


@dataclass(frozen=True)
class LeafProgress:
    kept: int  # kept samples of the leaf's units
    unique: int  # of those, what dedup within the leaf and against its seeds leaves
    capped: bool  # some unit used its rounds without reaching its target


def leaf_progress(leaf: Any, units: Sequence[tuple[int, Sequence[dict[str, Any]]]],
                  dedup: DedupConfig) -> LeafProgress:
    """Count a leaf's kept and deduplicated samples. `leaf`: a Leaf or the run's LeafInfo (path, kind,
    seed examples); `units`: in unit order, each unit's target and its kept samples' fields."""
    from labgen.dedup import find_duplicates, seeds_from_leaves
    from labgen.dedup.seeds import sample_item, seed_item

    rows = [{**fields, "kind": leaf.kind} for _, kept in units for fields in kept]
    seeds = [seed_item(seed, leaf.path) for seed in seeds_from_leaves([leaf]).get(leaf.path, [])]
    items = seeds + [sample_item(row, leaf.path) for row in rows]
    config = replace(dedup, across_leaves=False)
    # The run's curation pass replays every top-up decision the run made on the same items: count each once.
    key = content_hash([config.as_dict(), len(seeds), [(i.text, i.scope, i.namespace, i.reference) for i in items]])
    removed = _REMOVED.get(key)
    if removed is None:
        removed = sum(1 for index in find_duplicates(items, config) if index >= len(seeds))
        with _REMOVED_LOCK:  # top-up decisions run in worker threads
            _REMOVED[key] = removed
            while len(_REMOVED) > _REMEMBERED:
                _REMOVED.popitem(last=False)
    capped = any(len(kept) < target for target, kept in units)
    return LeafProgress(kept=len(rows), unique=len(rows) - removed, capped=capped)


# content hash of a leaf's dedup input -> how many of its samples dedup removes (a small value per entry)
_REMOVED: OrderedDict[str, int] = OrderedDict()
_REMOVED_LOCK = threading.Lock()
_REMEMBERED = 65536


def unit_kept_fields(result: dict[str, Any]) -> tuple[int, list[dict[str, Any]]]:
    """A stored unit result's target and the fields of its kept records (only those are read back)."""
    from labgen.curate.record import RecordTables

    tables = RecordTables.from_unit(result)
    return int(result["target"]), [tables.fields(record) for record in result["records"] if record["drop"] is None]


def pass_targets(wanted: int, per_unit: int) -> list[int]:
    """The targets of the units one top-up pass adds for `wanted` more samples (as LeafPlan.extra_units)."""
    count = -(-wanted // per_unit) if wanted > 0 else 0
    return [min(per_unit, wanted - k * per_unit) for k in range(count)]


def top_up_wanted(progress: LeafProgress, target: int, passes_done: int) -> int:
    """Kept samples a new pass of units should add (0: the leaf is done)."""
    if progress.capped or passes_done >= MAX_TOP_UP_PASSES:
        return 0
    return max(0, target - progress.unique)
