"""NearDupIndex: the streaming form of dedup, one record at a time, for callers that dedup as they generate."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np

from labgen.dedup.config import DedupConfig
from labgen.dedup.minhash import MinHasher
from labgen.dedup.normalize import exact_key, normalize_text
from labgen.dedup.shingles import jaccard, shingle_batch


class NearDupIndex:
    """Kept texts so far; add_or_find tells whether a new text duplicates one of them (exact or near).

    Same normalization, shingles, MinHash, banding and threshold as find_duplicates; the LSH buckets are
    datasketch's MinHashLSH, and every candidate is checked with the exact Jaccard similarity, so the
    answer does not depend on MinHash noise.
    """

    def __init__(self, config: DedupConfig | None = None) -> None:
        from datasketch import MinHashLSH

        self.config = config or DedupConfig()
        self._hasher = MinHasher(self.config)
        self._exact: dict[tuple[str, str], Hashable] = {}
        self._lsh = MinHashLSH(num_perm=self.config.num_perm, params=(self.config.bands, self.config.rows))
        self._keys: list[Hashable] = []
        self._shingles: list[np.ndarray] = []
        self._namespaces: list[str] = []

    def __len__(self) -> int:
        return len(self._keys)

    def find(self, text: str, namespace: str = "") -> tuple[Hashable, float] | None:
        """The kept key this text duplicates and the similarity, or None (the text is not added)."""
        return self._lookup(normalize_text(text), namespace)[0]

    def add_or_find(self, key: Hashable, text: str, namespace: str = "") -> Hashable | None:
        """Return the key of the kept text this one duplicates; else keep it under `key` and return None."""
        found, normalized, shingles, sketch = self._lookup(normalize_text(text), namespace)
        if found is not None:
            return found[0]
        slot = len(self._keys)
        self._keys.append(key)
        self._shingles.append(shingles)
        self._namespaces.append(namespace)
        self._exact.setdefault((namespace, exact_key(normalized)), key)
        self._lsh.insert(slot, sketch, check_duplication=False)
        return None

    def _lookup(self, normalized: str, namespace: str) -> tuple[tuple[Hashable, float] | None, str, np.ndarray, Any]:
        from datasketch import LeanMinHash

        batch = shingle_batch([normalized], self.config)
        shingles = batch.of(0)
        sketch = LeanMinHash(seed=self.config.seed, hashvalues=self._hasher.signatures(batch)[0], scheme="affine32")
        same = self._exact.get((namespace, exact_key(normalized)))
        if same is not None:
            return (same, 1.0), normalized, shingles, sketch
        candidates = self._lsh.query(sketch)
        best: tuple[float, int] | None = None
        for slot in sorted(candidates):
            if self._namespaces[slot] != namespace:
                continue
            similarity = jaccard(shingles, self._shingles[slot])
            if similarity >= self.config.threshold and (best is None or similarity > best[0]):
                best = (similarity, slot)
        found = (self._keys[best[1]], best[0]) if best is not None else None
        return found, normalized, shingles, sketch
