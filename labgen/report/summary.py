"""summarize_run: what a run directory holds, per leaf and overall, ready for tables and charts.

Counts come from the files themselves (samples.jsonl and rejects.jsonl lines), tokens and `generated`
from stats.json (teacher accounting), run metadata from run.json. A sample without a critic score passes
every threshold of the sweep (nothing judged it, so nothing would filter it). The per-score sweeps
(score_sweep.py) are fed from the same single pass over the leaf files.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labgen.errors import OutputError
from labgen.jsonl import read_jsonl
from labgen.report.score_sweep import ScoreSweep, ScoreSweepCounter, configured_thresholds

DEDUP_STAGES = ("dedup", "decontaminate")


@dataclass(frozen=True)
class LeafSummary:
    leaf: str
    kind: str
    generated: int
    kept: int
    rejected: int
    rejected_by: Mapping[str, int]  # "<stage>/<reason>" -> count
    dedup_removed: int
    prompt_tokens: int
    completion_tokens: int

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def tokens_per_kept(self) -> float | None:
        return self.tokens / self.kept if self.kept else None

    def rejected_in(self, stage: str) -> int:
        return sum(count for key, count in self.rejected_by.items() if key.split("/", 1)[0] == stage)

    def table_row(self) -> list[object]:
        """The cells under LEAF_COLUMNS."""
        return [self.leaf, self.kind, self.generated, self.kept, self.rejected, self.dedup_removed, self.tokens,
                self.tokens_per_kept]


LEAF_COLUMNS = ("leaf", "kind", "generated", "kept", "rejected", "dedup removed", "tokens", "tokens/kept")


@dataclass(frozen=True)
class Distribution:
    """How kept samples spread over categories: Shannon entropy in bits, and divided by log2(categories)."""

    counts: Mapping[str, int]
    entropy_bits: float
    normalized: float

    @classmethod
    def of(cls, counts: Mapping[str, int]) -> Distribution:
        total = sum(counts.values())
        entropy = -sum(c / total * math.log2(c / total) for c in counts.values() if c) if total else 0.0
        categories = len(counts)
        normalized = entropy / math.log2(categories) if categories > 1 else (1.0 if total else 0.0)
        return cls(counts=dict(counts), entropy_bits=entropy, normalized=normalized)


@dataclass(frozen=True)
class SweepPoint:
    """Kept volume and spread over leaves if only samples with critic score >= threshold were kept."""

    threshold: float
    kept: int
    leaves_with_samples: int
    entropy_bits: float
    normalized_entropy: float


@dataclass(frozen=True)
class RunSummary:
    out_dir: str
    run: Mapping[str, Any]  # selected run.json fields: labgen_version, teacher, taxonomy, taxonomy_commit, elapsed_s
    leaves: tuple[LeafSummary, ...]
    total: LeafSummary
    rejects_by_stage: Mapping[str, int]
    rejects_by_reason: Mapping[str, int]  # "<stage>/<reason>"
    by_leaf: Distribution
    by_kind: Distribution
    sweep: tuple[SweepPoint, ...]
    contamination: int  # samples removed for overlapping an evaluation item (dedup.json)
    score_sweeps: tuple[ScoreSweep, ...] = ()  # one per check or judge score (score_sweep.py)


def summarize_run(out_dir: Path, sweep_steps: int = 21, score_steps: int = 11) -> RunSummary:
    """Read a run directory (docs/formats.md) and compute the report's figures, streaming its leaf files."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise OutputError("run directory not found", path=out_dir, hint="pass the OUT folder of `labgen generate`")
    run = _read_json(out_dir / "run.json")
    leaf_paths = _leaf_paths(out_dir)
    if not leaf_paths:
        raise OutputError("no leaf outputs (samples.jsonl, rejects.jsonl or stats.json) in this folder",
                          path=out_dir, hint="pass the OUT folder of `labgen generate`")
    parameters = run.get("parameters")
    per_score = ScoreSweepCounter(score_steps, configured_thresholds(
        parameters.get("critic") if isinstance(parameters, dict) else None))
    leaves: list[LeafSummary] = []
    scores: dict[str, list[float]] = {}
    for leaf in leaf_paths:
        summary, leaf_scores = _summarize_leaf(out_dir, leaf, run, per_score)
        leaves.append(summary)
        scores[leaf] = leaf_scores
    by_reason: Counter[str] = Counter()
    for leaf_summary in leaves:
        by_reason.update(leaf_summary.rejected_by)
    by_stage: Counter[str] = Counter()
    for key, count in by_reason.items():
        by_stage[key.split("/", 1)[0]] += count
    kinds: Counter[str] = Counter()
    for leaf_summary in leaves:
        kinds[leaf_summary.kind] += leaf_summary.kept
    def summed(field: str) -> int:
        return sum(getattr(leaf_summary, field) for leaf_summary in leaves)

    total = LeafSummary(leaf="TOTAL", kind="", generated=summed("generated"), kept=summed("kept"),
                        rejected=summed("rejected"), rejected_by=dict(by_reason),
                        dedup_removed=summed("dedup_removed"), prompt_tokens=summed("prompt_tokens"),
                        completion_tokens=summed("completion_tokens"))
    dedup = _read_json(out_dir / "dedup.json")
    return RunSummary(
        out_dir=str(out_dir),
        run={k: run.get(k) for k in ("labgen_version", "teacher", "taxonomy", "taxonomy_commit", "elapsed_s")},
        leaves=tuple(leaves), total=total,
        rejects_by_stage=dict(by_stage.most_common()), rejects_by_reason=dict(by_reason.most_common()),
        by_leaf=Distribution.of({leaf_summary.leaf: leaf_summary.kept for leaf_summary in leaves}),
        by_kind=Distribution.of(dict(sorted(kinds.items()))),
        sweep=threshold_sweep(scores, sweep_steps),
        contamination=len(dedup.get("contamination") or ()) if isinstance(dedup, dict) else 0,
        score_sweeps=per_score.sweeps())


def threshold_sweep(scores: Mapping[str, Sequence[float]], steps: int = 21) -> tuple[SweepPoint, ...]:
    """Kept volume and leaf entropy at `steps` thresholds from 0 to 1 (scores per leaf; NaN = unscored)."""
    steps = max(2, steps)
    points = []
    for step in range(steps):
        threshold = round(step / (steps - 1), 4)
        counts = {leaf: sum(1 for s in values if math.isnan(s) or s >= threshold - 1e-9)
                  for leaf, values in scores.items()}
        spread = Distribution.of(counts)
        points.append(SweepPoint(threshold=threshold, kept=sum(counts.values()),
                                 leaves_with_samples=sum(1 for c in counts.values() if c),
                                 entropy_bits=spread.entropy_bits, normalized_entropy=spread.normalized))
    return tuple(points)


def _summarize_leaf(out_dir: Path, leaf: str, run: Mapping[str, Any],
                    per_score: ScoreSweepCounter) -> tuple[LeafSummary, list[float]]:
    folder = out_dir / leaf
    stats = _read_json(folder / "stats.json")
    kind = str(stats.get("kind") or "")
    scores: list[float] = []
    kept = 0
    if (folder / "samples.jsonl").exists():
        for row in read_jsonl(folder / "samples.jsonl"):
            kept += 1
            kind = kind or str(row.get("kind") or "")
            score = (row.get("critic") or {}).get("score") if isinstance(row.get("critic"), dict) else None
            scores.append(float(score) if isinstance(score, (int, float)) else math.nan)
            per_score.add_sample(row.get("critic"))
    rejected_by: Counter[str] = Counter()
    if (folder / "rejects.jsonl").exists():
        for row in read_jsonl(folder / "rejects.jsonl"):
            kind = kind or str(row.get("kind") or "")
            rejected_by[f"{row.get('stage')}/{row.get('reason')}"] += 1
            per_score.add_reject(row)
    elif isinstance(stats.get("rejected_by"), dict):
        rejected_by.update({str(k): int(v) for k, v in stats["rejected_by"].items()})
    rejected = sum(rejected_by.values())
    dedup_removed = sum(c for k, c in rejected_by.items() if k.split("/", 1)[0] in DEDUP_STAGES)
    prompt, completion = _tokens(stats)
    generated = stats.get("generated")
    if not isinstance(generated, int):
        entry = (run.get("leaves") or {}).get(leaf) if isinstance(run.get("leaves"), dict) else None
        generated = entry.get("generated") if isinstance(entry, dict) else None
    if not isinstance(generated, int) or generated < kept + rejected:
        generated = kept + rejected
    return LeafSummary(leaf=leaf, kind=kind or "unknown", generated=generated, kept=kept, rejected=rejected,
                       rejected_by=dict(rejected_by.most_common()), dedup_removed=dedup_removed,
                       prompt_tokens=prompt, completion_tokens=completion), scores


def _tokens(stats: Mapping[str, Any]) -> tuple[int, int]:
    """Teacher tokens of a leaf: the accounting total when present, else the samples' own tokens."""
    total = (stats.get("teacher") or {}).get("total") if isinstance(stats.get("teacher"), dict) else None
    if isinstance(total, dict) and ("prompt_tokens" in total or "completion_tokens" in total):
        return int(total.get("prompt_tokens") or 0), int(total.get("completion_tokens") or 0)
    tokens = stats.get("tokens")
    if isinstance(tokens, dict):
        return int(tokens.get("prompt") or 0), int(tokens.get("completion") or 0)
    return 0, 0


def _leaf_paths(out_dir: Path) -> list[str]:
    found: set[str] = set()
    for name in ("samples.jsonl", "rejects.jsonl", "stats.json"):
        for path in out_dir.rglob(name):
            leaf = path.parent.relative_to(out_dir).as_posix()
            if leaf != "." and not any(part.startswith(".") for part in leaf.split("/")):
                found.add(leaf)
    return sorted(found)


def _read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OutputError(f"not readable JSON ({exc})", path=path, hint="re-run the stage that writes it") from None
    return value if isinstance(value, dict) else {}
