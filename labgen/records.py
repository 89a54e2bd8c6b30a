"""Record types shared by the pipeline stages: a verdict from a check or a judge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Verdict:
    """What a filter (deterministic check or teacher judgment) says about one sample.

    score: 0..1, higher is better. confidence: 0..1, how sure the check is of its pass/fail
    (from token probabilities when the teacher gave them, else derived from the score).
    """

    check: str
    passed: bool
    score: float
    reason: str
    confidence: float = 1.0
    raw: str | None = None  # the teacher's raw judgment text, for teacher verdicts

    def as_dict(self) -> dict[str, Any]:
        return {"pass": self.passed, "score": round(float(self.score), 4), "reason": self.reason,
                "confidence": round(float(self.confidence), 4)}
