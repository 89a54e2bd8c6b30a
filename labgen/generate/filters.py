"""The one place that decides keep or drop, counts drops by stage and reason, and writes rejects.

Stages hand a candidate and a Verdict (or a parse failure, or a teacher failure) to the unit's Ledger;
the Ledger records every verdict on the candidate, turns the first failing one into a reject carrying the
raw teacher output, and keeps the rest. Nothing leaves a unit without going through here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from labgen.critic.checks import Measured
from labgen.curate.record import JudgeMark
from labgen.curate.rows import reason_key
from labgen.records import Verdict

Slot = tuple[int, ...]


@dataclass
class Candidate:
    """A sample on its way through a unit's stages (mutable inside its unit only)."""

    slot: Slot  # its place in the unit: (round, item, ...); orders output and derives ids
    seed_ids: tuple[str, ...]
    question: str | None = None
    answer: str | None = None
    context: str | None = None
    answer_style: str | None = None
    document: dict[str, Any] | None = None
    verdicts: list[Verdict] = field(default_factory=list)
    raw: dict[str, str] = field(default_factory=dict)  # stage -> the teacher's raw output
    templates: dict[str, dict[str, str]] = field(default_factory=dict)
    sampling: dict[str, dict[str, Any]] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # What curation needs to decide again without the teacher (see labgen.curate.record).
    finish_reason: str | None = None  # of the answer's completion, as the checks saw it
    stage_tokens: dict[str, tuple[int, int]] = field(default_factory=dict)  # stage -> (prompt, completion)
    checks: list[Measured] = field(default_factory=list)
    judges: dict[str, JudgeMark] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        return {"question": self.question, "answer": self.answer, "context": self.context}


@dataclass(frozen=True)
class Drop:
    slot: Slot
    stage: str
    reason: str
    raw: str | None
    candidate: Candidate | None
    teacher_failure: bool = False


class Ledger:
    """Kept candidates, drops and their counts for one work unit."""

    def __init__(self) -> None:
        self.kept: list[Candidate] = []
        self.drops: list[Drop] = []
        self.counts: Counter[str] = Counter()
        self.teacher_failures = 0

    def drop(self, slot: Slot, stage: str, reason: str, *, raw: str | None,
             candidate: Candidate | None = None, teacher_failure: bool = False) -> None:
        self.drops.append(Drop(slot, stage, reason, raw, candidate, teacher_failure))
        self.counts[f"{stage}/{reason_key(reason)}"] += 1

    def teacher_failed(self, slot: Slot, stage: str, error: str, candidate: Candidate | None = None) -> None:
        """A request that failed after the teacher's retries: a reject, and the unit is not final."""
        self.teacher_failures += 1
        self.drop(slot, stage, f"teacher failed: {error}", raw=None, candidate=candidate, teacher_failure=True)

    def decide(self, candidate: Candidate, verdicts: list[Verdict], *, stage: str | None = None) -> bool:
        """Record the verdicts; the first failing one drops the candidate (stage: its check, unless given)."""
        candidate.verdicts.extend(verdicts)
        for verdict in verdicts:
            if not verdict.passed:
                self.drop(candidate.slot, stage or verdict.check, verdict.reason, raw=verdict.raw, candidate=candidate)
                return False
        return True

    def keep(self, candidate: Candidate) -> None:
        self.kept.append(candidate)

    @property
    def kept_count(self) -> int:
        return len(self.kept)
