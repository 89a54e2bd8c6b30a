"""Text similarity for the echo and seed-copy checks: word shingles on normalised text."""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"\w+", re.UNICODE)


def normalized_words(text: str) -> list[str]:
    return _WORD.findall((text or "").lower())


@lru_cache(maxsize=8192)
def shingles(text: str, size: int = 3) -> frozenset[tuple[str, ...]]:
    """Cached: the same seed examples, contexts and prompts are compared with every candidate of a leaf."""
    tokens = normalized_words(text)
    if len(tokens) < size:
        return frozenset({tuple(tokens)}) if tokens else frozenset()
    return frozenset(tuple(tokens[i:i + size]) for i in range(len(tokens) - size + 1))


def jaccard(a: str, b: str) -> float:
    """Jaccard similarity of two texts' word 3-shingles (1.0 for equal normalised texts)."""
    left, right = shingles(a), shingles(b)
    if not left or not right:
        return 1.0 if not left and not right else 0.0
    return len(left & right) / len(left | right)


def containment(part: str, whole: str) -> float:
    """Share of part's word 3-shingles that occur in whole."""
    left = shingles(part)
    if not left:
        return 0.0
    return len(left & shingles(whole)) / len(left)
