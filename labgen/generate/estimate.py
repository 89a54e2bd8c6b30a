"""Dry-run estimates: per leaf, how many teacher requests and tokens a run will spend, without a call.

Generation prompts are rendered exactly; the prompts of later stages (answers, judges) are rendered with
the leaf's longest seed example standing in for the teacher's output. One round is what a unit spends
when every candidate passes every judge; a unit runs at most max_rounds rounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labgen.generate.config import GenerateConfig
from labgen.generate.plan import LeafPlan
from labgen.prompts import get_template
from labgen.generate.pipelines import CHECKS, FAN_OUT, GENERATE, Step, pipeline_for, round_capacity, round_counts
from labgen.taxonomy.leaf import FREEFORM_SKILL, KNOWLEDGE


@dataclass(frozen=True)
class LeafEstimate:
    leaf: str
    kind: str
    units: int
    target: int
    requests_round: int  # requests of one round of every unit, every candidate passing
    requests_max: int  # with every unit using all its rounds
    prompt_tokens_round: int
    completion_tokens_round: int  # upper bound: max_tokens of every request
    prompt_tokens_max: int
    completion_tokens_max: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class _Tally:
    def __init__(self, count_tokens: Any, config: GenerateConfig) -> None:
        self.count_tokens = count_tokens
        self.config = config
        self.requests = 0
        self.prompt = 0
        self.completion = 0

    def step(self, step: Step, variables: dict[str, Any], times: int) -> None:
        from labgen.critic.judges import get_judge

        if step.role == GENERATE:
            messages = get_template(step.name).render(**variables)
            max_tokens = self.config.sampling(step.name).max_tokens
        else:
            judge = get_judge(step.name, self.config.critic)
            messages, max_tokens = judge.render(**variables), judge.params.max_tokens
        self.requests += times
        self.prompt += times * self.count_tokens(messages)
        self.completion += times * max_tokens


def _stand_ins(leaf: Any, unit: Any, examples: list[dict[str, str]]) -> dict[str, Any]:
    """Every variable a step may take, with the leaf's longest seed example standing in for outputs."""
    by_id = {s.id: s for s in leaf.seed_examples}
    longest = max(leaf.seed_examples, key=lambda s: len(s.qna[0].question + s.qna[0].answer + (s.context or "")))
    values: dict[str, Any] = {"task_description": leaf.description, "seed_examples": examples, "focus": unit.focus,
                              "question": longest.qna[0].question, "instruction": longest.qna[0].question,
                              "answer": longest.qna[0].answer, "context": longest.context or "",
                              "domain": leaf.description, "document_outline": leaf.document_outline or ""}
    if leaf.kind == FREEFORM_SKILL:
        values["context"] = None  # what judge_pair is given for a freeform pair
    if unit.chunk is not None and unit.knowledge_seed is not None:
        seed = by_id[unit.knowledge_seed]
        values.update(chunk=unit.chunk.text, context=unit.chunk.text, seed_context=seed.context or "",
                      seed_qna=[{"question": x.question, "answer": x.answer} for x in seed.qna],
                      question=seed.qna[0].question, answer=seed.qna[0].answer)
    return values


def estimate_leaf(plan: LeafPlan, config: GenerateConfig, count_tokens: Any) -> LeafEstimate:
    """Walk the kind's declared pipeline for one round of every unit: each step's requests are the number of
    candidates that reach it (fan-out steps multiply them by the count they ask for)."""
    leaf = plan.leaf
    tally = _Tally(count_tokens, config)
    by_id = {s.id: s for s in leaf.seed_examples}
    pipeline = pipeline_for(leaf.kind)
    max_rounds = 0
    for unit in plan.units:
        if leaf.kind == KNOWLEDGE and (unit.chunk is None or unit.knowledge_seed is None):
            continue
        max_rounds = max(max_rounds, unit.max_rounds)
        examples = [{"id": s, "question": by_id[s].qna[0].question, "answer": by_id[s].qna[0].answer,
                     "context": by_id[s].context or ""} for s in unit.seed_ids]
        values = _stand_ins(leaf, unit, examples)
        # The first round asks for what the unit needs, as the stage modules do (round_counts).
        counts = round_counts(leaf.kind, unit, min(unit.target, round_capacity(leaf.kind, unit, config.answer_styles)),
                              config.answer_styles)
        for branch in pipeline.branches(config.answer_styles):
            reaching = 1
            for step in branch:
                if step.role == CHECKS:
                    continue
                count = counts.get(step.name)
                tally.step(step, {name: count if name == "count" else values[name] for name in step.inputs},
                           reaching)
                if step.yields == FAN_OUT and count:
                    reaching *= count
    max_rounds = max_rounds or 1
    return LeafEstimate(leaf=leaf.path, kind=leaf.kind, units=len(plan.units), target=plan.target,
                        requests_round=tally.requests, requests_max=tally.requests * max_rounds,
                        prompt_tokens_round=tally.prompt, completion_tokens_round=tally.completion,
                        prompt_tokens_max=tally.prompt * max_rounds,
                        completion_tokens_max=tally.completion * max_rounds)


def dry_run(taxonomy: Any, teacher: Any, config: GenerateConfig | None = None, *,
            changed_base: str | None = None, skip_invalid: bool = False) -> list[LeafEstimate]:
    """Validate, plan and estimate every selected leaf (the valid ones with skip_invalid); no teacher call."""
    from pathlib import Path

    from labgen.generate.runner import plan_run
    from labgen.generate.selection import select_leaves

    config = (config or GenerateConfig()).validated()
    selection = select_leaves(Path(taxonomy), changed_base=changed_base, skip_invalid=skip_invalid)
    plans = plan_run(selection.leaves, Path(taxonomy), teacher, config)
    return [estimate_leaf(plan, config, teacher.count_tokens) for plan in plans]
