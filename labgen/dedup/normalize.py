"""Text normalization shared by the exact and near-duplicate passes and by decontamination."""

from __future__ import annotations

import re
import unicodedata

from labgen.hashing import sha256_text

_NOT_WORD = re.compile(r"[^\w\s]|_", re.UNICODE)


def normalize_text(text: str) -> str:
    """NFKC, lowercase, punctuation to spaces, whitespace collapsed: case and punctuation never make a sample new."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NOT_WORD.sub(" ", text).split())


def normalized_words(text: str) -> list[str]:
    return normalize_text(text).split()


def exact_key(normalized: str) -> str:
    """The exact-duplicate key of an already normalized text (a truncated sha256 keeps memory small)."""
    return sha256_text(normalized)[:32]
