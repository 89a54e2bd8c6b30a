"""find_duplicates: the exact pass, then the near-duplicate pass over what survived it."""

from __future__ import annotations

from collections.abc import Sequence

from labgen.dedup.config import DedupConfig
from labgen.dedup.exact import exact_duplicates
from labgen.dedup.items import DedupItem, Match
from labgen.dedup.near import near_duplicates
from labgen.dedup.normalize import normalize_text


def find_duplicates(items: Sequence[DedupItem], config: DedupConfig,
                    stats: dict[str, int] | None = None) -> dict[int, Match]:
    """Every item to remove, by index, with the earlier kept item it duplicates. Order decides who is kept."""
    normalized = [normalize_text(item.text) for item in items]
    exact = exact_duplicates(items, normalized, across_scopes=config.across_leaves,
                             against_references=config.against_seeds)
    near = near_duplicates(items, normalized, config, skip=set(exact), stats=stats)
    for index, match in exact.items():
        later = near.get(match.original)
        if later is not None:  # the text it copies was itself removed as a near-duplicate: point at the kept one
            exact[index] = Match(index=index, original=later.original, similarity=later.similarity, exact=False)
    return {**exact, **near}
