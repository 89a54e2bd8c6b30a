"""Knowledge: for a (document chunk, seed example) pair, Q&A with short and with long answers ->
checks -> judge_standalone, judge_relevance, judge_faithfulness -> judge_safety.

Judges run cheapest first and stop at the first failure, so a bad pair costs as few tokens as possible.
"""

from __future__ import annotations

import asyncio

from labgen.generate.filters import Candidate
from labgen.generate.parsing import parse_qa_pairs
from labgen.generate.unit_work import UnitWork


async def run_knowledge_unit(work: UnitWork) -> None:
    unit = work.unit
    assert unit.chunk is not None and unit.knowledge_seed is not None
    seed = next(s for s in work.leaf.seed_examples if s.id == unit.knowledge_seed)
    variables = {"domain": work.leaf.description, "document_outline": work.leaf.document_outline or "",
                 "seed_context": seed.context or "",
                 "seed_qna": [{"question": q.question, "answer": q.answer} for q in seed.qna],
                 "chunk": unit.chunk.text, "count": unit.per_request}
    styles = work.config.answer_styles
    for round_index in range(unit.max_rounds):
        if work.need() <= 0:
            return
        counts = work.round_counts()  # what the round still needs, spread over the answer styles
        await asyncio.gather(*(_one_style(work, {**variables, "count": counts[f"knowledge_qa_{style}"]},
                                          (round_index, style_index), style)
                               for style_index, style in enumerate(styles)))


async def _one_style(work: UnitWork, variables: dict[str, object], slot: tuple[int, ...], style: str) -> None:
    unit = work.unit
    stage = f"knowledge_qa_{style}"
    completion = await work.ask(stage, variables, slot)
    if completion is None:
        return
    # Pairs beyond the count asked are kept: they are paid for.
    parsed = parse_qa_pairs(completion.text, truncated=completion.finish_reason == "length")
    if not work.record_parse(f"parse_qa_{style}", slot, completion.text, found=len(parsed.pairs),
                             unparsed=parsed.unparsed, what="question-answer pairs"):
        return
    candidates = []
    for index, pair in enumerate(parsed.pairs):
        candidate = Candidate(slot=slot + (index,), seed_ids=unit.seed_ids, question=pair.question,
                              answer=pair.answer, context=unit.chunk.text if unit.chunk else None,
                              answer_style=style, document=unit.chunk.provenance() if unit.chunk else None)
        candidate.raw[stage] = completion.text
        candidate.templates[stage] = work.template_ref(stage)
        work.charge(candidate, completion, len(parsed.pairs))
        candidates.append(candidate)
    await asyncio.gather(*(_one_pair(work, candidate, completion.finish_reason) for candidate in candidates))


async def _one_pair(work: UnitWork, candidate: Candidate, finish_reason: str | None) -> None:
    # The generation's finish reason only concerns the pair that was cut off, which the parser removed.
    stage = f"knowledge_qa_{candidate.answer_style}"
    if await work.run_steps(work.pipeline.after(stage), candidate,
                            finish_reason="stop" if finish_reason == "length" else finish_reason,
                            prompt_text=candidate.question or ""):
        work.keep(candidate)
