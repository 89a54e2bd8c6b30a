"""Planning a run: the work units of each leaf, and dry-run estimates of requests and tokens.

Units are laid out deterministically from the run seed: which seed examples a skill unit's prompts show
(and which it models most closely), which (chunk, seed example) pair a knowledge unit covers.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from labgen.generate.chunking import Chunk, chunk_document
from labgen.generate.pipelines import pipeline_for
from labgen.generate.config import GenerateConfig, LeafScale
from labgen.generate.units import WorkUnit, unit_address, unit_request_key
from labgen.hashing import content_hash
from labgen.prompts import get_template
from labgen.taxonomy.leaf import FREEFORM_SKILL, GROUNDED_SKILL, KNOWLEDGE, Document, Leaf, SeedExample

DEFAULT_CONTEXT_WINDOW = 4096
_MARGIN_TOKENS = 48  # chat-template overhead the estimate may miss


@dataclass(frozen=True)
class LeafPlan:
    leaf: Leaf
    scale: LeafScale
    units: tuple[WorkUnit, ...]
    target: int  # kept samples wanted for the whole leaf
    notes: tuple[str, ...] = ()
    per_unit: int = 1  # kept samples one unit aims for
    make_unit: Callable[[int, int], WorkUnit] | None = None  # (index, target) -> the leaf's unit at that index

    def extra_units(self, first_index: int, wanted: int) -> tuple[WorkUnit, ...]:
        """Units after the planned ones (indices from `first_index`, laid out like them) aiming for `wanted`
        more kept samples: the top-up when curation and dedup leave the leaf short of its target."""
        if self.make_unit is None or wanted <= 0:
            return ()
        from labgen.generate.top_up import pass_targets

        return tuple(self.make_unit(first_index + k, target)
                     for k, target in enumerate(pass_targets(wanted, self.per_unit)))


def teacher_context_window(teacher: Any, config: GenerateConfig) -> int:
    """The context window the prompts must fit: the configured one, the teacher's, or 4096."""
    if config.context_window:
        return int(config.context_window)
    for name in ("context_window", "n_ctx"):
        value = getattr(teacher, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return DEFAULT_CONTEXT_WINDOW


def template_refs(kind: str) -> dict[str, str]:
    """The sha256 of every template the kind's declared pipeline uses (generation and judges)."""
    pipeline = pipeline_for(kind)
    return {step.name: get_template(step.name).sha256 for step in pipeline.steps if step.template}


def _rng(seed: int, *parts: object) -> random.Random:
    return random.Random(int(content_hash([seed, *[str(p) for p in parts]])[:16], 16))


def _skill_example(seed: SeedExample) -> dict[str, str]:
    return {"id": seed.id, "question": seed.qna[0].question, "answer": seed.qna[0].answer,
            "context": seed.context or ""}


def fit_seed_count(leaf: Leaf, config: GenerateConfig, window: int, count_tokens: Any) -> int:
    """How many seed examples a skill prompt can show so the largest stage prompt and its output fit."""
    seeds = list(leaf.seed_examples)
    count = max(1, min(config.prompt_seeds, len(seeds)))
    longest_first = sorted(seeds, key=lambda s: -len(s.qna[0].question + s.qna[0].answer + (s.context or "")))
    while count > 1:
        examples = [_skill_example(s) for s in longest_first[:count]]
        if max(_skill_prompt_tokens(leaf, config, examples, count_tokens)) <= window:
            break
        count -= 1
    return count


def _skill_prompt_tokens(leaf: Leaf, config: GenerateConfig, examples: list[dict[str, str]],
                         count_tokens: Any) -> list[int]:
    """Prompt plus max output tokens of each skill stage, with the longest seed standing in for outputs."""
    longest = max(examples, key=lambda e: len(e["question"]) + len(e["answer"]) + len(e["context"]))
    task = leaf.description
    out = []
    for stage, variables in _skill_stage_variables(leaf.kind, task, examples, longest, config).items():
        messages = get_template(stage).render(**variables)
        out.append(count_tokens(messages) + config.sampling(stage).max_tokens + _MARGIN_TOKENS)
    return out


def _skill_stage_variables(kind: str, task: str, examples: list[dict[str, str]], sample: dict[str, str],
                           config: GenerateConfig) -> dict[str, dict[str, Any]]:
    if kind == FREEFORM_SKILL:
        return {"freeform_instructions": {"task_description": task, "seed_examples": examples, "focus": 1,
                                          "count": config.per_request},
                "freeform_response": {"task_description": task, "seed_examples": examples,
                                      "instruction": sample["question"]}}
    return {"grounded_contexts": {"task_description": task, "seed_examples": examples, "focus": 1,
                                  "count": config.contexts_per_round},
            "grounded_questions": {"task_description": task, "seed_examples": examples,
                                   "context": sample["context"], "count": config.questions_per_context},
            "grounded_response": {"task_description": task, "seed_examples": examples,
                                  "context": sample["context"], "question": sample["question"]}}


def knowledge_chunk_tokens(leaf: Leaf, config: GenerateConfig, window: int, count_tokens: Any) -> int:
    """Chunk size so that chunk + the longest knowledge prompt + its output fit the window."""
    budget = config.chunk_tokens
    for seed in leaf.seed_examples:
        for style in config.answer_styles:
            stage = f"knowledge_qa_{style}"
            messages = get_template(stage).render(**_knowledge_variables(leaf, seed, "", config.per_request))
            room = window - count_tokens(messages) - config.sampling(stage).max_tokens - _MARGIN_TOKENS
            budget = min(budget, room)
    return budget


def _knowledge_variables(leaf: Leaf, seed: SeedExample, chunk: str, count: int) -> dict[str, Any]:
    return {"domain": leaf.description, "document_outline": leaf.document_outline or "",
            "seed_context": seed.context or "", "seed_qna": [{"question": q.question, "answer": q.answer}
                                                             for q in seed.qna],
            "chunk": chunk, "count": count}


def plan_leaf(leaf: Leaf, config: GenerateConfig, *, teacher_identity: dict[str, Any], window: int,
              count_tokens: Any, documents: list[Document] | None = None) -> LeafPlan:
    """The leaf's work units, in order. Knowledge leaves need their resolved documents."""
    scale = config.leaf_scale(leaf.path)
    seeds = list(leaf.seed_examples)
    target = max(1, math.ceil(scale.target_per_seed * len(seeds)))
    templates = template_refs(leaf.kind)
    parameters = {"config": config.fingerprint(), "scale": scale.__dict__}
    rng = _rng(config.seed, leaf.path, leaf.content_hash)
    notes: list[str] = []

    def unit(index: int, unit_target: int, seed_ids: tuple[str, ...], focus: int, chunk: Chunk | None = None,
             knowledge_seed: str | None = None) -> WorkUnit:
        chunk_sha = chunk.sha256 if chunk is not None else None
        unit_id = unit_address(leaf_hash=leaf.content_hash, kind=leaf.kind, index=index, seed_ids=seed_ids,
                               focus=focus, templates=templates, teacher=teacher_identity, parameters=parameters,
                               seed=config.seed, chunk_sha256=chunk_sha, knowledge_seed=knowledge_seed,
                               target=max(1, unit_target))
        return WorkUnit(leaf_path=leaf.path, kind=leaf.kind, index=index, id=unit_id, seed_ids=seed_ids,
                        focus=focus, target=max(1, unit_target), max_rounds=scale.max_rounds,
                        per_request=scale.per_request, contexts_per_round=scale.contexts_per_round,
                        questions_per_context=scale.questions_per_context, chunk=chunk,
                        knowledge_seed=knowledge_seed, templates=tuple(sorted(templates)),
                        request_key=unit_request_key(leaf_hash=leaf.content_hash, kind=leaf.kind, index=index,
                                                     seed_ids=seed_ids, focus=focus, chunk_sha256=chunk_sha,
                                                     knowledge_seed=knowledge_seed))

    if leaf.kind == KNOWLEDGE:
        chunk_tokens = knowledge_chunk_tokens(leaf, config, window, count_tokens)
        if chunk_tokens < 64:
            notes.append(f"the knowledge prompt leaves only {chunk_tokens} tokens for a chunk in a "
                         f"{window}-token window")
            chunk_tokens = 64
        chunks: list[Chunk] = []
        for document in documents or []:
            chunks.extend(chunk_document(document.text, document.source, max_tokens=chunk_tokens,
                                         overlap_tokens=min(config.chunk_overlap_tokens, chunk_tokens // 4)))
        if not chunks:
            return LeafPlan(leaf, scale, (), target, tuple(notes + ["no document text to chunk"]))
        chunk_order = list(range(len(chunks)))
        rng.shuffle(chunk_order)
        seed_offset = rng.randrange(len(seeds))

        def make(index: int, unit_target: int) -> WorkUnit:
            seed = seeds[(seed_offset + index) % len(seeds)]
            return unit(index, unit_target, (seed.id,), 1, chunk=chunks[chunk_order[index % len(chunks)]],
                        knowledge_seed=seed.id)

        per_unit = scale.per_request * len(config.answer_styles)
    else:
        shown = fit_seed_count(leaf, config, window, count_tokens)
        if shown < min(config.prompt_seeds, len(seeds)):
            notes.append(f"prompts show {shown} seed examples (not {min(config.prompt_seeds, len(seeds))}) "
                         f"to fit the {window}-token context window")
        offset = rng.randrange(len(seeds))

        def make(index: int, unit_target: int) -> WorkUnit:
            if shown >= len(seeds):
                window_ids = tuple(s.id for s in seeds)  # every seed, in file order: a byte-identical prefix
                focus = (offset + index) % len(seeds) + 1
            else:
                start = (offset + index * shown) % len(seeds)
                window_ids = tuple(seeds[(start + k) % len(seeds)].id for k in range(shown))
                focus = index % shown + 1
            return unit(index, unit_target, window_ids, focus)

        per_unit = scale.per_request
    count = math.ceil(target / per_unit)
    if config.max_units_per_leaf:
        count = min(count, config.max_units_per_leaf)
    units = tuple(make(index, min(per_unit, target - index * per_unit) if index * per_unit < target else per_unit)
                  for index in range(count))
    return LeafPlan(leaf, scale, units, target, tuple(notes), per_unit=per_unit, make_unit=make)
