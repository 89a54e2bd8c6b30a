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
from labgen.dedup.shingles import ShingleBatch, ragged_ranges, pair_jaccard, shingle_batch

BATCH = 4096
# Pairs whose MinHash estimate is this far under the threshold skip the exact check: 2.3 standard
# deviations of a 128-value estimate at J = 0.5, so about 1% of pairs right at the threshold are lost.
_ESTIMATE_MARGIN = 0.1
_VERIFY_PAIRS = 1 << 14  # pairs whose exact similarity one numpy step computes
_BAND_KEYS = 1 << 18  # band keys (texts x bands) sorted in one numpy step


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
    rules = _ScopeRules([items[i] for i in live], config)
    likely: list[np.ndarray] = []
    for counter in ("candidate_pairs", "allowed_pairs", "likely_pairs"):
        stats[counter] = 0
    # Bands go a group at a time (one band at a time for a million texts) to keep the key and pair
    # arrays small; small runs take every band in one numpy pass.
    group = max(1, min(config.bands, _BAND_KEYS // len(live)))
    for first in range(0, config.bands, group):
        keys = np.stack([hasher.band_key(signatures, band) for band in range(first, min(first + group, config.bands))])
        pairs = _band_pairs(keys, config.bucket_neighbors)
        stats["candidate_pairs"] += len(pairs)
        pairs = rules.allowed(pairs)
        stats["allowed_pairs"] += len(pairs)
        # A pair that shares several bands is estimated once; each band's pair still counts as likely.
        pairs, band_count = _unique_pairs(pairs, len(live), counts=True)
        is_likely = _likely(pairs, signatures, config.threshold - _ESTIMATE_MARGIN)
        stats["likely_pairs"] += int(band_count[is_likely].sum())
        likely.append(pairs[is_likely])
    pairs = _unique_pairs(np.concatenate(likely), len(live))[0]
    later, earlier, similarity = _verified(pairs, shingles, config.threshold)
    stats["checked_pairs"] = len(pairs)
    stats["similar_pairs"] = len(later)
    is_reference = np.fromiter((items[i].reference for i in live), dtype=bool, count=len(live))
    return _resolve_first_kept(live, later, earlier, similarity, is_reference)


class _BatchedShingles:
    """The shingle sets of all texts, kept in their batches (no concatenated copy)."""

    def __init__(self, batches: list[ShingleBatch]) -> None:
        self.batches = batches

    def gather(self, docs: np.ndarray) -> ShingleBatch:
        """The shingle sets of docs (ascending), in that order, as one batch."""
        batch_of = docs // BATCH
        parts, counts = [], []
        for number in np.unique(batch_of):
            batch = self.batches[number]
            local = docs[batch_of == number] % BATCH
            starts = batch.offsets[local]
            counts.append(batch.offsets[local + 1] - starts)
            parts.append(batch.values[ragged_ranges(starts, counts[-1])])
        offsets = np.zeros(len(docs) + 1, dtype=np.int64)
        np.cumsum(np.concatenate(counts), out=offsets[1:])
        return ShingleBatch(values=np.concatenate(parts), offsets=offsets)


def _sketch(texts: Sequence[str], config: DedupConfig, hasher: MinHasher) -> tuple[_BatchedShingles, np.ndarray]:
    batches: list[ShingleBatch] = []
    signatures = np.empty((len(texts), hasher.num_perm), dtype=np.uint32)
    for start in range(0, len(texts), BATCH):
        batch = shingle_batch(texts[start:start + BATCH], config)
        batches.append(batch)
        signatures[start:start + len(batch)] = hasher.signatures(batch)
    return _BatchedShingles(batches), signatures


def _band_pairs(keys: np.ndarray, neighbors: int) -> np.ndarray:
    """(later, earlier) index pairs sharing a band's key (keys: one row of texts' keys per band): each
    member with the `neighbors` members before it in the bucket and with the bucket's first member."""
    bands, n = keys.shape
    order = np.argsort(keys, axis=1, kind="stable")  # equal keys stay in index order
    sorted_keys = np.take_along_axis(keys, order, axis=1)
    positions = np.arange(n, dtype=np.int64)
    new = np.ones((bands, n), dtype=bool)
    new[:, 1:] = sorted_keys[:, 1:] != sorted_keys[:, :-1]
    starts = np.maximum.accumulate(np.where(new, positions, 0), axis=1)
    rank = (positions - starts).ravel()
    starts = (starts + np.arange(bands, dtype=np.int64)[:, None] * n).ravel()  # bucket starts in the flat order
    order = order.ravel()  # row b's members at b * n .. b * n + n - 1: a bucket never spans two rows
    chunks = []
    for d in range(1, neighbors + 1):
        at = np.nonzero(rank >= d)[0]
        if len(at) == 0:
            break
        chunks.append(np.stack([order[at], order[at - d]], axis=1))
    at = np.nonzero(rank > neighbors)[0]
    if len(at):
        chunks.append(np.stack([order[at], order[starts[at]]], axis=1))
    return np.concatenate(chunks) if chunks else np.zeros((0, 2), dtype=np.int64)


def _unique_pairs(pairs: np.ndarray, n: int, counts: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The distinct pairs in (later, earlier) order, and (counts=True) how often each occurred."""
    if len(pairs) == 0:
        return pairs, np.zeros(0, dtype=np.int64)
    found = np.unique(pairs[:, 0] * n + pairs[:, 1], return_counts=counts)
    unique, times = found if counts else (found, np.zeros(0, dtype=np.int64))
    return np.stack([unique // n, unique % n], axis=1), times


class _ScopeRules:
    """Which pairs may count: references are never removed and match only their own scope (and namespace,
    unless theirs is empty); samples match within a namespace, across scopes when configured."""

    def __init__(self, items: Sequence[DedupItem], config: DedupConfig) -> None:
        scope_ids: dict[str, int] = {}
        ns_ids: dict[str, int] = {"": 0}
        self.scope = np.fromiter((scope_ids.setdefault(it.scope, len(scope_ids)) for it in items), dtype=np.int64)
        self.ns = np.fromiter((ns_ids.setdefault(it.namespace, len(ns_ids)) for it in items), dtype=np.int64)
        self.ref = np.fromiter((it.reference for it in items), dtype=bool)
        self.config = config

    def allowed(self, pairs: np.ndarray) -> np.ndarray:
        if len(pairs) == 0:
            return pairs
        i, j = pairs[:, 0], pairs[:, 1]
        scope, ns, ref = self.scope, self.ns, self.ref
        same_scope = scope[i] == scope[j]
        with_reference = ref[j] & same_scope & ((ns[j] == 0) | (ns[j] == ns[i])) & self.config.against_seeds
        with_sample = ~ref[j] & (ns[j] == ns[i]) & (same_scope | self.config.across_leaves)
        return pairs[~ref[i] & (with_reference | with_sample)]


def _likely(pairs: np.ndarray, signatures: np.ndarray, floor: float) -> np.ndarray:
    """Whether each pair's MinHash estimate reaches floor (cheap, vectorised; the exact check comes after)."""
    step = 1 << 16
    return np.concatenate([estimated_similarity(signatures[pairs[s:s + step, 0]], signatures[pairs[s:s + step, 1]])
                           >= floor for s in range(0, len(pairs), step)] or [np.zeros(0, dtype=bool)])


def _verified(pairs: np.ndarray, shingles: _BatchedShingles,
              threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep the pairs whose exact Jaccard similarity reaches the threshold."""
    similarity = np.empty(len(pairs), dtype=np.float64)
    for start in range(0, len(pairs), _VERIFY_PAIRS):  # bounds the gathered shingles of one step
        step = pairs[start:start + _VERIFY_PAIRS]
        docs, local = np.unique(step, return_inverse=True)
        similarity[start:start + len(step)] = pair_jaccard(shingles.gather(docs), local.reshape(step.shape))
    ok = similarity >= threshold
    return pairs[ok, 0], pairs[ok, 1], similarity[ok]


def _resolve_first_kept(live: np.ndarray, later: np.ndarray, earlier: np.ndarray, similarity: np.ndarray,
                        is_reference: np.ndarray) -> dict[int, Match]:
    """Walk items in order: one is removed when an earlier item it matches is still kept (seeds preferred)."""
    order = np.lexsort((earlier, -similarity, ~is_reference[earlier], later))
    kept = [True] * len(live)
    index = live.tolist()  # Python lists: the walk is a Python loop, numpy scalars would cost more
    found: dict[int, Match] = {}
    current = -1
    for i, j, value in zip(later[order].tolist(), earlier[order].tolist(), similarity[order].tolist()):
        if i == current or not kept[j]:
            continue
        current = i
        kept[i] = False
        found[index[i]] = Match(index=index[i], original=index[j], similarity=value, exact=False)
    return found
