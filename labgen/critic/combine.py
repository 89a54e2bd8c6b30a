"""One score per sample from all its verdicts, for sorting and thresholding.

Each verdict gives a probability that the sample is good: its confidence when it passed, one minus its
confidence when it failed, floored/capped at 0.5 so a verdict never argues against its own pass/fail
(an unparsable judgment, confidence 0, counts as 0.5: no evidence).

    mean  = sum(w_c * p_c) / sum(w_c)                  over all verdicts c, weights WEIGHTS
    score = mean                                       when every verdict passed   (>= 0.5)
    score = 0.5 * mean * prod(2 * p_f)                 over the failed verdicts f  (< 0.5)

So 0.5 separates kept from rejected samples, a confident failure pulls a sample towards 0, and within
each side the other checks still order the samples (an unparsable judgment, p = 0.5, halves the score
without erasing what the other checks said).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from labgen.records import Verdict

WEIGHTS = {
    "faithfulness": 3.0, "lexical_support": 2.0, "pair_quality": 2.0, "safety": 2.0, "relevance": 1.5,
    "standalone": 1.0, "question": 1.0, "instruction": 1.0, "language": 0.5, "refusal": 1.0,
    "pii": 1.0, "echo": 1.0, "seed_copy": 1.0, "empty": 1.0, "truncated": 1.0, "blocklist": 1.0,
}
DEFAULT_WEIGHT = 1.0


def probability_good(verdict: Verdict) -> float:
    """The verdict's probability that the sample is good, on the side of its pass/fail."""
    confidence = min(max(float(verdict.confidence), 0.0), 1.0)
    return max(confidence, 0.5) if verdict.passed else min(1.0 - confidence, 0.5)


def combined_score(verdicts: Iterable[Verdict]) -> float:
    """The sample's score in 0..1 (higher is better; >= 0.5 iff every verdict passed)."""
    verdicts = list(verdicts)
    if not verdicts:
        return 0.5
    total = weighted = 0.0
    for verdict in verdicts:
        weight = WEIGHTS.get(verdict.check, DEFAULT_WEIGHT)
        total += weight
        weighted += weight * probability_good(verdict)
    mean = weighted / total
    failed = [v for v in verdicts if not v.passed]
    if not failed:
        return mean
    score = 0.5 * mean
    for verdict in failed:
        score *= 2.0 * probability_good(verdict)
    return score


def critic_record(verdicts: Iterable[Verdict]) -> dict[str, Any]:
    """The `critic` key of a sample: combined score and every verdict by check name."""
    verdicts = list(verdicts)
    return {"score": round(combined_score(verdicts), 4),
            "verdicts": {v.check: v.as_dict() for v in verdicts}}
