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
    items, seeds, config = _dedup_input(leaf, units, dedup)
    # The run's curation pass replays every top-up decision the run made on the same items: count each once.
    key = _input_key(items, seeds, config)
    removed = _REMOVED.get(key)
    if removed is None:
        removed = _removed(items, seeds, config)
        _remember(key, removed)
    return _progress(units, removed)


def counted_progress(leaf: Any, units: Sequence[tuple[int, Sequence[dict[str, Any]]]],
                     dedup: DedupConfig) -> tuple[str, LeafProgress]:
    """leaf_progress counted afresh, with the key its count is remembered by (`remember_progress`): what
    the run's check process computes for the process that makes the decision."""
    items, seeds, config = _dedup_input(leaf, units, dedup)
    return _input_key(items, seeds, config), _progress(units, _removed(items, seeds, config))


def remember_progress(key: str, progress: LeafProgress) -> None:
    """Keep a count made elsewhere (counted_progress) for leaf_progress to find."""
    _remember(key, progress.kept - progress.unique)


def _dedup_input(leaf: Any, units: Sequence[tuple[int, Sequence[dict[str, Any]]]],
                 dedup: DedupConfig) -> tuple[list[Any], int, DedupConfig]:
    """(the seeds' and kept samples' dedup items, how many are seeds, the config of dedup within the leaf)."""
    from labgen.dedup import seeds_from_leaves
    from labgen.dedup.seeds import sample_item, seed_item

    seeds = [seed_item(seed, leaf.path) for seed in seeds_from_leaves([leaf]).get(leaf.path, [])]
    samples = [sample_item({**fields, "kind": leaf.kind}, leaf.path) for _, kept in units for fields in kept]
    return seeds + samples, len(seeds), replace(dedup, across_leaves=False)


def _input_key(items: list[Any], seeds: int, config: DedupConfig) -> str:
    return content_hash([config.as_dict(), seeds, [(i.text, i.scope, i.namespace, i.reference) for i in items]])


def _removed(items: list[Any], seeds: int, config: DedupConfig) -> int:
    """Kept samples (not seeds) that dedup removes."""
    from labgen.dedup import find_duplicates

    return sum(1 for index in find_duplicates(items, config) if index >= seeds)


def _remember(key: str, removed: int) -> None:
    with _REMOVED_LOCK:  # top-up decisions run in worker threads
        _REMOVED[key] = removed
        while len(_REMOVED) > _REMEMBERED:
            _REMOVED.popitem(last=False)


def _progress(units: Sequence[tuple[int, Sequence[dict[str, Any]]]], removed: int) -> LeafProgress:
    kept = sum(len(kept) for _, kept in units)
    capped = any(len(kept) < target for target, kept in units)
    return LeafProgress(kept=kept, unique=kept - removed, capped=capped)


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
