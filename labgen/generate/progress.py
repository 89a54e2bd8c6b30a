"""Progress of a run: tqdm bars (the run, and each leaf in progress) on a terminal, one log line per
finished leaf otherwise, nothing with --quiet. The runner reports events; these classes only display.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO


class QuietProgress:
    """Shows nothing; the other displays override the events they show."""

    def start(self, units_per_leaf: dict[str, int]) -> None: ...

    def unit_started(self, leaf: str) -> None: ...

    def unit_done(self, leaf: str, *, kept: int, rejected: int, reused: bool, unit: str = "") -> None:
        """A work unit finished (`unit`: its id) or was found finished in OUT (`reused`)."""

    def units_added(self, leaf: str, count: int) -> None:
        """Top-up units joined a leaf (dedup left it short of its target)."""

    def dropped(self, leaf: str) -> None: ...

    def leaf_done(self, leaf: str, *, kept: int, rejected: int, elapsed_s: float) -> None: ...

    def close(self) -> None: ...


class LogProgress(QuietProgress):
    """One line per finished leaf: for logs and CI, where bars would be noise."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.total_leaves = 0
        self.finished = 0
        self.started_at = time.monotonic()

    def start(self, units_per_leaf: dict[str, int]) -> None:
        self.total_leaves = len(units_per_leaf)
        self.started_at = time.monotonic()

    def leaf_done(self, leaf: str, *, kept: int, rejected: int, elapsed_s: float) -> None:
        self.finished += 1
        print(f"[{self.finished}/{self.total_leaves}] {leaf}: kept {kept}, rejected {rejected} "
              f"({elapsed_s:.1f}s; run {time.monotonic() - self.started_at:.0f}s)", file=self.stream, flush=True)


class BarProgress(QuietProgress):
    """A bar over all work units of the run and one bar per leaf in progress, with kept/rejected counts."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.run_bar: Any = None
        self.leaf_bars: dict[str, Any] = {}
        self.units: dict[str, int] = {}
        self.kept = 0
        self.rejected = 0
        self.live_rejected: dict[str, int] = {}

    def start(self, units_per_leaf: dict[str, int]) -> None:
        from tqdm import tqdm

        self.units = dict(units_per_leaf)
        self.run_bar = tqdm(total=sum(units_per_leaf.values()), desc="run", unit="unit", file=self.stream,
                            dynamic_ncols=True, position=0)
        self._postfix()

    def _leaf_bar(self, leaf: str) -> Any:
        from tqdm import tqdm

        bar = self.leaf_bars.get(leaf)
        if bar is None:
            label = leaf if len(leaf) <= 40 else "…" + leaf[-39:]
            bar = tqdm(total=self.units.get(leaf, 1), desc=label, unit="unit", file=self.stream, leave=False,
                       dynamic_ncols=True)
            self.leaf_bars[leaf] = bar
        return bar

    def unit_started(self, leaf: str) -> None:
        self._leaf_bar(leaf)

    def units_added(self, leaf: str, count: int) -> None:
        self.units[leaf] = self.units.get(leaf, 0) + count
        if self.run_bar is not None:
            self.run_bar.total += count
            self.run_bar.refresh()
        bar = self.leaf_bars.get(leaf)
        if bar is not None:
            bar.total += count
            bar.refresh()

    def dropped(self, leaf: str) -> None:
        self.live_rejected[leaf] = self.live_rejected.get(leaf, 0) + 1
        bar = self.leaf_bars.get(leaf)
        if bar is not None:
            bar.set_postfix_str(f"rejected {self.live_rejected[leaf]}", refresh=False)

    def unit_done(self, leaf: str, *, kept: int, rejected: int, reused: bool, unit: str = "") -> None:
        self.kept += kept
        self.rejected += rejected
        self._leaf_bar(leaf).update(1)
        if self.run_bar is not None:
            self.run_bar.update(1)
            self._postfix()

    def leaf_done(self, leaf: str, *, kept: int, rejected: int, elapsed_s: float) -> None:
        bar = self.leaf_bars.pop(leaf, None)
        if bar is not None:
            bar.close()

    def _postfix(self) -> None:
        if self.run_bar is not None:
            self.run_bar.set_postfix_str(f"kept {self.kept}, rejected {self.rejected}")

    def close(self) -> None:
        for bar in self.leaf_bars.values():
            bar.close()
        self.leaf_bars.clear()
        if self.run_bar is not None:
            self.run_bar.close()
            self.run_bar = None


def default_progress(*, quiet: bool, stream: TextIO | None = None) -> Progress:
    """Bars on a terminal, log lines otherwise, nothing when quiet."""
    stream = stream or sys.stderr
    if quiet:
        return QuietProgress()
    if getattr(stream, "isatty", lambda: False)():
        return BarProgress(stream)
    return LogProgress(stream)


Progress = QuietProgress  # the interface the runner reports to
