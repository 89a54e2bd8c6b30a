"""From a recipe and a run's inventory to a plan: which rows of which leaf each source takes.

A row belongs to the first source of a phase whose filters match it, so sources of one phase never
share a row. Sizes come from `allocation.allocate`; nothing here reads sample content.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from labgen.errors import OutputError
from labgen.mix.allocation import Bounds, allocate, target_size
from labgen.mix.inventory import LeafData, complete_lines
from labgen.mix.recipe import Phase, Recipe, Replay, Source

EXTERNAL_KIND = "external"


@dataclass(frozen=True)
class LeafTake:
    """The rows one source takes from one leaf (or from its external file)."""

    leaf: str | None  # None for an external file
    file: Path
    kind: str
    styles: tuple[str | None, ...] | None  # answer styles that belong to the source; None: every row
    available: int
    wanted: int


@dataclass(frozen=True)
class SourcePlan:
    source: Source
    takes: tuple[LeafTake, ...]
    target: int

    @property
    def available(self) -> int:
        return sum(take.available for take in self.takes)

    @property
    def planned(self) -> int:
        return sum(take.wanted for take in self.takes)


@dataclass(frozen=True)
class PhasePlan:
    index: int  # 1-based
    phase: Phase
    sources: tuple[SourcePlan, ...]

    @property
    def file_name(self) -> str:
        return f"phase{self.index}_{self.phase.name}.jsonl"

    @property
    def planned_new(self) -> int:
        return sum(plan.planned for plan in self.sources)


@dataclass(frozen=True)
class ReplayTake:
    phase: str
    file: Path
    own_rows: int
    wanted: int


@lru_cache(maxsize=256)
def glob_pattern(pattern: str) -> re.Pattern[str]:
    """A leaf-path glob: `*` and `?` stay inside a folder, `**` crosses folders; a pattern also
    matches every leaf below it (`knowledge/science` selects that subtree)."""
    parts: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            parts.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            parts.append(".*")
            i += 2
        elif pattern[i] == "*":
            parts.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            parts.append("[^/]")
            i += 1
        else:
            parts.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(parts).rstrip("/") + "(?:/.*)?")


def leaf_matches(source: Source, leaf: LeafData) -> bool:
    """Whether a taxonomy source's leaf-level filters (kinds, branches, globs, excludes) select a leaf."""
    if source.is_external:
        return False
    if source.kinds and leaf.kind not in source.kinds:
        return False
    if source.branches and leaf.branch not in source.branches:
        return False
    if source.leaves and not any(glob_pattern(p).fullmatch(leaf.path) for p in source.leaves):
        return False
    return not any(glob_pattern(p).fullmatch(leaf.path) for p in source.exclude)


def style_matches(source: Source, style: str | None) -> bool:
    return not source.answer_styles or style in source.answer_styles


def owner_of(phase: Phase, leaf: LeafData, style: str | None) -> Source | None:
    """The first source of the phase that takes rows of this leaf and answer style."""
    for source in phase.sources:
        if leaf_matches(source, leaf) and style_matches(source, style):
            return source
    return None


def plan_phase(index: int, phase: Phase, leaves: Sequence[LeafData]) -> PhasePlan:
    """Decide how many rows each source takes from each leaf (or external file)."""
    owned: dict[str, list[tuple[LeafData, tuple[str | None, ...] | None, int]]] = {
        source.name: [] for source in phase.sources}
    for leaf in leaves:
        by_source: dict[str, list[tuple[str | None, int]]] = {}
        for style, count in leaf.style_counts:
            owner = owner_of(phase, leaf, style)
            if owner is not None:
                by_source.setdefault(owner.name, []).append((style, count))
        for name, styles in by_source.items():
            whole_leaf = len(styles) == len(leaf.style_counts)
            owned[name].append((leaf, None if whole_leaf else tuple(s for s, _ in styles),
                                sum(c for _, c in styles)))
    plans = []
    for source in phase.sources:
        if source.is_external:
            plans.append(_plan_external(source))
            continue
        entries = owned[source.name]
        available = [count for _, _, count in entries]
        target = target_size(sum(available), count=source.count, ratio=source.ratio)
        wanted = allocate(available, target, _bounds(source))
        takes = tuple(LeafTake(leaf.path, leaf.file, leaf.kind, styles, count, want)
                      for (leaf, styles, count), want in zip(entries, wanted))
        plans.append(SourcePlan(source, takes, target))
    return PhasePlan(index, phase, tuple(plans))


def _plan_external(source: Source) -> SourcePlan:
    assert source.path is not None
    file = Path(source.path)
    if not file.is_file():
        raise OutputError(f"external dataset of source '{source.name}' not found", path=file,
                          hint="the recipe's path is relative to the recipe's folder")
    rows = sum(1 for _ in complete_lines(file))
    target = target_size(rows, count=source.count, ratio=source.ratio)
    wanted = allocate([rows], target, _bounds(source))[0]
    return SourcePlan(source, (LeafTake(None, file, EXTERNAL_KIND, None, rows, wanted),), target)


def _bounds(source: Source) -> Bounds:
    limits = source.per_leaf
    return Bounds(cap=limits.cap, floor=limits.floor, cap_fraction=limits.cap_fraction,
                  replacement=source.replacement)


def plan_replay(replay: Replay, own_rows: dict[str, tuple[Path, int]]) -> list[ReplayTake]:
    """Rows to draw again from each earlier phase: a fraction of each, or a count split by size."""
    sizes = [own_rows[name][1] for name in replay.from_phases]
    if replay.fraction is not None:
        wanted = [target_size(size, count=None, ratio=replay.fraction) for size in sizes]
    else:
        wanted = allocate(sizes, replay.count or 0, Bounds(replacement=replay.replacement))
    return [ReplayTake(name, own_rows[name][0], size, want)
            for name, size, want in zip(replay.from_phases, sizes, wanted)]


def plan_recipe(recipe: Recipe, leaves: Sequence[LeafData]) -> list[PhasePlan]:
    return [plan_phase(index, phase, leaves) for index, phase in enumerate(recipe.phases, start=1)]


def unmatched_rows(recipe: Recipe, leaves: Sequence[LeafData]) -> int:
    """Input rows that no source of any phase selects (worth a look: maybe a filter is too narrow)."""
    return sum(count for leaf in leaves for style, count in leaf.style_counts
               if all(owner_of(phase, leaf, style) is None for phase in recipe.phases))
