"""The bulk near-duplicate pass: MinHash LSH candidates, exact Jaccard check, the first in order kept.

Candidate pairs come from numpy sorts of the band keys (no per-item dict), so a million short texts
fit in a few minutes and about 1 GB; see bench/dedup_bench.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from labgen.dedup.config import DedupConfig
from labgen.dedup.items import DedupItem, Match
from labgen.dedup.minhash import MinHasher, estimated_similarity
from labgen.dedup.shingles import ShingleBatch, jaccard, shingle_batch

BATCH = 4096
_ESTIMATE_MARGIN = 0.2  # pairs whose MinHash estimate is this far under the threshold skip the exact check


def near_duplicates(items: Sequence[DedupItem], normalized: Sequence[str], config: DedupConfig,
                    skip: set[int] | frozenset[int] = frozenset(),
                    stats: dict[str, int] | None = None) -> dict[int, Match]:
    """Map index -> Match for items within config.threshold of an earlier kept item (skip: already removed).

    stats, when given, receives the pair counts of each stage (candidates, allowed, checked, similar)."""
    stats = stats if stats is not None else {}
    live = np.array([i for i in range(len(items)) if i not in skip], dtype=np.int64)
    if len(live) < 2:
        return {}
    hasher = MinHasher(config)
    shingles, signatures = _sketch([normalized[i] for i in live], config, hasher)
    pairs = _candidate_pairs(hasher.band_keys(signatures), config.bucket_neighbors)
    stats["candidate_pairs"] = len(pairs)
    pairs = _allowed(pairs, [items[i] for i in live], config)
    stats["allowed_pairs"] = len(pairs)
    later, earlier, similarity = _verified(pairs, shingles, signatures, config.threshold, stats)
    stats["similar_pairs"] = len(later)
    is_reference = np.fromiter((items[i].reference for i in live), dtype=bool, count=len(live))
    return _resolve_first_kept(live, later, earlier, similarity, is_reference)


def _sketch(texts: Sequence[str], config: DedupConfig, hasher: MinHasher) -> tuple[ShingleBatch, np.ndarray]:
    values, offsets, sigs = [], [np.zeros(1, dtype=np.int64)], []
    base = 0
    for start in range(0, len(texts), BATCH):
        batch = shingle_batch(texts[start:start + BATCH], config)
        values.append(batch.values)
        offsets.append(batch.offsets[1:] + base)
        base += len(batch.values)
        sigs.append(hasher.signatures(batch))
    return ShingleBatch(np.concatenate(values), np.concatenate(offsets)), np.concatenate(sigs)


def _candidate_pairs(band_keys: np.ndarray, neighbors: int) -> np.ndarray:
    """(later, earlier) index pairs sharing a band: each member with the bucket's first and `neighbors` previous."""
    n = band_keys.shape[0]
    chunks = []
    positions = np.arange(n, dtype=np.int64)
    for band in range(band_keys.shape[1]):
        order = np.argsort(band_keys[:, band], kind="stable")
        keys = band_keys[order, band]
        starts = np.zeros(n, dtype=np.int64)
        new = np.ones(n, dtype=bool)
        new[1:] = keys[1:] != keys[:-1]
        starts = np.maximum.accumulate(np.where(new, positions, 0))
        rank = positions - starts
        if not (rank > 0).any():
            continue
        for d in range(1, neighbors + 1):
            at = np.nonzero(rank >= d)[0]
            if len(at) == 0:
                break
            chunks.append(np.stack([order[at], order[at - d]], axis=1))
        at = np.nonzero(rank > neighbors)[0]
        if len(at):
            chunks.append(np.stack([order[at], order[starts[at]]], axis=1))
    if not chunks:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.concatenate(chunks)
    unique = np.unique(pairs[:, 0] * n + pairs[:, 1])
    return np.stack([unique // n, unique % n], axis=1)


def _allowed(pairs: np.ndarray, items: Sequence[DedupItem], config: DedupConfig) -> np.ndarray:
    """Drop pairs the scope rules exclude (references never removed, seeds only within their leaf, ...)."""
    if len(pairs) == 0:
        return pairs
    scope_ids: dict[str, int] = {}
    ns_ids: dict[str, int] = {"": 0}
    scope = np.fromiter((scope_ids.setdefault(it.scope, len(scope_ids)) for it in items), dtype=np.int64)
    ns = np.fromiter((ns_ids.setdefault(it.namespace, len(ns_ids)) for it in items), dtype=np.int64)
    ref = np.fromiter((it.reference for it in items), dtype=bool)
    i, j = pairs[:, 0], pairs[:, 1]
    same_scope = scope[i] == scope[j]
    with_reference = ref[j] & same_scope & ((ns[j] == 0) | (ns[j] == ns[i])) & config.against_seeds
    with_sample = ~ref[j] & (ns[j] == ns[i]) & (same_scope | config.across_leaves)
    return pairs[~ref[i] & (with_reference | with_sample)]


def _verified(pairs: np.ndarray, shingles: ShingleBatch, signatures: np.ndarray,
              threshold: float, stats: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep the pairs whose exact Jaccard similarity reaches the threshold."""
    if len(pairs) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    estimate = np.concatenate([estimated_similarity(signatures[pairs[s:s + 65536, 0]], signatures[pairs[s:s + 65536, 1]])
                               for s in range(0, len(pairs), 65536)])
    pairs = pairs[estimate >= threshold - _ESTIMATE_MARGIN]
    stats["checked_pairs"] = len(pairs)
    similarity = np.fromiter((jaccard(shingles.of(int(a)), shingles.of(int(b))) for a, b in pairs),
                             dtype=np.float64, count=len(pairs))
    ok = similarity >= threshold
    return pairs[ok, 0], pairs[ok, 1], similarity[ok]


def _resolve_first_kept(live: np.ndarray, later: np.ndarray, earlier: np.ndarray, similarity: np.ndarray,
                        is_reference: np.ndarray) -> dict[int, Match]:
    """Walk items in order: one is removed when an earlier item it matches is still kept (seeds preferred)."""
    order = np.lexsort((earlier, -similarity, ~is_reference[earlier], later))
    kept = np.ones(len(live), dtype=bool)
    found: dict[int, Match] = {}
    current = -1
    for k in order:
        i, j = int(later[k]), int(earlier[k])
        if i == current or not kept[j]:
            continue
        current = i
        kept[i] = False
        found[int(live[i])] = Match(index=int(live[i]), original=int(live[j]), similarity=float(similarity[k]),
                                    exact=False)
    return found
