"""Text similarity for the echo and seed-copy checks: word shingles on normalised text."""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"\w+", re.UNICODE)
# In ASCII text, characters that are not \w become spaces, then a split leaves the words the regex finds:
# several times faster on the long prompts that pass here (on bytes: str.translate is slow on str). Other
# text goes through the regex in one call.
_NON_WORD_BYTES = bytes(c for c in range(128) if not _WORD.match(chr(c)))
_SPACES = bytes.maketrans(_NON_WORD_BYTES, b" " * len(_NON_WORD_BYTES))


def normalized_words(text: str) -> list[str]:
    """The \\w+ words of the lower-cased text."""
    lowered = (text or "").lower()
    if not lowered.isascii():  # the regex itself, in one call (a piece at a time costs more)
        return _WORD.findall(lowered)
    return lowered.encode("ascii").translate(_SPACES).decode("ascii").split()


@lru_cache(maxsize=8192)
def shingles(text: str, size: int = 3) -> frozenset[tuple[str, ...]]:
    """Cached: the same seed examples and contexts are compared with every candidate of a leaf."""
    tokens = normalized_words(text)
    if len(tokens) < size:
        return frozenset({tuple(tokens)}) if tokens else frozenset()
    return frozenset(zip(*(tokens[i:] for i in range(size))))  # tuples of `size` consecutive words


def jaccard(a: str, b: str) -> float:
    """Jaccard similarity of two texts' word 3-shingles (1.0 for equal normalised texts)."""
    return jaccard_of(shingles(a), shingles(b))


def jaccard_of(left: frozenset[tuple[str, ...]], right: frozenset[tuple[str, ...]]) -> float:
    """jaccard() of two shingle sets already made."""
    if not left or not right:
        return 1.0 if not left and not right else 0.0
    shared = len(left & right)
    return shared / (len(left) + len(right) - shared)


def containment(part: str, whole: str) -> float:
    """Share of part's word 3-shingles that occur in whole."""
    left = shingles(part)
    if not left:
        return 0.0
    return len(left & shingles(whole)) / len(left)
