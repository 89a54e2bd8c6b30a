"""The exact pass: equal normalized text (by hash) within the scope rules, the first in order kept."""

from __future__ import annotations

from collections.abc import Sequence

from labgen.dedup.items import DedupItem, Match
from labgen.dedup.normalize import exact_key


def exact_duplicates(items: Sequence[DedupItem], normalized: Sequence[str], *, across_scopes: bool,
                     against_references: bool) -> dict[int, Match]:
    """Map index -> Match for every item whose normalized text equals an earlier kept one's."""
    references: dict[tuple[str, str, str], int] = {}
    samples: dict[tuple[str, str, str], int] = {}
    found: dict[int, Match] = {}
    for index, item in enumerate(items):
        key = exact_key(normalized[index])
        if item.reference:
            if against_references:
                references.setdefault((item.scope, item.namespace, key), index)
            continue
        original = references.get((item.scope, "", key))
        if original is None and item.namespace:
            original = references.get((item.scope, item.namespace, key))
        sample_key = ("" if across_scopes else item.scope, item.namespace, key)
        if original is None:
            original = samples.get(sample_key)
        if original is None:
            samples[sample_key] = index
        else:
            found[index] = Match(index=index, original=original, similarity=1.0, exact=True)
    return found
