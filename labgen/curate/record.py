"""The sample record: what a candidate becomes when its unit finishes, frozen, stored in the unit's result.

It holds the candidate's fields and provenance, every verdict it received in its unit, and what curation
needs to decide again without the teacher: the answer-store key of each judge request (a judgment is
re-read from the stored answer with one lookup, no template rendering), each thresholded check's measure
(a new threshold re-decides it without recomputing), the answer's finish reason, and where the unit
dropped it. `Candidate` (labgen.generate.filters) stays the mutable builder inside a unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from labgen.critic.checks import Measured
from labgen.records import Verdict

TRANSIENT = "transient"  # the teacher failed after its retries: asking again may succeed
PERMANENT = "permanent"  # the request cannot succeed (the prompt does not fit the window)


@dataclass(frozen=True)
class JudgeMark:
    """One judge request a candidate went through: its store key and the verdict the unit drew from it."""

    key: str
    verdict: Verdict
    failure: str | None = None  # None: answered (and stored); TRANSIENT or PERMANENT


@dataclass(frozen=True)
class DropMark:
    """Where and why the unit dropped the candidate."""

    stage: str
    reason: str
    raw: str | None = None
    teacher_failure: bool = False  # a request that failed after retries (the unit is not final)


@dataclass(frozen=True)
class SampleRecord:
    id: str  # "s-...": stable whatever the curation settings (unit's request identity, seed, slot, content)
    leaf: str
    kind: str
    unit: str
    slot: tuple[int, ...]  # (round, item, ...): the candidate's place in its unit
    seed_ids: tuple[str, ...]
    question: str | None = None
    answer: str | None = None
    context: str | None = None
    answer_style: str | None = None
    document: Mapping[str, Any] | None = None
    templates: tuple[str, ...] = ()  # template ids it went through (refs: the unit's "templates")
    sampling: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    tokens: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # stage -> (prompt, completion) charged
    finish_reason: str | None = None  # of the answer's completion, as the checks saw it
    checks: tuple[Measured, ...] = ()  # each check's verdict and measure; empty when not reached
    judges: Mapping[str, JudgeMark] = field(default_factory=dict)  # in the order they were asked
    drop: DropMark | None = None  # None: the unit kept it
    candidate: bool = True  # False: a generation reject (unparsable output, a failed list request)

    @property
    def round(self) -> int:
        return self.slot[0] if self.slot else 0

    def fields(self) -> dict[str, Any]:
        return {"question": self.question, "answer": self.answer, "context": self.context}

    def as_json(self) -> dict[str, Any]:
        """The stored form (leaf, kind and unit are the unit's own and are not repeated)."""
        return {"id": self.id, "slot": list(self.slot), "seed_ids": list(self.seed_ids),
                "question": self.question, "answer": self.answer, "context": self.context,
                "answer_style": self.answer_style, "document": self.document, "templates": list(self.templates),
                "sampling": self.sampling, "tokens": {stage: list(t) for stage, t in self.tokens.items()}, "finish_reason": self.finish_reason,
                "checks": [[_verdict_json(c.verdict), None if c.measure is None else list(c.measure)]
                           for c in self.checks],
                "judges": {name: [mark.key, _verdict_json(mark.verdict), mark.failure]
                           for name, mark in self.judges.items()},
                "drop": None if self.drop is None else [self.drop.stage, self.drop.reason, self.drop.raw,
                                                        self.drop.teacher_failure],
                "candidate": self.candidate}


def record_from_json(data: Mapping[str, Any], *, leaf: str, kind: str, unit: str) -> SampleRecord:
    drop = data.get("drop")
    return SampleRecord(
        id=data["id"], leaf=leaf, kind=kind, unit=unit, slot=tuple(data["slot"]), seed_ids=tuple(data["seed_ids"]),
        question=data.get("question"), answer=data.get("answer"), context=data.get("context"),
        answer_style=data.get("answer_style"), document=data.get("document"),
        templates=tuple(data.get("templates") or ()), sampling=data.get("sampling") or {},
        tokens={stage: (int(t[0]), int(t[1])) for stage, t in (data.get("tokens") or {}).items()},
        finish_reason=data.get("finish_reason"),
        checks=tuple(Measured(_verdict(v), None if m is None else tuple(m)) for v, m in data.get("checks") or ()),
        judges={name: JudgeMark(key, _verdict(v), failure) for name, (key, v, failure)
                in (data.get("judges") or {}).items()},
        drop=None if drop is None else DropMark(drop[0], drop[1], drop[2], bool(drop[3])),
        candidate=bool(data.get("candidate", True)))


def _verdict_json(verdict: Verdict) -> list[Any]:
    # Unrounded, so a record read back decides and scores exactly as the unit did.
    return [verdict.check, verdict.passed, verdict.score, verdict.reason, verdict.confidence, verdict.raw]


def _verdict(data: list[Any]) -> Verdict:
    check, passed, score, reason, confidence, raw = data
    return Verdict(check, bool(passed), score, reason, confidence=confidence, raw=raw)
