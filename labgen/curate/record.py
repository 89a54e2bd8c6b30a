"""The sample record: what a candidate becomes when its unit finishes, frozen, stored in the unit's result.

It holds the candidate's fields and provenance, every verdict it received in its unit, and what curation
needs to decide again without the teacher: the answer-store key of each judge request (a judgment is
re-read from the stored answer with one lookup, no template rendering), each thresholded check's measure
(a new threshold re-decides it without recomputing), the answer's finish reason, and where the unit
dropped it. `Candidate` (labgen.generate.filters) stays the mutable builder inside a unit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    templates: Sequence[str] = ()  # template ids it went through, sorted (refs: the unit's "templates")
    sampling: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    tokens: Mapping[str, Sequence[int]] = field(default_factory=dict)  # stage -> (prompt, completion) charged
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


class RecordTables:
    """What the records of one unit share, stored once beside them in the unit result: the contexts and
    documents (a knowledge chunk is every record's context), each stage's sampling parameters but the
    seed, the unit's seed examples. Records refer to them by index, which keeps unit files small and
    quick to read back."""

    def __init__(self, *, contexts: list[str] | None = None, documents: list[Any] | None = None,
                 sampling: dict[str, dict[str, Any]] | None = None, seed_ids: tuple[str, ...] = ()) -> None:
        self.contexts = list(contexts or [])
        self.documents = list(documents or [])
        self.sampling = dict(sampling or {})
        self.seed_ids = tuple(seed_ids)
        self._context_index = {text: i for i, text in enumerate(self.contexts)}

    def as_json(self) -> dict[str, Any]:
        return {"contexts": self.contexts, "documents": self.documents, "sampling": self.sampling}

    @classmethod
    def from_unit(cls, unit: Mapping[str, Any]) -> RecordTables:
        return cls(contexts=unit.get("contexts"), documents=unit.get("documents"), sampling=unit.get("sampling"),
                   seed_ids=tuple(unit.get("seed_ids") or ()))

    def encode(self, record: SampleRecord) -> dict[str, Any]:
        """The stored form of a record (leaf, kind and unit are the unit's own)."""
        seeds = {}
        for stage, params in record.sampling.items():
            self.sampling.setdefault(stage, {k: v for k, v in params.items() if k != "seed"})
            seeds[stage] = params.get("seed")
        return {"id": record.id, "slot": list(record.slot),
                "seed_ids": None if record.seed_ids == self.seed_ids else list(record.seed_ids),
                "question": record.question, "answer": record.answer, "context": self._context(record.context),
                "answer_style": record.answer_style, "document": self._document(record.document),
                "templates": list(record.templates), "seeds": seeds,
                "tokens": {stage: list(t) for stage, t in record.tokens.items()},
                "finish_reason": record.finish_reason,
                "checks": [[*_verdict_json(c.verdict), None if c.measure is None else list(c.measure)]
                           for c in record.checks],
                "judges": {name: [mark.key, *_verdict_json(mark.verdict), mark.failure]
                           for name, mark in record.judges.items()},
                "drop": None if record.drop is None else [record.drop.stage, record.drop.reason, record.drop.raw,
                                                          record.drop.teacher_failure],
                "candidate": record.candidate}

    def decode(self, data: Mapping[str, Any], *, leaf: str, kind: str, unit: str) -> SampleRecord:
        drop, context, document, seed_ids = data["drop"], data["context"], data["document"], data["seed_ids"]
        return SampleRecord(
            id=data["id"], leaf=leaf, kind=kind, unit=unit, slot=tuple(data["slot"]),
            seed_ids=self.seed_ids if seed_ids is None else tuple(seed_ids),
            question=data["question"], answer=data["answer"],
            context=None if context is None else self.contexts[context], answer_style=data["answer_style"],
            document=None if document is None else self.documents[document], templates=data["templates"],
            sampling={stage: {**self.sampling[stage], "seed": seed} for stage, seed in data["seeds"].items()},
            tokens=data["tokens"], finish_reason=data["finish_reason"],
            checks=tuple([Measured(Verdict(c, p, s, r, f, w), m)
                          for c, p, s, r, f, w, m in data["checks"]]),
            judges={name: JudgeMark(key, Verdict(c, p, s, r, f, w), failure)
                    for name, (key, c, p, s, r, f, w, failure) in data["judges"].items()},
            drop=None if drop is None else DropMark(drop[0], drop[1], drop[2], drop[3]),
            candidate=data["candidate"])

    def fields(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """decode(data, ...).fields() without decoding the rest of the stored record."""
        context = data["context"]
        return {"question": data["question"], "answer": data["answer"],
                "context": None if context is None else self.contexts[context]}

    def _context(self, text: str | None) -> int | None:
        if text is None:
            return None
        index = self._context_index.get(text)
        if index is None:
            index = self._context_index[text] = len(self.contexts)
            self.contexts.append(text)
        return index

    def _document(self, document: Mapping[str, Any] | None) -> int | None:
        if document is None:
            return None
        if document not in self.documents:
            self.documents.append(document)
        return self.documents.index(document)


def _verdict_json(verdict: Verdict) -> list[Any]:
    # Unrounded, so a record read back decides and scores exactly as the unit did.
    return [verdict.check, verdict.passed, verdict.score, verdict.reason, verdict.confidence, verdict.raw]
