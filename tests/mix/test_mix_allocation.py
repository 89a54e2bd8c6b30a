"""Per-leaf allocation and row selection: sizes, caps, floors and exact counts, as properties."""

from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from labgen.mix.allocation import Bounds, RowSelector, allocate, seeded_rng, target_size

SETTINGS = settings(max_examples=150, deadline=None)
sizes = st.lists(st.integers(min_value=0, max_value=500), min_size=1, max_size=12)
bounds = st.builds(
    Bounds,
    cap=st.none() | st.integers(min_value=1, max_value=300),
    floor=st.integers(min_value=0, max_value=40),
    cap_fraction=st.none() | st.floats(min_value=0.05, max_value=1.0),
    replacement=st.booleans(),
).filter(lambda b: b.cap is None or b.floor <= b.cap)


def _highs(available: list[int], target: int, b: Bounds) -> list[float]:
    highs = []
    for a in available:
        high: float = 0 if a == 0 else (math.inf if b.replacement else a)
        if a and b.cap is not None:
            high = min(high, b.cap)
        if a and b.cap_fraction is not None:
            high = min(high, max(1, math.floor(b.cap_fraction * target)))
        highs.append(high)
    return highs


@SETTINGS
@given(available=sizes, target=st.integers(min_value=0, max_value=3000), b=bounds)
def test_allocation_respects_bounds_and_hits_the_target_when_it_can(available: list[int], target: int,
                                                                     b: Bounds) -> None:
    taken = allocate(available, target, b)
    highs = _highs(available, target, b)
    lows = [0 if a == 0 else min(b.floor, h) for a, h in zip(available, highs)]
    assert len(taken) == len(available)
    for got, low, high, a in zip(taken, lows, highs, available):
        assert low <= got <= high
        if a == 0:
            assert got == 0
    if sum(lows) >= target:
        assert taken == lows  # floors win over a small target
    elif sum(highs) >= target:
        assert sum(taken) == target  # feasible: exactly the target
    else:
        assert taken == [int(h) for h in highs]  # not enough rows: everything the caps allow


@SETTINGS
@given(available=sizes, target=st.integers(min_value=0, max_value=3000), b=bounds)
def test_a_bigger_leaf_never_gets_fewer_rows(available: list[int], target: int, b: Bounds) -> None:
    taken = allocate(available, target, b)
    for i in range(len(available)):
        for j in range(len(available)):
            if available[i] >= available[j]:
                assert taken[i] >= taken[j] - 1


def test_proportional_split_without_bounds() -> None:
    assert allocate([100, 300, 600], 100) == [10, 30, 60]
    assert allocate([1, 1, 1], 2) == [1, 1, 0]
    assert allocate([10, 10], 100, Bounds(replacement=True)) == [50, 50]


def test_caps_stop_a_leaf_dominating_and_floors_keep_small_leaves() -> None:
    # One huge leaf and two tiny ones: the cap limits the big one, the floor lifts the small ones.
    assert allocate([10_000, 5, 3], 1000, Bounds(cap=400, floor=3)) == [400, 5, 3]
    assert allocate([10_000, 5, 3], 100, Bounds(floor=3)) == [94, 3, 3]
    assert allocate([10_000, 5, 3], 100, Bounds(cap_fraction=0.5, floor=20, replacement=True)) == [50, 30, 20]


def test_target_size() -> None:
    assert target_size(10, count=3, ratio=None) == 3
    assert target_size(10, count=None, ratio=None) == 10
    assert target_size(10, count=None, ratio=0.25) == 3  # 2.5 rounds half up
    assert target_size(10, count=None, ratio=2.0) == 20


@SETTINGS
@given(rows=st.integers(min_value=1, max_value=400), wanted=st.integers(min_value=0, max_value=1200),
       seed=st.integers(min_value=0, max_value=2**32))
def test_row_selector_takes_exactly_what_was_asked(rows: int, wanted: int, seed: int) -> None:
    selector = RowSelector(rows, wanted, random.Random(seed))
    copies = [selector.copies() for _ in range(rows)]
    assert sum(copies) == wanted
    assert max(copies) - min(copies) <= 1  # replacement repeats rows evenly
    assert selector.done


def test_row_selector_is_uniform_enough() -> None:
    hits = [0] * 10
    for seed in range(2000):
        selector = RowSelector(10, 3, random.Random(seed))
        for index in range(10):
            hits[index] += selector.copies()
    assert all(500 <= h <= 700 for h in hits), hits  # expected 600 each


def test_seeded_rng_depends_on_every_part() -> None:
    first = seeded_rng(1, "phase", "source", "leaf").random()
    assert first == seeded_rng(1, "phase", "source", "leaf").random()
    assert first != seeded_rng(2, "phase", "source", "leaf").random()
    assert first != seeded_rng(1, "phase", "source", "other").random()
