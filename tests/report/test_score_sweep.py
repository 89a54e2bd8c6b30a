"""The threshold sweep per score: hand-made rows with hand-computed counts, and a fake-teacher run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from labgen.critic.config import CriticConfig
from labgen.generate import GenerateConfig
from labgen.report import ScoreSweep, ScoreSweepCounter, score_sweeps
from labgen.report.score_sweep import configured_thresholds, sweep_rows


def verdicts(**scores: tuple[float, bool]) -> dict[str, Any]:
    return {"score": 0.5, "verdicts": {name: {"pass": passed, "score": score, "reason": "r", "confidence": 0.9}
                                       for name, (score, passed) in scores.items()}}


SAMPLES = [verdicts(lexical_support=(0.9, True), pair_quality=(1.0, True)),  # A
           verdicts(lexical_support=(0.6, True), pair_quality=(0.5, True)),  # B
           verdicts(pair_quality=(1.0, True)),  # C: no context, so no lexical_support
           None]  # D: never judged
REJECTS = [
    {"stage": "judge_pair", "critic": verdicts(lexical_support=(0.3, True), pair_quality=(0.0, False))},  # R1
    {"stage": "lexical_support", "critic": verdicts(lexical_support=(0.4, False))},  # R2
    {"stage": "judge_faithfulness",  # R3
     "critic": verdicts(lexical_support=(0.7, True), pair_quality=(1.0, True), faithfulness=(0.2, False))},
    {"stage": "dedup", "critic": verdicts(lexical_support=(0.1, True))},  # R4: not a check, left out
    {"stage": "parse_instructions", "critic": None},  # R5: nothing scored
    # R6: no failing verdict recorded; the stage names the judge, whose check is pair_quality
    {"stage": "judge_pair", "critic": verdicts(lexical_support=(0.5, True))},
]
CONFIGURED = {"lexical_support": 0.55, "pair_quality": 0.5, "faithfulness": 0.5}


def by_name(sweeps: tuple[ScoreSweep, ...]) -> dict[str, ScoreSweep]:
    return {sweep.name: sweep for sweep in sweeps}


def columns(sweep: ScoreSweep) -> list[tuple[float, int, int, int, int, bool]]:
    return [(p.threshold, p.kept, p.dropped, p.caught, p.let_through, p.configured) for p in sweep.points]


def test_hand_made_rows() -> None:
    sweeps = by_name(score_sweeps(SAMPLES, REJECTS, steps=3, configured=CONFIGURED))
    assert list(sweeps) == ["faithfulness", "lexical_support", "pair_quality"]

    lexical = sweeps["lexical_support"]
    # kept: A 0.9, B 0.6 scored, C and D unscored (always kept); other checks' rejects: R1 0.3, R3 0.7, R6 0.5;
    # own: R2 0.4
    assert (lexical.samples, lexical.scored, lexical.other_rejects, lexical.own_rejects) == (4, 2, 3, 1)
    assert columns(lexical) == [(0.0, 4, 0, 0, 1, False),
                                (0.5, 4, 0, 1, 0, False),  # catches R1 (0.3); R6 at exactly 0.5 is kept
                                (0.55, 4, 0, 2, 0, True),  # + R6; B (0.6) still kept
                                (1.0, 2, 2, 3, 0, False)]  # drops A and B, catches R3 too
    assert [lexical.caught_share(p) for p in lexical.points] == [0.0, pytest.approx(1 / 3), pytest.approx(2 / 3), 1.0]

    pair = sweeps["pair_quality"]
    # kept: A 1.0, B 0.5, C 1.0, D unscored; other: R3 1.0; own: R1 0.0 (R6 carries no pair_quality score)
    assert (pair.scored, pair.other_rejects, pair.own_rejects) == (3, 1, 1)
    assert columns(pair) == [(0.0, 4, 0, 0, 1, False), (0.5, 4, 0, 0, 0, True), (1.0, 3, 1, 0, 0, False)]

    faithfulness = sweeps["faithfulness"]  # seen only on its own reject R3 (0.2): every kept sample is unscored
    assert (faithfulness.scored, faithfulness.other_rejects, faithfulness.own_rejects) == (0, 0, 1)
    assert columns(faithfulness) == [(0.0, 4, 0, 0, 1, False), (0.5, 4, 0, 0, 0, True), (1.0, 4, 0, 0, 0, False)]
    assert faithfulness.caught_share(faithfulness.points[0]) is None


def test_the_order_of_rows_does_not_matter() -> None:
    counter = ScoreSweepCounter(3, CONFIGURED)
    for row in reversed(REJECTS):
        counter.add_reject(row)
    for critic in reversed(SAMPLES):
        counter.add_sample(critic)
    assert counter.sweeps() == score_sweeps(SAMPLES, REJECTS, steps=3, configured=CONFIGURED)


def test_compact_rows_fold_equal_counts_and_mark_the_configured_threshold() -> None:
    sweeps = by_name(score_sweeps(SAMPLES, REJECTS, steps=11, configured=CONFIGURED))
    # faithfulness: the own reject (0.2) is let through up to 0.2, then nothing changes up to 1
    assert sweep_rows(sweeps["faithfulness"]) == [["0.00-0.20", 4, 0, 0, None, 1], ["0.30-1.00 *", 4, 0, 0, None, 0]]
    rows = sweep_rows(sweeps["lexical_support"])
    # kept 0.9, 0.6; other checks' rejects 0.3, 0.5, 0.7; own reject 0.4
    assert [row[0] for row in rows] == ["0.00-0.30", "0.40", "0.50", "0.55-0.60 *", "0.70", "0.80-0.90", "1.00"]
    assert [row[1:4] + row[5:] for row in rows] == [[4, 0, 0, 1], [4, 0, 1, 1], [4, 0, 1, 0], [4, 0, 2, 0],
                                                    [3, 1, 2, 0], [3, 1, 3, 0], [2, 2, 3, 0]]
    assert rows[3][4] == pytest.approx(2 / 3)


def test_configured_thresholds_read_the_critic_parameters_of_run_json() -> None:
    critic = GenerateConfig().as_dict()["critic"]  # what run.json records under parameters.critic
    assert configured_thresholds(critic) == {
        "lexical_support": 0.55, "language": 0.5, "echo": 0.1, "seed_copy": 0.1, "pair_quality": 0.5,
        "instruction": 0.5, "question": 0.5, "faithfulness": 0.5, "relevance": 0.5, "standalone": 0.5,
        "safety": 0.5}
    strict = CriticConfig(pair_min_score=3, judge_min_p_yes=0.8, language=None, echo_similarity=0.75)
    got = configured_thresholds(strict.__dict__)
    assert got["pair_quality"] == 1.0 and got["safety"] == 0.8 and got["echo"] == 0.25 and "language" not in got
    assert configured_thresholds(None) == {} and configured_thresholds({"pair_min_score": "two"}) == {}


def test_a_score_equal_to_the_threshold_up_to_float_noise_is_kept() -> None:
    noisy = 0.7 - 0.4  # 0.29999999999999993
    sweep = score_sweeps([verdicts(echo=(noisy, True))], [], steps=11)[0]
    assert [p.kept for p in sweep.points if p.threshold in (0.3, 0.4)] == [1, 0]
