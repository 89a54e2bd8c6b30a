"""Curation steps, one contract: a step looks at one sample record and says keep, or drop with a reason.

The steps of a kind are its pipeline's declared judge and check steps, in order (`Pipeline.curation()`);
`walk` takes a record through them. What a step cannot decide without new generation (an answer never
generated) raises NeedsGeneration; a judgment that neither record nor store holds raises JudgmentMissing.
Counting and writing the drops is not a step's business: one writer does it for all (labgen.curate.writer).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any, Protocol

from labgen.critic.checks import (CHECK_INPUT_SETTINGS, CHECK_THRESHOLDS, DETERMINISTIC_CHECKS, NEEDS_TEXT,
                                  CheckInput, Measured, decide_check, measure_check)
from labgen.critic.config import CriticConfig
from labgen.curate.inputs import LeafInfo, UnitInfo
from labgen.curate.judgments import JudgeUse, Judges, JudgmentMissing, JudgmentSource, judge_request, key_of
from labgen.curate.record import TRANSIENT, SampleRecord
from labgen.generate.pipelines import CHECKS, GENERATE, JUDGE, ONE, Step, pipeline_for
from labgen.records import Verdict

_CHECK_SETTINGS = frozenset(name for group in (CHECK_THRESHOLDS, CHECK_INPUT_SETTINGS)
                            for names in group.values() for name in names)
_INPUT_SETTINGS = frozenset(name for names in CHECK_INPUT_SETTINGS.values() for name in names)


@dataclass(frozen=True)
class Drop:
    """Why a record is not kept, in the terms of the one reject schema."""

    stage: str
    reason: str
    raw: str | None = None
    duplicate_of: str | None = None
    similarity: float | None = None
    eval_item: Mapping[str, Any] | None = None
    teacher_failure: bool = False  # the unit's request failed after retries: `labgen generate` asks it again


@dataclass(frozen=True)
class StepResult:
    verdicts: tuple[Verdict, ...] = ()
    drop: Drop | None = None  # None: keep
    judge: JudgeUse | None = None


class NeedsGeneration(Exception):
    """The record cannot be decided without generating something it lacks (its answer)."""


class CurationStep(Protocol):
    declaration: Step

    def decide(self, record: SampleRecord, unit: UnitInfo, leaf: LeafInfo) -> StepResult: ...


class JudgeStep:
    def __init__(self, declaration: Step, config: CriticConfig, judges: Judges, source: JudgmentSource) -> None:
        self.declaration = declaration
        self.name = declaration.name
        self.config = config
        self.judges = judges
        self.source = source
        self.judge = judges.get(self.name, config)

    def decide(self, record: SampleRecord, unit: UnitInfo, leaf: LeafInfo) -> StepResult:
        judge = self.judge
        mark = record.judges.get(self.name)
        verdict: Verdict | None = None
        use: JudgeUse | None = None
        if mark is not None:
            template = unit.templates.get(self.name, {})
            same_request, same_verdict = self.judges.reuse(self.name, unit.critic, self.config,
                                                           str(template.get("sha256", "")))
            if same_request:
                # A failed request stays failed here: retrying is generate's business (the unit is not final).
                if same_verdict or mark.failure is not None:
                    verdict = mark.verdict
                else:
                    completion = self.source.completion(mark.key, self.name)
                    verdict = None if completion is None else judge.parse(completion)
                if verdict is not None:
                    use = _recorded_use(self.name)
        if verdict is None:  # a request the unit never made (or made differently): render it
            from labgen.generate.unit_work import _sampling_record

            request = judge_request(self.declaration, judge, record, unit, leaf)
            key = key_of(request, unit)
            completion = self.source.completion(key, self.name)
            if completion is None:
                raise JudgmentMissing(key, request)
            verdict = judge.parse(completion)
            use = JudgeUse(self.name, judge.template.ref(), _sampling_record(request.params),
                           (completion.prompt_tokens, completion.completion_tokens))
        failed = mark is not None and mark.failure == TRANSIENT and verdict is mark.verdict
        drop = None if verdict.passed else Drop(self.name, verdict.reason, verdict.raw, teacher_failure=failed)
        return StepResult((verdict,), drop, use)


class ChecksStep:
    """The critic's deterministic checks: recorded verdicts reused, thresholds re-applied to recorded measures,
    and only checks whose inputs' settings changed (language, pii, blocklist) computed again."""

    def __init__(self, declaration: Step, config: CriticConfig) -> None:
        self.declaration = declaration
        self.config = config
        self._changed: dict[int, tuple[frozenset[str], CriticConfig]] = {}  # by id: see Judges

    def changed(self, recorded: CriticConfig) -> frozenset[str]:
        found = self._changed.get(id(recorded))
        if found is None:
            found = self._changed[id(recorded)] = (frozenset(
                f.name for f in fields(CriticConfig)
                if f.name in _CHECK_SETTINGS and getattr(recorded, f.name) != getattr(self.config, f.name)), recorded)
        return found[0]

    def decide(self, record: SampleRecord, unit: UnitInfo, leaf: LeafInfo) -> StepResult:
        if not record.checks:
            raise NeedsGeneration("its checks were never run")
        changed = self.changed(unit.critic)
        marks = record.checks if not changed else self._again(record, changed)
        verdicts = tuple(mark.verdict for mark in marks)
        failed = next((v for v in verdicts if not v.passed), None)
        return StepResult(verdicts, None if failed is None else Drop(failed.check, failed.reason, failed.raw))

    def _again(self, record: SampleRecord, changed: frozenset[str]) -> Sequence[Measured]:
        rethreshold = _rethresholded(changed)
        if not changed & _INPUT_SETTINGS:  # the same checks apply: only their thresholds moved
            return [Measured(decide_check(m.verdict.check, m.measure, self.config, m.verdict.reason), m.measure)
                    if m.verdict.check in rethreshold and m.measure is not None else m for m in record.checks]
        recorded = {mark.verdict.check: mark for mark in record.checks}
        item = CheckInput(question=record.question or "", answer=record.answer or "", context=record.context,
                          finish_reason=record.finish_reason)
        has_text = recorded["empty"].verdict.passed if "empty" in recorded else True
        out: list[Measured] = []
        for name in DETERMINISTIC_CHECKS:
            if name in NEEDS_TEXT and not has_text:
                continue
            mark: Measured | None = recorded.get(name)
            if changed & set(CHECK_INPUT_SETTINGS.get(name, ())):
                mark = measure_check(name, item, self.config)  # these need only question and answer
            elif mark is not None and mark.measure is not None and name in rethreshold:
                mark = Measured(decide_check(name, mark.measure, self.config, mark.verdict.reason), mark.measure)
            if mark is not None:
                out.append(mark)
        return out


def curation_steps(kind: str, config: CriticConfig, judges: Judges, source: JudgmentSource) -> tuple[CurationStep, ...]:
    """The kind's declared judge and check steps, in order, as curation steps."""
    steps: list[CurationStep] = []
    for step in pipeline_for(kind).curation():
        if step.role == JUDGE:
            steps.append(JudgeStep(step, config, judges, source))
        elif step.role == CHECKS:
            steps.append(ChecksStep(step, config))
    return tuple(steps)


@dataclass(frozen=True)
class Walk:
    """A record's way through the steps: the verdicts it received, the judges it went through, its drop."""

    verdicts: tuple[Verdict, ...]
    judges: tuple[JudgeUse, ...]
    drop: Drop | None

    @property
    def judged_as_recorded(self) -> bool:
        """Every judge of the walk is a request the unit made."""
        return all(judge.recorded for judge in self.judges)


def walk(record: SampleRecord, steps: tuple[CurationStep, ...], unit: UnitInfo, leaf: LeafInfo) -> Walk:
    """Take one candidate through the steps; the first drop ends it. A step after the gates needs the
    candidate's answer."""
    answer_stages = _answer_stages(record.kind)
    verdicts: list[Verdict] = []
    judges: list[JudgeUse] = []
    for step in steps:
        if not step.declaration.gate and record.answer is None:
            drop = record.drop
            if drop is not None and drop.stage in answer_stages:
                # The answer's request failed in the unit: dropped as the unit dropped it (a teacher failure
                # is retried by `labgen generate`, a prompt that does not fit never succeeds).
                return Walk(tuple(verdicts), tuple(judges),
                            Drop(drop.stage, drop.reason, drop.raw, teacher_failure=drop.teacher_failure))
            raise NeedsGeneration("its answer was never generated")
        result = step.decide(record, unit, leaf)
        verdicts.extend(result.verdicts)
        if result.judge is not None:
            judges.append(result.judge)
        if result.drop is not None:
            return Walk(tuple(verdicts), tuple(judges), result.drop)
    return Walk(tuple(verdicts), tuple(judges), None)


@lru_cache(maxsize=64)
def _rethresholded(changed: frozenset[str]) -> frozenset[str]:
    """The checks whose verdicts these changed settings move by their threshold."""
    return frozenset(name for name, settings in CHECK_THRESHOLDS.items() if changed & set(settings))


@lru_cache(maxsize=None)
def _recorded_use(name: str) -> JudgeUse:
    """The judge as the unit asked it: its provenance is the record's own (labgen.curate.rows)."""
    return JudgeUse(name, {}, {}, (0, 0), recorded=True)


@lru_cache(maxsize=None)
def _answer_stages(kind: str) -> frozenset[str]:
    """The generate steps that give one candidate its answer."""
    return frozenset(s.name for s in pipeline_for(kind).steps if s.role == GENERATE and s.yields == ONE)
