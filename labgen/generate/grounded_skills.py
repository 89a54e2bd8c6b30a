"""Grounded skills: new contexts like the seeds' -> questions on each context -> judge_question ->
answer from the context -> checks -> judge_pair and judge_faithfulness (grounding) -> judge_safety.

Every context and every question proceeds on its own as soon as the step before it returns.
"""

from __future__ import annotations

import asyncio

from labgen.generate.filters import Candidate
from labgen.generate.parsing import parse_answer, parse_contexts, parse_list
from labgen.generate.unit_work import UnitWork


async def run_grounded_unit(work: UnitWork) -> None:
    unit = work.unit
    examples = work.skill_examples()
    for round_index in range(unit.max_rounds):
        if work.need() <= 0:
            return
        slot = (round_index,)
        counts = work.round_counts()  # what the round still needs, as contexts x questions on each
        contexts, questions = counts["grounded_contexts"], counts["grounded_questions"]
        completion = await work.ask("grounded_contexts",
                                    {"task_description": work.leaf.description, "seed_examples": examples,
                                     "focus": unit.focus, "count": contexts}, slot)
        if completion is None:
            continue
        # Items beyond the count asked are kept: they are paid for.
        parsed = parse_contexts(completion.text, truncated=completion.finish_reason == "length")
        if not work.record_parse("parse_contexts", slot, completion.text, found=len(parsed.items),
                                 unparsed=parsed.unparsed, what="contexts"):
            continue
        await asyncio.gather(*(_one_context(work, examples, (round_index, index), context, questions)
                               for index, context in enumerate(parsed.items)))


async def _one_context(work: UnitWork, examples: list[dict[str, str]], slot: tuple[int, ...], context: str,
                       questions: int) -> None:
    unit = work.unit
    completion = await work.ask("grounded_questions",
                                {"task_description": work.leaf.description, "seed_examples": examples,
                                 "context": context, "count": questions}, slot)
    if completion is None:
        return
    parsed = parse_list(completion.text, truncated=completion.finish_reason == "length")
    if not work.record_parse("parse_questions", slot, completion.text, found=len(parsed.items),
                             unparsed=parsed.unparsed, what="questions"):
        return
    candidates = []
    for index, question in enumerate(parsed.items):
        candidate = Candidate(slot=slot + (index,), seed_ids=unit.seed_ids, question=question, context=context)
        candidate.raw["grounded_questions"] = completion.text
        candidate.templates["grounded_contexts"] = work.template_ref("grounded_contexts")
        candidate.templates["grounded_questions"] = work.template_ref("grounded_questions")
        work.charge(candidate, completion, len(parsed.items))
        candidates.append(candidate)
    await asyncio.gather(*(_one_sample(work, candidate, examples) for candidate in candidates))


async def _one_sample(work: UnitWork, candidate: Candidate, examples: list[dict[str, str]]) -> None:
    pipeline = work.pipeline
    question, context = candidate.question or "", candidate.context or ""
    if not await work.run_steps(pipeline.after("grounded_questions"), candidate, finish_reason=None, prompt_text=""):
        return
    completion = await work.ask("grounded_response", {"task_description": work.leaf.description,
                                                      "seed_examples": examples, "context": context,
                                                      "question": question},
                                candidate.slot, candidate)
    if completion is None:
        return
    candidate.answer = parse_answer(completion.text)
    if await work.run_steps(pipeline.after("grounded_response"), candidate, finish_reason=completion.finish_reason,
                            prompt_text=question):
        work.keep(candidate)
