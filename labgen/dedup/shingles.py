"""Shingle sets of normalized texts as sorted, unique uint64 arrays, computed a batch at a time with numpy.

Char shingles are byte k-grams (k <= 8) of the UTF-8 text packed exactly into one integer, so no hash
collisions; word shingles hash each word with crc32 and combine k consecutive word hashes.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from labgen.dedup.config import DedupConfig

_WORD_MULTIPLIERS = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5,
                              0x85EBCA77C2B2AE63, 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x94D049BB133111EB],
                             dtype=np.uint64)
_WORD_TAG = np.uint64(1 << 63)  # word shingles live in another half of the space than char shingles


@dataclass(frozen=True)
class ShingleBatch:
    """Unique shingles of a batch of texts: values[offsets[d]:offsets[d+1]] belong to text d, sorted."""

    values: np.ndarray  # uint64
    offsets: np.ndarray  # int64, len = texts + 1

    def of(self, doc: int) -> np.ndarray:
        return self.values[self.offsets[doc]:self.offsets[doc + 1]]

    def __len__(self) -> int:
        return len(self.offsets) - 1


def uses_char_shingles(normalized: str, config: DedupConfig) -> bool:
    if config.shingle != "auto":
        return config.shingle == "char"
    return normalized.count(" ") + 1 <= config.short_text_words


def shingle_batch(normalized_texts: Sequence[str], config: DedupConfig) -> ShingleBatch:
    """Shingle sets of already normalized texts (see normalize_text), one per text, in order."""
    char_docs = [i for i, text in enumerate(normalized_texts) if uses_char_shingles(text, config)]
    parts: list[tuple[np.ndarray, np.ndarray]] = []  # (doc ids, values)
    if char_docs:
        ids, values = _char_shingles([normalized_texts[i] for i in char_docs], config.char_ngram)
        parts.append((np.asarray(char_docs, dtype=np.int64)[ids], values))
    if len(char_docs) < len(normalized_texts):
        char_set = set(char_docs)
        for doc, text in enumerate(normalized_texts):
            if doc not in char_set:
                values = _word_shingles(text, config.word_ngram)
                parts.append((np.full(len(values), doc, dtype=np.int64), values))
    doc_ids = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=np.int64)
    values = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, dtype=np.uint64)
    order = np.lexsort((values, doc_ids))
    doc_ids, values = doc_ids[order], values[order]
    keep = np.ones(len(values), dtype=bool)
    keep[1:] = (values[1:] != values[:-1]) | (doc_ids[1:] != doc_ids[:-1])
    doc_ids, values = doc_ids[keep], values[keep]
    counts = np.bincount(doc_ids, minlength=len(normalized_texts))
    offsets = np.zeros(len(normalized_texts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return ShingleBatch(values=values, offsets=offsets)


def _char_shingles(texts: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Byte k-grams of each text (a text shorter than k is one zero-padded shingle). Returns (doc ids, values)."""
    encoded = [t.encode("utf-8") for t in texts]
    lengths = np.fromiter((len(e) for e in encoded), dtype=np.int64, count=len(encoded))
    gap = b"\x00" * k  # a window starting inside a text never reaches the next one
    data = np.frombuffer(gap.join(encoded) + gap, dtype=np.uint8).astype(np.uint64)
    starts = np.zeros(len(encoded), dtype=np.int64)
    if len(encoded) > 1:
        np.cumsum(lengths[:-1] + k, out=starts[1:])
    windows = np.maximum(lengths - k + 1, 1)
    total = int(windows.sum())
    doc_ids = np.repeat(np.arange(len(encoded), dtype=np.int64), windows)
    positions = ragged_ranges(starts, windows)
    values = np.zeros(total, dtype=np.uint64)
    for t in range(k):
        values |= data[positions + t] << np.uint64(8 * t)
    return doc_ids, values


def _word_shingles(text: str, k: int) -> np.ndarray:
    words = text.split() or [""]
    hashes = np.fromiter((zlib.crc32(w.encode("utf-8")) for w in words), dtype=np.uint64, count=len(words))
    n = max(len(words) - k + 1, 1)
    values = np.zeros(n, dtype=np.uint64)
    for t in range(min(k, len(words))):
        values += hashes[t:t + n] * _WORD_MULTIPLIERS[t % len(_WORD_MULTIPLIERS)]
    return values | _WORD_TAG


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity of two sorted unique shingle arrays."""
    if len(a) == 0 and len(b) == 0:
        return 1.0
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared)


def pair_jaccard(batch: ShingleBatch, pairs: np.ndarray, *, table_cells: int = 1 << 24) -> np.ndarray:
    """Exact Jaccard similarity of each (i, j) row of pairs (texts of batch), equal to jaccard() on each.

    One numpy pass for all pairs, not one intersect1d each: shingles become dense ranks, and each pair's
    shared shingles are counted either in a (texts x ranks) membership table, where it has at most
    table_cells cells (texts that share most of their shingles, as a crowded leaf's do), or by a binary
    search of the first texts' keys (pair * ranks + rank) among the second texts' (sorted as built)."""
    lengths = np.diff(batch.offsets)
    first, second = lengths[pairs[:, 0]], lengths[pairs[:, 1]]
    unique, ranks = np.unique(batch.values, return_inverse=True)
    second_ranks = ranks[ragged_ranges(batch.offsets[pairs[:, 1]], second)]
    pair_of_second = np.repeat(np.arange(len(pairs), dtype=np.int64), second)
    if len(lengths) * len(unique) <= table_cells:
        table = np.zeros((len(lengths), len(unique)), dtype=bool)
        table[np.repeat(np.arange(len(lengths)), lengths), ranks] = True
        found = table[np.repeat(pairs[:, 0], second), second_ranks]
        shared = np.bincount(pair_of_second[found], minlength=len(pairs))
    else:
        width = np.int64(len(unique) + 1)
        first_keys = np.repeat(np.arange(len(pairs), dtype=np.int64) * width, first) \
            + ranks[ragged_ranges(batch.offsets[pairs[:, 0]], first)]
        second_keys = pair_of_second * width + second_ranks
        shared = np.zeros(len(pairs), dtype=np.int64)
        if len(first_keys) and len(second_keys):
            at = np.minimum(np.searchsorted(second_keys, first_keys), len(second_keys) - 1)
            hit = second_keys[at] == first_keys
            shared = np.bincount(first_keys[hit] // width, minlength=len(pairs))
    union = first + second - shared
    similarity = np.ones(len(pairs), dtype=np.float64)  # two empty sets are equal
    np.divide(shared, union, out=similarity, where=union > 0)
    return similarity


def ragged_ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """starts[k], starts[k] + 1, ..., starts[k] + lengths[k] - 1 for every k, concatenated."""
    first = np.cumsum(lengths) - lengths
    return np.repeat(starts - first, lengths) + np.arange(int(lengths.sum()), dtype=np.int64)
