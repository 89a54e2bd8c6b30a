"""Markdown-aware chunking of knowledge documents, with overlap, sized to the teacher's context window.

Blocks (headings, paragraphs, lists, fenced code) are never cut unless one alone is too big; a chunk
that does not start at a heading is prefixed with the heading it sits under, so the teacher knows what
the excerpt is about. Consecutive chunks share up to `overlap_tokens` of trailing text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from labgen.hashing import sha256_text
from labgen.tokens import estimate_tokens

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+\S")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])")


@dataclass(frozen=True)
class Chunk:
    source: str  # the document's "<repo>@<commit>:<path>"
    index: int  # position among the chunks of that document
    text: str
    sha256: str

    def provenance(self) -> dict[str, object]:
        return {"source": self.source, "chunk": self.index, "chunk_sha256": self.sha256}


def split_blocks(text: str) -> list[str]:
    """Headings, paragraphs and fenced code blocks, in order (a fence is one block, blank lines and all)."""
    blocks: list[str] = []
    current: list[str] = []
    in_fence = False

    def flush() -> None:
        if current and any(line.strip() for line in current):
            blocks.append("\n".join(current).strip("\n"))
        current.clear()

    for line in text.replace("\r\n", "\n").split("\n"):
        if _FENCE.match(line):
            if not in_fence:
                flush()
            current.append(line)
            in_fence = not in_fence
            if not in_fence:
                flush()
            continue
        if in_fence:
            current.append(line)
        elif _HEADING.match(line):
            flush()
            blocks.append(line.strip())
        elif not line.strip():
            flush()
        else:
            current.append(line)
    flush()
    return blocks


def _split_oversized(block: str, max_tokens: int) -> list[str]:
    """A block too big for one chunk, cut at sentence ends, then at words."""
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(block):
        candidate = f"{current} {sentence}".strip() if current else sentence
        if estimate_tokens(candidate) <= max_tokens:
            current = candidate
            continue
        if current:
            pieces.append(current)
        if estimate_tokens(sentence) <= max_tokens:
            current = sentence
            continue
        current = ""
        for word in sentence.split():
            candidate = f"{current} {word}".strip()
            if current and estimate_tokens(candidate) > max_tokens:
                pieces.append(current)
                current = word
            else:
                current = candidate
    if current:
        pieces.append(current)
    return pieces


def _tail(text: str, budget: int) -> str:
    """The trailing whole sentences of a block that fit in `budget` tokens ('' when none do)."""
    kept: list[str] = []
    used = 0
    for sentence in reversed(_SENTENCE_END.split(text)):
        cost = estimate_tokens(sentence)
        if used + cost > budget:
            break
        kept.insert(0, sentence)
        used += cost
    return " ".join(kept)


def chunk_document(text: str, source: str, *, max_tokens: int, overlap_tokens: int) -> list[Chunk]:
    """The document's chunks, each at most about max_tokens (estimated), in document order."""
    max_tokens = max(16, max_tokens)
    overlap_tokens = max(0, min(overlap_tokens, max_tokens // 2))
    units: list[tuple[str, str | None]] = []  # (block text, heading it sits under)
    heading: str | None = None
    piece_budget = max(8, max_tokens - overlap_tokens - 16)
    for block in split_blocks(text):
        if _HEADING.match(block):
            heading = block
            units.append((block, None))
            continue
        if estimate_tokens(block) > piece_budget:
            units.extend((piece, heading) for piece in _split_oversized(block, piece_budget))
        else:
            units.append((block, heading))

    chunks_text: list[str] = []
    current: list[tuple[str, str | None]] = []
    size = 0
    for block, under in units:
        cost = estimate_tokens(block)
        if current and size + cost > max_tokens:
            chunks_text.append(_render(current))
            current, size = _overlap(current, overlap_tokens, max_tokens - cost)
        current.append((block, under))
        size += cost
    if current and (any(not _HEADING.match(block) for block, _ in current) or not chunks_text):
        chunks_text.append(_render(current))
    return [Chunk(source=source, index=i, text=t, sha256=sha256_text(t)) for i, t in enumerate(chunks_text)]


def _overlap(previous: list[tuple[str, str | None]], overlap_tokens: int,
             room: int) -> tuple[list[tuple[str, str | None]], int]:
    """What the next chunk repeats of the previous one: its trailing text (never a heading), within budget."""
    budget = min(overlap_tokens, room)
    carried: list[tuple[str, str | None]] = []
    used = 0
    for block, under in reversed(previous):
        if _HEADING.match(block) or budget - used <= 0:
            break
        cost = estimate_tokens(block)
        if used + cost <= budget:
            carried.insert(0, (block, under))
            used += cost
            continue
        tail = _tail(block, budget - used)
        if tail:
            carried.insert(0, (tail, under))
            used += estimate_tokens(tail)
        break
    return carried, used


def _render(blocks: list[tuple[str, str | None]]) -> str:
    first, under = blocks[0]
    parts = [block for block, _ in blocks]
    if under is not None and not _HEADING.match(first):
        parts.insert(0, under)
    return "\n\n".join(parts)
