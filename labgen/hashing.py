"""The one hashing helper: stable sha256 of text, bytes and JSON-like values."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    """sha256 of the text's UTF-8 (a lone surrogate, which a teacher's JSON "\ud800" gives, hashes too)."""
    return sha256_bytes(text.encode("utf-8", "surrogatepass"))


# json.dumps with these settings makes a new encoder at every call; one is enough (encode keeps no state).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: equal values give equal strings."""
    return _CANONICAL.encode(value)


def content_hash(value: Any) -> str:
    """sha256 of the canonical JSON of a value (dicts, lists, strings, numbers, dataclasses as dicts)."""
    return sha256_text(canonical_json(value))


def short_id(value: Any, length: int = 16) -> str:
    """A short, stable id derived from a value's content hash."""
    return content_hash(value)[:length]


def sha256_file(path: str | Path, *, block: int = 1 << 20) -> str:
    """sha256 of a file's bytes, read in blocks (files may be larger than memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(block):
            digest.update(chunk)
    return digest.hexdigest()
