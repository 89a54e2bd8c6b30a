"""Each leaf kind's pipeline, declared once as data: an ordered list of steps, each naming its template,
parser, judges' inputs and the fields it reads and writes.

Everything that needs to know a kind's stages derives from here: the stage modules run the judges and
checks in this order (`UnitWork.run_steps`), and refuse a template or judge the declaration does not
name; the plan's unit addresses hash the declared templates; `--dry-run` estimates count the declared
requests; `labgen critique` runs the declared critique steps; curation re-applies the declared checks
and judges. (The style is datatrove's PipelineStep and distilabel's task contract: a step says what it
takes and what it gives.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from labgen.taxonomy.leaf import FREEFORM_SKILL, GROUNDED_SKILL, KNOWLEDGE

GENERATE = "generate"  # a teacher call whose output is parsed into fields or new candidates
JUDGE = "judge"  # a teacher judgment on a candidate: keep or drop
CHECKS = "checks"  # the critic's deterministic checks (no tokens)

# How many candidates one request of a step yields: one per request, or a list fanned out.
ONE = "one"
FAN_OUT = "fan_out"


@dataclass(frozen=True)
class Step:
    name: str  # the template id of generate and judge steps; "checks" for the deterministic checks
    role: str  # GENERATE, JUDGE or CHECKS
    inputs: tuple[str, ...]  # the variables the step's template takes (checks: the fields they read)
    outputs: tuple[str, ...] = ()  # the candidate fields a generate step writes
    parser: str | None = None  # generate steps: "list", "contexts", "qa_pairs" or "answer"
    yields: str = ONE  # FAN_OUT: one request gives several candidates
    gate: bool = False  # a judge that runs before the answer is paid for
    answer_style: str | None = None  # knowledge: the style of answer the step asks for

    @property
    def template(self) -> str | None:
        return None if self.role == CHECKS else self.name


@dataclass(frozen=True)
class Pipeline:
    kind: str
    steps: tuple[Step, ...]

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(f"{self.kind} declares no step {name!r}")

    def names(self) -> frozenset[str]:
        return frozenset(step.name for step in self.steps)

    def judges(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.steps if s.role == JUDGE)

    def after(self, name: str) -> tuple[Step, ...]:
        """The judge and check steps that follow step `name` until the next generate step (alternatives of
        `name`, such as the other knowledge answer style, are skipped): what a candidate goes through once
        `name` has given it its fields."""
        index = self.steps.index(self.step(name))
        out = []
        for step in self.steps[index + 1:]:
            if step.role == GENERATE and step.answer_style is not None and self.steps[index].answer_style:
                continue
            if step.role == GENERATE:
                break
            out.append(step)
        return tuple(out)

    def branches(self, answer_styles: tuple[str, ...] | None = None) -> tuple[tuple[Step, ...], ...]:
        """The step sequences one round runs: one for skills; one per answer style for knowledge."""
        alternatives = [s for s in self.steps if s.answer_style is not None
                        and (answer_styles is None or s.answer_style in answer_styles)]
        if not alternatives:
            return (self.steps,)
        return tuple((step,) + self.after(step.name) for step in alternatives)

    def curation(self) -> tuple[Step, ...]:
        """Every judge and check step, in order: what curation re-applies to a candidate."""
        return tuple(s for s in self.steps if s.role != GENERATE)


_SEEDS = ("task_description", "seed_examples")
_PAIR = ("question", "answer")
_CHECK_INPUTS = ("question", "answer", "context", "finish_reason", "prompt_text")

FREEFORM_PIPELINE = Pipeline(FREEFORM_SKILL, (
    Step("freeform_instructions", GENERATE, _SEEDS + ("focus", "count"), ("question",), parser="list",
         yields=FAN_OUT),
    Step("judge_instruction", JUDGE, _SEEDS + ("question",), gate=True),
    Step("freeform_response", GENERATE, _SEEDS + ("instruction",), ("answer",), parser="answer"),
    Step("checks", CHECKS, _CHECK_INPUTS),
    Step("judge_pair", JUDGE, ("task_description", "question", "answer", "context")),
    Step("judge_safety", JUDGE, _PAIR),
))

GROUNDED_PIPELINE = Pipeline(GROUNDED_SKILL, (
    Step("grounded_contexts", GENERATE, _SEEDS + ("focus", "count"), ("context",), parser="contexts",
         yields=FAN_OUT),
    Step("grounded_questions", GENERATE, _SEEDS + ("context", "count"), ("question",), parser="list",
         yields=FAN_OUT),
    Step("judge_question", JUDGE, ("task_description", "context", "question"), gate=True),
    Step("grounded_response", GENERATE, _SEEDS + ("context", "question"), ("answer",), parser="answer"),
    Step("checks", CHECKS, _CHECK_INPUTS),
    Step("judge_pair", JUDGE, ("task_description", "question", "answer", "context")),
    Step("judge_faithfulness", JUDGE, ("context",) + _PAIR),
    Step("judge_safety", JUDGE, _PAIR),
))

_KNOWLEDGE_INPUTS = ("domain", "document_outline", "seed_context", "seed_qna", "chunk", "count")
_KNOWLEDGE_CURATION = (
    Step("checks", CHECKS, _CHECK_INPUTS),
    Step("judge_standalone", JUDGE, ("question",)),
    Step("judge_relevance", JUDGE, ("context",) + _PAIR),
    Step("judge_faithfulness", JUDGE, ("context",) + _PAIR),
    Step("judge_safety", JUDGE, _PAIR),
)
KNOWLEDGE_PIPELINE = Pipeline(KNOWLEDGE, (
    Step("knowledge_qa_short", GENERATE, _KNOWLEDGE_INPUTS, ("question", "answer", "context"), parser="qa_pairs",
         yields=FAN_OUT, answer_style="short"),
    Step("knowledge_qa_long", GENERATE, _KNOWLEDGE_INPUTS, ("question", "answer", "context"), parser="qa_pairs",
         yields=FAN_OUT, answer_style="long"),
) + _KNOWLEDGE_CURATION)

# `labgen critique`: any question-answer row; the context judges run only on rows with a context.
CRITIQUE_CONTEXT_JUDGES = ("judge_faithfulness", "judge_relevance")
CRITIQUE_PIPELINE = Pipeline("critique", (
    Step("checks", CHECKS, _CHECK_INPUTS),
    Step("judge_faithfulness", JUDGE, ("context",) + _PAIR),
    Step("judge_relevance", JUDGE, ("context",) + _PAIR),
    Step("judge_standalone", JUDGE, ("question",)),
    Step("judge_pair", JUDGE, ("task_description", "question", "answer", "context")),
    Step("judge_safety", JUDGE, _PAIR),
))

PIPELINES: dict[str, Pipeline] = {p.kind: p for p in (FREEFORM_PIPELINE, GROUNDED_PIPELINE, KNOWLEDGE_PIPELINE)}


def round_counts(kind: str, unit: Any, wanted: int, answer_styles: tuple[str, ...] = ("short", "long")) -> dict[str, int]:
    """The `count` each fan-out step of one round asks for, so the round yields about `wanted` items
    (grounded: contexts x questions on each; knowledge: spread over the answer styles)."""
    if kind == GROUNDED_SKILL:
        contexts = min(unit.contexts_per_round, math.ceil(wanted / unit.questions_per_context))
        return {"grounded_contexts": contexts,
                "grounded_questions": min(unit.questions_per_context, math.ceil(wanted / contexts))}
    if kind == KNOWLEDGE:
        per_style = min(unit.per_request, math.ceil(wanted / max(1, len(answer_styles))))
        return {f"knowledge_qa_{style}": per_style for style in answer_styles}
    return {"freeform_instructions": min(unit.per_request, wanted)}


def round_capacity(kind: str, unit: Any, answer_styles: tuple[str, ...] = ("short", "long")) -> int:
    """The most items one round of the unit may ask for."""
    if kind == GROUNDED_SKILL:
        return unit.contexts_per_round * unit.questions_per_context
    if kind == KNOWLEDGE:
        return unit.per_request * max(1, len(answer_styles))
    return unit.per_request


def next_round_counts(kind: str, unit: Any, answer_styles: tuple[str, ...], *, kept: int, tried: int) -> dict[str, int]:
    """What a unit's next round asks for: what it still needs (its target less `kept`) at the yield its
    earlier rounds showed (`kept` of `tried` candidates; at most twice the need), never more than a round
    holds. Depends only on the unit's own decisions, so a rerun asks the same, and curate can tell whether
    a fresh run with other settings would."""
    rate = max(0.5, kept / tried) if tried else 1.0
    most = round_capacity(kind, unit, answer_styles)
    return round_counts(kind, unit, max(1, min(most, math.ceil((unit.target - kept) / rate))), answer_styles)


def pipeline_for(kind: str) -> Pipeline:
    """The declared pipeline of a leaf kind (freeform skill, grounded skill, knowledge)."""
    return PIPELINES[kind]
