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
from labgen.taxonomy.leaf import FREEFORM_SKILL, GROUNDED_SKILL, KNOWLEDGE


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

    def stage(self, stage: str, variables: dict[str, Any], times: int = 1) -> None:
        messages = get_template(stage).render(**variables)
        self.requests += times
        self.prompt += times * self.count_tokens(messages)
        self.completion += times * self.config.sampling(stage).max_tokens

    def judge(self, name: str, variables: dict[str, Any], times: int = 1) -> None:
        from labgen.critic.judges import get_judge

        judge = get_judge(name, self.config.critic)
        self.requests += times
        self.prompt += times * self.count_tokens(judge.render(**variables))
        self.completion += times * judge.params.max_tokens


def estimate_leaf(plan: LeafPlan, config: GenerateConfig, count_tokens: Any) -> LeafEstimate:
    leaf = plan.leaf
    tally = _Tally(count_tokens, config)
    by_id = {s.id: s for s in leaf.seed_examples}
    longest = max(leaf.seed_examples, key=lambda s: len(s.qna[0].question + s.qna[0].answer + (s.context or "")))
    question, answer = longest.qna[0].question, longest.qna[0].answer
    task = leaf.description
    max_rounds = 0
    for unit in plan.units:
        max_rounds = max(max_rounds, unit.max_rounds)
        examples = [{"id": s, "question": by_id[s].qna[0].question, "answer": by_id[s].qna[0].answer,
                     "context": by_id[s].context or ""} for s in unit.seed_ids]
        if leaf.kind == FREEFORM_SKILL:
            n = unit.per_request
            tally.stage("freeform_instructions", {"task_description": task, "seed_examples": examples,
                                                  "focus": unit.focus, "count": n})
            tally.judge("judge_instruction", {"task_description": task, "seed_examples": examples,
                                              "question": question}, n)
            tally.stage("freeform_response", {"task_description": task, "seed_examples": examples,
                                              "instruction": question}, n)
            tally.judge("judge_pair", {"task_description": task, "question": question, "answer": answer,
                                       "context": None}, n)
            tally.judge("judge_safety", {"question": question, "answer": answer}, n)
        elif leaf.kind == GROUNDED_SKILL:
            c, q = unit.contexts_per_round, unit.questions_per_context
            context = longest.context or ""
            tally.stage("grounded_contexts", {"task_description": task, "seed_examples": examples,
                                              "focus": unit.focus, "count": c})
            tally.stage("grounded_questions", {"task_description": task, "seed_examples": examples,
                                               "context": context, "count": q}, c)
            tally.judge("judge_question", {"task_description": task, "context": context, "question": question}, c * q)
            tally.stage("grounded_response", {"task_description": task, "seed_examples": examples,
                                              "context": context, "question": question}, c * q)
            tally.judge("judge_pair", {"task_description": task, "question": question, "answer": answer,
                                       "context": context}, c * q)
            tally.judge("judge_faithfulness", {"context": context, "question": question, "answer": answer}, c * q)
            tally.judge("judge_safety", {"question": question, "answer": answer}, c * q)
        elif leaf.kind == KNOWLEDGE and unit.chunk is not None and unit.knowledge_seed is not None:
            seed = by_id[unit.knowledge_seed]
            pair = seed.qna[0]
            variables = {"domain": task, "document_outline": leaf.document_outline or "",
                         "seed_context": seed.context or "",
                         "seed_qna": [{"question": x.question, "answer": x.answer} for x in seed.qna],
                         "chunk": unit.chunk.text, "count": unit.per_request}
            n = unit.per_request
            for style in config.answer_styles:
                tally.stage(f"knowledge_qa_{style}", variables)
                tally.judge("judge_standalone", {"question": pair.question}, n)
                tally.judge("judge_relevance", {"context": unit.chunk.text, "question": pair.question,
                                                "answer": pair.answer}, n)
                tally.judge("judge_faithfulness", {"context": unit.chunk.text, "question": pair.question,
                                                   "answer": pair.answer}, n)
                tally.judge("judge_safety", {"question": pair.question, "answer": pair.answer}, n)
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
