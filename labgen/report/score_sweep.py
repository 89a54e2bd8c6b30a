"""A threshold sweep for each score of the critic (Snorkel's table for picking thresholds).

For every check or judge whose verdicts carry a score, and each threshold t: how many kept samples a rule
"drop when score < t" would keep and newly drop, and how many of the run's rejects made by *other*
checks (that still carry this score) it would also have caught. A threshold that catches most of what
the other checks reject while dropping few kept samples agrees with them; one that catches nothing adds
nothing. Reading streams: per score only bucket counts between the thresholds are kept, never rows.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Rejects of these stages are duplicates or evaluation overlaps, not quality judgments: no check agrees
# or disagrees with them, so they are left out of the "caught" share.
NOT_CHECKS = ("dedup", "decontaminate")
_EPS = 1e-9  # a score equal to the threshold (up to float noise) is kept, as the critic keeps it


@dataclass(frozen=True)
class ScorePoint:
    """One threshold of a score's sweep."""

    threshold: float
    kept: int  # kept samples still kept (score >= threshold, or no such score)
    dropped: int  # kept samples this threshold would newly drop (score < threshold)
    caught: int  # rejects of other checks, carrying this score, with score < threshold
    let_through: int  # this check's own rejects with score >= threshold
    configured: bool  # the threshold the run was generated with


@dataclass(frozen=True)
class ScoreSweep:
    """The sweep of one score (a verdict name: lexical_support, pair_quality, faithfulness, ...)."""

    name: str
    samples: int  # kept samples in the run
    scored: int  # kept samples that carry this score
    other_rejects: int  # rejects by other checks that carry this score: the "caught" denominator
    own_rejects: int  # rejects by this check that carry its score
    configured: float | None  # the run's threshold on this score, when run.json says it
    points: tuple[ScorePoint, ...]

    def caught_share(self, point: ScorePoint) -> float | None:
        """The point's caught rejects over all rejects of other checks that carry this score."""
        return point.caught / self.other_rejects if self.other_rejects else None

    def compact(self) -> list[tuple[str, ScorePoint]]:
        """Runs of consecutive thresholds with the same counts folded into one row labelled "lo-hi"."""
        groups: list[list[ScorePoint]] = []
        for point in self.points:
            if groups and _same_counts(groups[-1][0], point):
                groups[-1].append(point)
            else:
                groups.append([point])
        out = []
        for group in groups:
            label = threshold_label(group[0].threshold)
            if len(group) > 1:
                label += "-" + threshold_label(group[-1].threshold)
            out.append((label + (" *" if any(p.configured for p in group) else ""), group[0]))
        return out


@dataclass
class _Buckets:
    """Counts of one score between its sorted thresholds: bucket k holds scores with k thresholds at or below."""

    thresholds: tuple[float, ...]
    kept: list[int]
    other: list[int]
    own: list[int]

    @classmethod
    def over(cls, thresholds: tuple[float, ...]) -> _Buckets:
        size = len(thresholds) + 1
        return cls(thresholds, [0] * size, [0] * size, [0] * size)

    def index(self, score: float) -> int:
        return bisect_right(self.thresholds, score + _EPS)


class ScoreSweepCounter:
    """Feed it every kept sample's critic and every reject row, in any order, then read `sweeps()`.

    Memory is O(scores × thresholds): each score keeps bucket counts between its sorted thresholds.
    """

    def __init__(self, steps: int = 11, configured: Mapping[str, float] | None = None) -> None:
        steps = max(2, steps)
        self._grid = tuple(round(step / (steps - 1), 4) for step in range(steps))
        self._configured = dict(configured or {})
        self._scores: dict[str, _Buckets] = {}
        self._samples = 0
        self._stage_checks: Mapping[str, str] | None = None

    def add_sample(self, critic: Any) -> None:
        """One kept sample: its `critic` value ({"score", "verdicts"}, or null)."""
        self._samples += 1
        for name, score in _scores(critic):
            buckets = self._buckets(name)
            buckets.kept[buckets.index(score)] += 1

    def add_reject(self, row: Mapping[str, Any]) -> None:
        """One row of rejects.jsonl: its `stage` and `critic` (the verdicts gathered before it was dropped)."""
        stage = str(row.get("stage") or "")
        if stage in NOT_CHECKS:
            return
        scores = _scores(row.get("critic"))
        if not scores:
            return
        rejected_by = _failed_checks(row.get("critic")) or {self._check_of_stage(stage)}
        for name, score in scores:
            buckets = self._buckets(name)
            (buckets.own if name in rejected_by else buckets.other)[buckets.index(score)] += 1

    def sweeps(self) -> tuple[ScoreSweep, ...]:
        """One sweep per score seen, by name."""
        out = []
        for name in sorted(self._scores):
            buckets = self._scores[name]
            scored = sum(buckets.kept)
            unscored = self._samples - scored
            points = []
            for index, threshold in enumerate(buckets.thresholds):
                still = sum(buckets.kept[index + 1:])  # kept at threshold j: scores in buckets k > j
                points.append(ScorePoint(threshold=threshold, kept=unscored + still, dropped=scored - still,
                                         caught=sum(buckets.other[:index + 1]),
                                         let_through=sum(buckets.own[index + 1:]),
                                         configured=threshold == self._configured.get(name)))
            out.append(ScoreSweep(name=name, samples=self._samples, scored=scored, other_rejects=sum(buckets.other),
                                  own_rejects=sum(buckets.own), configured=self._configured.get(name),
                                  points=tuple(points)))
        return tuple(out)

    def _buckets(self, name: str) -> _Buckets:
        buckets = self._scores.get(name)
        if buckets is None:
            configured = self._configured.get(name)
            thresholds = set(self._grid) | ({configured} if configured is not None else set())
            buckets = self._scores[name] = _Buckets.over(tuple(sorted(thresholds)))
        return buckets

    def _check_of_stage(self, stage: str) -> str:
        """The verdict name a reject stage stands for: a judge's check (judge_pair -> pair_quality), else the stage."""
        if self._stage_checks is None:
            from labgen.critic.judges import CHECK_NAMES

            self._stage_checks = CHECK_NAMES
        return self._stage_checks.get(stage, stage)


def score_sweeps(samples: Iterable[Any], rejects: Iterable[Mapping[str, Any]], *, steps: int = 11,
                 configured: Mapping[str, float] | None = None) -> tuple[ScoreSweep, ...]:
    """The sweeps of in-memory rows: `samples` are the kept samples' critic values, `rejects` reject rows."""
    counter = ScoreSweepCounter(steps, configured)
    for critic in samples:
        counter.add_sample(critic)
    for row in rejects:
        counter.add_reject(row)
    return counter.sweeps()


def configured_thresholds(critic: Any) -> dict[str, float]:
    """The run's threshold on each score, from run.json's parameters.critic (CriticConfig's fields).

    The critic passes a verdict at score >= threshold for these (echo and seed_copy fail at similarity >=
    their setting, and score = 1 - similarity); yes/no checks (empty, pii, ...) have no threshold.
    """
    from labgen.critic.judges import PAIR_SCALE

    if not isinstance(critic, Mapping):
        return {}

    def number(key: str) -> float | None:
        value = critic.get(key)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    out: dict[str, float | None] = {"lexical_support": number("min_lexical_support")}
    if critic.get("language", "en") is not None:
        out["language"] = number("min_language_score")
    for check, key in (("echo", "echo_similarity"), ("seed_copy", "seed_copy_similarity")):
        similarity = number(key)
        out[check] = None if similarity is None else 1.0 - similarity
    pair = number("pair_min_score")
    out["pair_quality"] = None if pair is None else (pair - 1) / (PAIR_SCALE - 1)
    p_yes = number("judge_min_p_yes")
    for check in ("instruction", "question", "faithfulness", "relevance", "standalone", "safety"):
        out[check] = p_yes
    return {name: round(min(max(value, 0.0), 1.0), 4) for name, value in out.items() if value is not None}


def threshold_label(threshold: float) -> str:
    """0.5 -> "0.50", 0.55 -> "0.55", 0.125 -> "0.125"."""
    text = f"{threshold:.4f}".rstrip("0")
    return text if len(text.split(".")[1]) > 2 else f"{threshold:.2f}"


SWEEP_COLUMNS = ("threshold", "kept", "drops", "caught", "caught share", "let through")


def sweep_rows(sweep: ScoreSweep) -> list[list[object]]:
    """The compact table of one sweep, under SWEEP_COLUMNS."""
    return [[label, p.kept, p.dropped, p.caught, sweep.caught_share(p), p.let_through]
            for label, p in sweep.compact()]


def sweep_title(sweep: ScoreSweep) -> str:
    configured = f"; configured threshold {threshold_label(sweep.configured)} (*)" if sweep.configured is not None \
        else ""
    return (f"{sweep.name}: {sweep.scored:,} of {sweep.samples:,} kept samples scored, {sweep.other_rejects:,} "
            f"rejects of other checks scored, {sweep.own_rejects:,} own rejects{configured}")


def _same_counts(a: ScorePoint, b: ScorePoint) -> bool:
    return (a.kept, a.caught, a.let_through) == (b.kept, b.caught, b.let_through)


def _scores(critic: Any) -> list[tuple[str, float]]:
    verdicts = critic.get("verdicts") if isinstance(critic, Mapping) else None
    if not isinstance(verdicts, Mapping):
        return []
    out = []
    for name, verdict in verdicts.items():
        score = verdict.get("score") if isinstance(verdict, Mapping) else None
        if isinstance(score, (int, float)) and not isinstance(score, bool) and score == score:  # not NaN
            out.append((str(name), float(score)))
    return out


def _failed_checks(critic: Any) -> set[str]:
    verdicts = critic.get("verdicts") if isinstance(critic, Mapping) else None
    if not isinstance(verdicts, Mapping):
        return set()
    return {str(name) for name, verdict in verdicts.items() if isinstance(verdict, Mapping)
            and verdict.get("pass") is False}
