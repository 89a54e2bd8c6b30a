"""Freeform skills: new instructions from the leaf's seeds -> judge_instruction -> response ->
deterministic checks -> judge_pair (keep >= 2 of 3) -> judge_safety.

Each instruction moves to its next step as soon as its previous one returns; rounds of generation repeat,
each asking for what the unit still needs, until the unit has its target of kept samples or has used its
rounds.
"""

from __future__ import annotations

import asyncio

from labgen.generate.filters import Candidate
from labgen.generate.parsing import parse_answer, parse_list
from labgen.generate.unit_work import UnitWork


async def run_freeform_unit(work: UnitWork) -> None:
    unit = work.unit
    examples = work.skill_examples()
    for round_index in range(unit.max_rounds):
        if work.need() <= 0:
            return
        slot = (round_index,)
        completion = await work.ask("freeform_instructions",
                                    {"task_description": work.leaf.description, "seed_examples": examples,
                                     "focus": unit.focus, "count": work.round_counts()["freeform_instructions"]}, slot)
        if completion is None:
            continue
        # Items beyond the count asked are kept: they are paid for.
        parsed = parse_list(completion.text, truncated=completion.finish_reason == "length")
        if not work.record_parse("parse_instructions", slot, completion.text, found=len(parsed.items),
                                 unparsed=parsed.unparsed, what="instructions"):
            continue
        share = len(parsed.items)
        candidates = []
        for index, instruction in enumerate(parsed.items):
            candidate = Candidate(slot=(round_index, index), seed_ids=unit.seed_ids, question=instruction)
            candidate.raw["freeform_instructions"] = completion.text
            candidate.templates["freeform_instructions"] = work.template_ref("freeform_instructions")
            work.charge(candidate, completion, share)
            candidates.append(candidate)
        await asyncio.gather(*(_one_sample(work, candidate, examples) for candidate in candidates))


async def _one_sample(work: UnitWork, candidate: Candidate, examples: list[dict[str, str]]) -> None:
    pipeline = work.pipeline
    if not await work.run_steps(pipeline.after("freeform_instructions"), candidate, finish_reason=None,
                                prompt_text=""):
        return
    completion = await work.ask("freeform_response", {"task_description": work.leaf.description,
                                                      "seed_examples": examples,
                                                      "instruction": candidate.question or ""},
                                candidate.slot, candidate)
    if completion is None:
        return
    candidate.answer = parse_answer(completion.text)
    if await work.run_steps(pipeline.after("freeform_response"), candidate, finish_reason=completion.finish_reason,
                            prompt_text=completion.request.messages[-1]["content"]):
        work.keep(candidate)
