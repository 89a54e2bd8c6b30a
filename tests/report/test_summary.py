"""summarize_run and render_text on synthetic run directories."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from labgen.errors import OutputError
from labgen.report import Distribution, render_text, summarize_run, threshold_sweep

from dedup.run_builder import make_reject, make_sample, write_run

HAIKU = "compositional_skills/writing/haiku"
RIVERS = "knowledge/geography/rivers"


def build(tmp_path: Path) -> Path:
    return write_run(tmp_path, {
        HAIKU: [make_sample(HAIKU, f"Write a haiku about topic {i}", score=i / 10) for i in range(10)],
        RIVERS: [make_sample(RIVERS, f"Question {i}?", kind="knowledge", score=0.9) for i in range(4)]},
        rejects={HAIKU: [make_reject(HAIKU, "judge_pair", "rated 1 of 3", f"q{i}") for i in range(5)]
                 + [make_reject(HAIKU, "dedup", "near duplicate")],
                 RIVERS: [make_reject(RIVERS, "judge_faithfulness", "unsupported", f"q{i}", "knowledge")
                          for i in range(3)]},
        prompt_tokens=1000, completion_tokens=200)


def test_counts_rejects_and_tokens_per_leaf_and_overall(tmp_path: Path) -> None:
    summary = summarize_run(build(tmp_path))
    haiku, rivers = summary.leaves
    assert (haiku.leaf, haiku.kind, haiku.generated, haiku.kept, haiku.rejected, haiku.dedup_removed) == (
        HAIKU, "freeform_skill", 16, 10, 6, 1)
    assert haiku.rejected_by == {"judge_pair/rated 1 of 3": 5, "dedup/near duplicate": 1}
    assert rivers.tokens == 1200 and rivers.tokens_per_kept == 300.0
    assert summary.total.kept == 14 and summary.total.rejected == 9 and summary.total.tokens == 2400
    assert summary.rejects_by_stage == {"judge_pair": 5, "judge_faithfulness": 3, "dedup": 1}
    assert summary.by_kind.counts == {"freeform_skill": 10, "knowledge": 4}
    expected = -(10 / 14) * math.log2(10 / 14) - (4 / 14) * math.log2(4 / 14)
    assert summary.by_leaf.entropy_bits == pytest.approx(expected)
    assert summary.by_leaf.normalized == pytest.approx(expected)  # two leaves: log2(2) = 1


def test_threshold_sweep_moves_kept_volume_and_entropy(tmp_path: Path) -> None:
    sweep = summarize_run(build(tmp_path), sweep_steps=11).sweep
    assert [p.threshold for p in sweep] == [round(i / 10, 4) for i in range(11)]
    assert [p.kept for p in sweep] == [14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 0]
    assert sweep[5].normalized_entropy > sweep[0].normalized_entropy  # balance improves as haiku thins out
    assert sweep[-1].entropy_bits == 0.0 and sweep[-1].leaves_with_samples == 0


def test_unscored_samples_pass_every_threshold() -> None:
    sweep = threshold_sweep({"a": [math.nan, 0.2], "b": [0.9]}, steps=3)
    assert [p.kept for p in sweep] == [3, 2, 1]


def test_entropy_of_even_and_single_category() -> None:
    assert Distribution.of({"a": 5, "b": 5, "c": 5, "d": 5}).entropy_bits == pytest.approx(2.0)
    assert Distribution.of({"a": 5, "b": 5, "c": 5, "d": 5}).normalized == pytest.approx(1.0)
    assert Distribution.of({"a": 7, "b": 0}).normalized == 0.0
    assert Distribution.of({"only": 3}).normalized == 1.0


def test_render_text_has_aligned_tables(tmp_path: Path) -> None:
    text = render_text(summarize_run(build(tmp_path)))
    lines = text.splitlines()
    header = next(line for line in lines if line.strip().startswith("leaf "))
    total = next(line for line in lines if line.strip().startswith("TOTAL"))
    assert header.index("tokens/kept") + len("tokens/kept") == len(total)  # right-aligned last column
    assert "judge_pair/rated 1 of 3" in text and "#" * 30 in text
    matrix = text.split("Rejected by leaf and stage")[1].splitlines()
    assert matrix[1].split() == ["leaf", "judge_pair", "judge_faithfulness", "dedup"]
    assert matrix[3].split() == [HAIKU, "5", "0", "1"] and matrix[4].split() == [RIVERS, "0", "3", "0"]
    assert "entropy over leaves: 0.863 bits" in text
    assert "171.4" in text  # 2,400 tokens / 14 kept


def test_not_a_run_directory(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="run directory not found"):
        summarize_run(tmp_path / "missing")
    with pytest.raises(OutputError, match="no leaf outputs"):
        summarize_run(tmp_path)
