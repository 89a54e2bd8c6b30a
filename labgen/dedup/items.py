"""What the dedup passes compare: one text per sample or seed, with the scope rules that decide which pairs count."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DedupItem:
    """One text to deduplicate.

    scope: the leaf path. namespace: texts are compared only within a namespace (a grounded skill's
    question is namespaced by its context: the same question on another context is new data).
    reference: a seed example: never removed, and matches only samples of its own scope; a reference
    with an empty namespace matches samples of any namespace in its scope.
    """

    text: str
    scope: str = ""
    namespace: str = ""
    reference: bool = False


@dataclass(frozen=True)
class Match:
    """Why item `index` of a dedup call is removed: it duplicates the earlier, kept item `original`."""

    index: int
    original: int
    similarity: float
    exact: bool


@dataclass(frozen=True)
class SeedText:
    """A seed example's text for dedup; give the context for grounded skills (see sample_item).

    id: the seed example's id in its leaf ("seed-N"); by default its position in the list given."""

    text: str
    context: str | None = None
    id: str | None = None
