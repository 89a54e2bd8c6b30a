"""How many rows each leaf gives, and which ones: the seeded, streaming half of the mixer.

`allocate` splits a source's target across its leaves in proportion to their sizes, within per-leaf
floors and caps. `RowSelector` then picks exactly that many rows of a leaf while reading it once, in
order, with O(1) memory (selection sampling, Knuth's Algorithm S).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from labgen.hashing import sha256_text

_BISECTION_STEPS = 200


@dataclass(frozen=True)
class Bounds:
    cap: int | None = None
    floor: int = 0
    cap_fraction: float | None = None
    replacement: bool = False


def target_size(available: int, *, count: int | None, ratio: float | None) -> int:
    """The number of rows a source asks for: its count, or its ratio of the rows available."""
    if count is not None:
        return count
    share = 1.0 if ratio is None else ratio
    return int(math.floor(share * available + 0.5))


def allocate(available: Sequence[int], target: int, bounds: Bounds = Bounds()) -> list[int]:
    """Rows to take from each leaf: proportional to `available`, within floors and caps.

    Floors win over the target (small leaves are never drowned); caps and, without replacement,
    the rows a leaf has, bound it from above, so the result may sum to less than the target.
    """
    highs = [_upper(a, target, bounds) for a in available]
    lows = [0 if a == 0 else min(bounds.floor, high) for a, high in zip(available, highs)]
    if sum(lows) >= target:
        return lows
    if all(h != math.inf for h in highs) and sum(highs) <= target:
        return [int(h) for h in highs]
    scale = _scale_for(available, lows, highs, target)
    shares = [_clamp(scale * a, low, high) for a, low, high in zip(available, lows, highs)]
    taken = [int(math.floor(share)) for share in shares]
    missing = target - sum(taken)
    order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - taken[i]), i))
    while missing > 0:
        progressed = False
        for i in order:
            if missing == 0:
                break
            if available[i] > 0 and taken[i] < highs[i]:
                taken[i] += 1
                missing -= 1
                progressed = True
        if not progressed:
            break
    return taken


def _upper(available: int, target: int, bounds: Bounds) -> float:
    if available == 0:
        return 0
    high: float = math.inf if bounds.replacement else available
    if bounds.cap is not None:
        high = min(high, bounds.cap)
    if bounds.cap_fraction is not None:
        high = min(high, max(1, math.floor(bounds.cap_fraction * target)))
    return high


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _scale_for(available: Sequence[int], lows: Sequence[float], highs: Sequence[float], target: int) -> float:
    """The largest scale s with sum(clamp(s * a)) <= target, by bisection (the sum grows with s)."""
    def total(scale: float) -> float:
        return sum(_clamp(scale * a, low, high) for a, low, high in zip(available, lows, highs))

    low_s, high_s = 0.0, 1.0
    while total(high_s) < target and high_s < 1e18:
        high_s *= 2
    for _ in range(_BISECTION_STEPS):
        middle = (low_s + high_s) / 2
        if middle in (low_s, high_s):
            break
        if total(middle) <= target:
            low_s = middle
        else:
            high_s = middle
    return low_s


def seeded_rng(seed: int, *parts: str) -> random.Random:
    """An RNG for one decision (a phase, source and leaf): independent of every other decision's."""
    digest = sha256_text("\x1f".join([str(seed), *parts]))
    return random.Random(int(digest[:32], 16))


class RowSelector:
    """Decides, row by row in file order, how many copies of each of `rows` rows to take so that
    exactly `wanted` are taken in all (each row base or base+1 times when wanted > rows)."""

    def __init__(self, rows: int, wanted: int, rng: random.Random) -> None:
        self._left_rows = rows
        self._base, self._extra = divmod(wanted, rows) if rows else (0, 0)
        self._random = rng.random

    def copies(self) -> int:
        """Copies of the next row (call once per row, in order)."""
        left = self._left_rows
        if left <= 0:
            return 0
        self._left_rows = left - 1
        if self._extra and self._random() * left < self._extra:
            self._extra -= 1
            return self._base + 1
        return self._base

    @property
    def done(self) -> bool:
        """True once no later row can be taken (the rest of the file can be skipped)."""
        return self._left_rows <= 0 or (self._base == 0 and self._extra == 0)
