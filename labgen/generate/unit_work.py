"""One work unit in flight: renders a stage's template, asks the teacher, runs judges and checks.

Stage modules (freeform_skills, grounded_skills, knowledge) describe the order of steps; this class does
each step's bookkeeping the same way for all of them: per-request seeds derived from the unit, token
accounting on the candidate, teacher failures and verdicts handed to the Ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from labgen.critic.checks import measure_checks
from labgen.critic.config import CriticConfig
from labgen.critic.judges import get_judge
from labgen.curate.record import PERMANENT, TRANSIENT, JudgeMark
from labgen.errors import PipelineError
from labgen.generate.config import GenerateConfig
from labgen.generate.critic_link import check_input
from labgen.generate.filters import Candidate, Ledger, Slot
from labgen.generate.parsing import Unparsed
from labgen.generate.pipelines import CHECKS, Step, next_round_counts, pipeline_for
from labgen.generate.units import WorkUnit, request_seed
from labgen.hashing import canonical_json
from labgen.prompts import get_template
from labgen.records import Verdict
from labgen.store.answers import request_key
from labgen.taxonomy.leaf import Leaf
from labgen.teachers.base import Accounting, ChatRequest, Completion, Teacher

if TYPE_CHECKING:
    from labgen.generate.check_process import CheckProcess


@dataclass(frozen=True)
class RunInfo:
    """What every sample of a run shares in its provenance."""

    seed: int
    taxonomy_commit: str | None
    teacher: dict[str, Any]

    @cached_property
    def teacher_json(self) -> str:
        """The teacher's identity in canonical JSON, for the store keys of the run's judgments."""
        return canonical_json(self.teacher)


class UnitWork:
    def __init__(self, *, teacher: Teacher, config: GenerateConfig, leaf: Leaf, unit: WorkUnit, run: RunInfo,
                 on_drop: Callable[[], None] | None = None,
                 on_completion: Callable[[Completion], None] | None = None,
                 checks: CheckProcess | None = None) -> None:
        self.teacher = teacher
        self.checks = checks  # where the deterministic checks run (None: here)
        self.config = config
        self.leaf = leaf
        self.unit = unit
        self.run = run
        self.ledger = Ledger()
        self.requests = 0
        self.accounting = Accounting()
        self._on_drop = on_drop or (lambda: None)
        self._on_completion = on_completion
        self.asks: list[dict[str, int]] = []  # each round's counts, as asked (curate checks a fresh run's)
        self.pipeline = pipeline_for(leaf.kind)
        self._declared = self.pipeline.names()
        by_id = {seed.id: seed for seed in leaf.seed_examples}
        self.prompt_seeds = [by_id[seed_id] for seed_id in unit.seed_ids]
        self.seed_texts = tuple(f"{qna.question}\n{qna.answer}" for seed in leaf.seed_examples for qna in seed.qna)

    # ----- examples as the templates take them -------------------------------------------------
    def skill_examples(self) -> list[dict[str, str]]:
        return [{"id": s.id, "question": s.qna[0].question, "answer": s.qna[0].answer, "context": s.context or ""}
                for s in self.prompt_seeds]

    # ----- how much to ask for ----------------------------------------------------------------
    def need(self) -> int:
        """Kept samples the unit still lacks."""
        return self.unit.target - self.ledger.kept_count

    def round_counts(self) -> dict[str, int]:
        """The `count` of each fan-out step of the next round: what the unit still needs at the yield its
        own rounds have shown (at most twice the need, never more than a round holds). Depends only on
        this unit's results, so a rerun asks the same."""
        counts = next_round_counts(self.leaf.kind, self.unit, self.config.answer_styles,
                                   kept=self.ledger.kept_count, tried=self.ledger.kept_count + len(self.ledger.drops))
        self.asks.append(counts)
        return counts

    # ----- teacher calls --------------------------------------------------------------------
    async def ask(self, stage: str, variables: dict[str, Any], slot: Slot,
                  candidate: Candidate | None = None) -> Completion | None:
        """Render the stage's template, ask the teacher; None (and a reject) when the request failed."""
        self._require_declared(stage)
        template = get_template(stage)
        messages = template.render(**variables)
        params = self.config.sampling(stage, seed=request_seed(self.run.seed, self._seed_key, stage, *slot),
                                      count=variables.get("count"))
        completion = await self._complete(ChatRequest(messages=messages, params=params, stage=stage,
                                                      tag=(self.unit.id, slot)))
        if candidate is not None:
            self.charge(candidate, completion)
            candidate.templates[stage] = template.ref()
            candidate.sampling[stage] = _sampling_record(params)
        if not completion.ok:
            if _permanent(completion):
                self.ledger.drop(slot, stage, f"prompt too long: {completion.error}", raw=None, candidate=candidate)
            else:
                self.ledger.teacher_failed(slot, stage, completion.error or "no output", candidate)
            self._on_drop()
            return None
        if candidate is not None:
            candidate.raw[stage] = completion.text
        return completion

    async def judge(self, name: str, candidate: Candidate, **fields: Any) -> bool:
        """Run one teacher judge on the candidate; the Ledger keeps or drops it on the verdict."""
        self._require_declared(name)
        judge = get_judge(name, self.critic_config)
        params = replace(judge.params, seed=request_seed(self.run.seed, self._seed_key, name,
                                                                 *candidate.slot))
        request = ChatRequest(messages=judge.render(**fields), params=params, stage=name,
                              tag=(self.unit.id, candidate.slot))
        completion = await self._complete(request)
        self.charge(candidate, completion)
        candidate.templates[name] = judge.template.ref()
        candidate.sampling[name] = _sampling_record(params)
        if completion.error is not None and not _permanent(completion):
            self.ledger.teacher_failures += 1
        verdict = judge.parse(completion)
        failure = None if completion.ok else PERMANENT if _permanent(completion) else TRANSIENT
        # The record keeps the request's store key, so curation re-reads this judgment with one lookup.
        candidate.judges[name] = JudgeMark(request_key(request, self.run.teacher, identity_json=self.run.teacher_json),
                                           verdict, failure)
        return self._decide(candidate, [verdict], stage=name)

    async def run_steps(self, steps: tuple[Step, ...], candidate: Candidate, *, finish_reason: str | None,
                        prompt_text: str) -> bool:
        """Take the candidate through declared judge and check steps in order; False at the first drop."""
        for step in steps:
            if step.role == CHECKS:
                passed = await self.check(candidate, finish_reason=finish_reason, prompt_text=prompt_text)
            else:
                passed = await self.judge(step.name, candidate, **self.step_inputs(step, candidate))
            if not passed:
                return False
        return True

    def step_inputs(self, step: Step, candidate: Candidate) -> dict[str, Any]:
        """The variables a declared judge step takes, from the leaf and the candidate's fields."""
        values: dict[str, Any] = {"task_description": self.leaf.description, "question": candidate.question or "",
                                  "answer": candidate.answer or "", "context": candidate.context}
        if "seed_examples" in step.inputs:
            values["seed_examples"] = self.skill_examples()
        if step.name != "judge_pair" and values["context"] is None:
            values["context"] = ""
        return {name: values[name] for name in step.inputs}

    async def check(self, candidate: Candidate, *, finish_reason: str | None, prompt_text: str) -> bool:
        """The critic's deterministic checks (no tokens) on a candidate pair, before any judge is paid: in
        the run's check process when it has one (check_process.py), else here."""
        item = check_input(question=candidate.question or "", answer=candidate.answer or "",
                           context=candidate.context, finish_reason=finish_reason, prompt_text=prompt_text,
                           seed_texts=self.seed_texts)
        config = self.critic_config
        marks = measure_checks(item, config) if self.checks is None else await self.checks.measure(item, config)
        candidate.finish_reason = finish_reason
        candidate.checks = marks
        return self._decide(candidate, [mark.verdict for mark in marks])

    def unparsed(self, stage: str, items: tuple[Unparsed, ...], slot: Slot, *, raw: str,
                 seed_ids: tuple[str, ...] | None = None) -> None:
        """Pieces of a generation the parser could not use: each one a reject with the raw output."""
        for position, item in enumerate(items):
            candidate = Candidate(slot=slot + (900 + position,), seed_ids=seed_ids or self.unit.seed_ids,
                                  question=item.text or None)
            self.ledger.drop(candidate.slot, stage, item.reason, raw=raw, candidate=candidate)
            self._on_drop()

    def record_parse(self, stage: str, slot: Slot, raw: str, *, found: int, unparsed: tuple[Unparsed, ...],
                     what: str) -> bool:
        """Reject each unusable piece of a generation (and the whole output when nothing at all was
        found). Returns whether any item was found."""
        self.unparsed(stage, unparsed, slot, raw=raw)
        if not found and not unparsed:
            self.nothing_parsed(stage, slot, raw, what)
        return found > 0

    def nothing_parsed(self, stage: str, slot: Slot, raw: str, what: str) -> None:
        self.ledger.drop(slot + (999,), stage, f"no {what} found in the output", raw=raw,
                         candidate=Candidate(slot=slot + (999,), seed_ids=self.unit.seed_ids))
        self._on_drop()

    @staticmethod
    def template_ref(template_id: str) -> dict[str, str]:
        """What provenance records of a generation template: its id and sha256."""
        return get_template(template_id).ref()

    def keep(self, candidate: Candidate) -> None:
        self.ledger.keep(candidate)

    def charge(self, candidate: Candidate, completion: Completion, share: int = 1) -> None:
        share = max(1, share)
        prompt, completion_tokens = completion.prompt_tokens // share, completion.completion_tokens // share
        candidate.prompt_tokens += prompt
        candidate.completion_tokens += completion_tokens
        before = candidate.stage_tokens.get(completion.request.stage, (0, 0))
        candidate.stage_tokens[completion.request.stage] = (before[0] + prompt, before[1] + completion_tokens)

    @property
    def _seed_key(self) -> str:
        return self.unit.request_key or self.unit.id

    @property
    def critic_config(self) -> CriticConfig:
        return self.config.critic

    async def _complete(self, request: ChatRequest) -> Completion:
        self.requests += 1
        completion = await self.teacher.complete(request)
        self.accounting.record(completion)
        if self._on_completion is not None:
            self._on_completion(completion)
        return completion

    def _require_declared(self, name: str) -> None:
        if name not in self._declared:
            raise PipelineError(f"the {self.leaf.kind} pipeline does not declare the step {name!r}",
                                hint="add it to labgen/generate/pipelines.py, or use a declared step")

    def _decide(self, candidate: Candidate, verdicts: list[Verdict], *, stage: str | None = None) -> bool:
        passed = self.ledger.decide(candidate, verdicts, stage=stage)
        if not passed:
            self._on_drop()
        return passed


def _permanent(completion: Completion) -> bool:
    """A failure a retry cannot fix (the prompt does not fit the window): a reject, not an unfinished unit."""
    return getattr(completion, "error_kind", None) == "context_length"


def _sampling_record(params: Any) -> dict[str, Any]:
    return {"temperature": params.temperature, "top_p": params.top_p, "max_tokens": params.max_tokens,
            "seed": params.seed}
