"""Each leaf kind's stages against the deterministic fake teacher: prompts, filters, rejects, caps."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import pytest

from labgen.generate.config import GenerateConfig
from labgen.generate.freeform_skills import run_freeform_unit
from labgen.generate.grounded_skills import run_grounded_unit
from labgen.generate.knowledge import run_knowledge_unit
from labgen.generate.output import unit_result
from labgen.generate.plan import plan_leaf
from labgen.generate.selection import leaf_documents, select_leaves
from labgen.generate.unit_work import RunInfo, UnitWork
from labgen.prompts import all_template_ids, get_template
from labgen.tokens import estimate_message_tokens
from tests.curate.unit_rows import with_rows
from tests.fakes import FakeFailure, FakeTeacher, plausible_answer
from tests.generate.conftest import FREEFORM, GROUNDED, KNOWLEDGE

# One unit whose target (5 of 5 seeds) is what one request holds, so a first round asks for 5.
UNIT_CONFIG = GenerateConfig(target_per_seed=1.0)
RUNNERS = {FREEFORM: run_freeform_unit, GROUNDED: run_grounded_unit, KNOWLEDGE: run_knowledge_unit}


def _leaves(taxonomy: Path) -> dict:
    return {leaf.path: leaf for leaf in select_leaves(taxonomy).leaves}


def run_unit(taxonomy: Path, leaf_path: str, teacher: FakeTeacher, config: GenerateConfig | None = None,
             index: int = 0) -> tuple[UnitWork, dict]:
    config = config or UNIT_CONFIG
    leaf = _leaves(taxonomy)[leaf_path]
    docs = leaf_documents(leaf, taxonomy) if leaf.document else None
    plan = plan_leaf(leaf, config, teacher_identity=teacher.identity(), window=8192,
                     count_tokens=estimate_message_tokens, documents=docs)
    work = UnitWork(teacher=teacher, config=config, leaf=leaf, unit=plan.units[index],
                    run=RunInfo(seed=config.seed, taxonomy_commit=None, teacher=teacher.identity()))
    asyncio.run(RUNNERS[leaf_path](work))
    return work, with_rows(unit_result(work, 0.0), leaf, config.system_prompt)


def test_freeform_unit_runs_every_stage_in_order_and_keeps_passing_samples(taxonomy: Path) -> None:
    teacher = FakeTeacher(responder=plausible_answer)
    work, result = run_unit(taxonomy, FREEFORM, teacher)
    stages = [r.stage for r in teacher.history]
    assert stages[0] == "freeform_instructions"
    assert set(stages) == {"freeform_instructions", "judge_instruction", "freeform_response", "judge_pair",
                           "judge_safety"}
    assert len(result["samples"]) == 5 and result["rejects"] == []
    sample = result["samples"][0]
    assert [m["role"] for m in sample["messages"]] == ["system", "user", "assistant"]
    assert sample["messages"][1]["content"] == sample["question"]
    assert set(sample["critic"]["verdicts"]) >= {"instruction", "pair_quality", "safety", "empty"}
    assert set(sample["provenance"]["templates"]) == {"freeform_instructions", "freeform_response",
                                                      "judge_instruction", "judge_pair", "judge_safety"}
    assert sample["provenance"]["tokens"]["prompt"] > 0


def test_prompts_use_only_this_leafs_seeds_with_a_byte_identical_leaf_prefix(taxonomy: Path) -> None:
    teacher = FakeTeacher(responder=plausible_answer)
    run_unit(taxonomy, FREEFORM, teacher)
    responses = teacher.calls("freeform_response")
    assert len(responses) == 5
    bodies = [r.messages[-1]["content"] for r in responses]
    constant = bodies[0].split("Now answer this instruction.")[0]
    assert all(b.startswith(constant) for b in bodies)
    assert all(r.messages[0] == responses[0].messages[0] for r in responses)
    prompt = teacher.calls("freeform_instructions")[0].messages[-1]["content"]
    assert "riddle whose answer is a candle" in prompt
    assert "invoice" not in prompt.lower()  # another leaf's seeds never leak in


def test_judge_drop_becomes_a_reject_with_stage_reason_and_raw(taxonomy: Path) -> None:
    teacher = FakeTeacher(responder=plausible_answer,
                          queued={"judge_instruction": ["Reason: off task.\nVerdict: NO"]})
    _, result = run_unit(taxonomy, FREEFORM, teacher, replace(UNIT_CONFIG, max_rounds=1))
    assert len(result["samples"]) == 4
    [reject] = [r for r in result["rejects"] if r["stage"] == "judge_instruction"]
    assert reject["raw"] == "Reason: off task.\nVerdict: NO"
    assert reject["reason"].startswith("instruction off task")
    assert reject["fields"]["question"]
    assert result["rejected_by"] == {"judge_instruction/instruction off task, not answerable by a language model, "
                                     "or unsafe": 1}


def test_pair_rated_one_is_dropped_and_safety_never_asked(taxonomy: Path) -> None:
    teacher = FakeTeacher(responder=plausible_answer, by_stage={"judge_pair": "Reason: wrong.\nScore: 1"})
    _, result = run_unit(taxonomy, FREEFORM, teacher, replace(UNIT_CONFIG, max_rounds=1))
    assert result["samples"] == []
    assert {r["stage"] for r in result["rejects"]} == {"judge_pair"}
    assert teacher.calls("judge_safety") == []


def test_unparsable_generation_is_a_reject_keeping_the_raw_output(taxonomy: Path) -> None:
    raw = "I'm sorry, but as an AI I cannot"
    teacher = FakeTeacher(responder=plausible_answer, by_stage={"freeform_instructions": (raw, "length")})
    _, result = run_unit(taxonomy, FREEFORM, teacher, replace(UNIT_CONFIG, max_rounds=1))
    assert result["samples"] == []
    assert [(r["stage"], r["raw"]) for r in result["rejects"]] == [("parse_instructions", raw)]


def test_a_failing_critic_stops_at_the_round_cap(taxonomy: Path) -> None:
    teacher = FakeTeacher(responder=plausible_answer, by_stage={"judge_instruction": "Verdict: NO"})
    config = replace(UNIT_CONFIG, max_rounds=3)
    _, result = run_unit(taxonomy, FREEFORM, teacher, config)
    assert len(teacher.calls("freeform_instructions")) == 3
    assert result["samples"] == [] and len(result["rejects"]) == 15


def test_a_unit_that_reaches_its_target_asks_no_more(taxonomy: Path) -> None:
    teacher = FakeTeacher(responder=plausible_answer)
    run_unit(taxonomy, FREEFORM, teacher, replace(UNIT_CONFIG, max_rounds=4))
    assert len(teacher.calls("freeform_instructions")) == 1


def test_teacher_failure_is_a_reject_and_leaves_the_unit_incomplete(taxonomy: Path) -> None:
    teacher = FakeTeacher(responder=plausible_answer, queued={"freeform_response": [FakeFailure("HTTP 500")]})
    _, result = run_unit(taxonomy, FREEFORM, teacher, replace(UNIT_CONFIG, max_rounds=1))
    assert result["complete"] is False
    assert any(r["reason"] == "teacher failed: HTTP 500" and r["stage"] == "freeform_response"
               for r in result["rejects"])
    assert len(result["samples"]) == 4


def test_a_prompt_too_long_for_the_window_is_a_final_reject_not_a_retry(taxonomy: Path) -> None:
    too_long = FakeFailure("prompt of 2300 tokens does not fit the 2048-token window", kind="context_length")
    teacher = FakeTeacher(responder=plausible_answer, queued={"freeform_response": [too_long]})
    _, result = run_unit(taxonomy, FREEFORM, teacher, replace(UNIT_CONFIG, max_rounds=1))
    assert result["complete"] is True
    assert [r["reason"].split(":")[0] for r in result["rejects"]] == ["prompt too long"]


def test_grounded_unit_answers_from_its_context_and_judges_grounding(taxonomy: Path) -> None:
    teacher = FakeTeacher(responder=plausible_answer)
    _, result = run_unit(taxonomy, GROUNDED, teacher, replace(UNIT_CONFIG, max_rounds=1, contexts_per_round=2,
                                                              questions_per_context=2))
    stages = {r.stage for r in teacher.history}
    assert stages == {"grounded_contexts", "grounded_questions", "judge_question", "grounded_response",
                      "judge_pair", "judge_faithfulness", "judge_safety"}
    assert len(teacher.calls("grounded_questions")) == 2
    assert len(result["samples"]) == 4
    sample = result["samples"][0]
    assert sample["context"] and sample["messages"][1]["content"].startswith(sample["context"])
    assert "faithfulness" in sample["critic"]["verdicts"]
    response_prompt = teacher.calls("grounded_response")[0].messages[-1]["content"]
    assert sample["context"] in response_prompt


def test_knowledge_unit_makes_short_and_long_answers_from_one_chunk(taxonomy: Path) -> None:
    teacher = FakeTeacher(responder=plausible_answer)
    _, result = run_unit(taxonomy, KNOWLEDGE, teacher)
    assert len(teacher.calls("knowledge_qa_short")) == 1 and len(teacher.calls("knowledge_qa_long")) == 1
    styles = sorted({s["answer_style"] for s in result["samples"]})
    assert styles == ["long", "short"]
    sample = result["samples"][0]
    assert sample["provenance"]["document"]["source"].endswith(":documents/tides/tides.md")
    assert sample["context"] in teacher.calls("knowledge_qa_short")[0].messages[-1]["content"]
    assert {"standalone", "relevance", "faithfulness", "safety"} <= set(sample["critic"]["verdicts"])
    assert len(sample["provenance"]["seed_ids"]) == 1


def test_deterministic_checks_run_before_any_judge_tokens(taxonomy: Path) -> None:
    # An empty answer fails the critic's `empty` check; no pair judge may be paid for it.
    teacher = FakeTeacher(responder=plausible_answer, by_stage={"freeform_response": "   "})
    _, result = run_unit(taxonomy, FREEFORM, teacher, replace(UNIT_CONFIG, max_rounds=1))
    assert teacher.calls("judge_pair") == []
    assert {r["stage"] for r in result["rejects"]} == {"empty"}


def test_per_request_seeds_differ_by_slot_and_repeat_across_runs(taxonomy: Path) -> None:
    first, second = FakeTeacher(responder=plausible_answer), FakeTeacher(responder=plausible_answer)
    run_unit(taxonomy, FREEFORM, first)
    run_unit(taxonomy, FREEFORM, second)
    seeds = [r.params.seed for r in first.calls("freeform_response")]
    assert len(set(seeds)) == len(seeds)
    assert sorted(seeds) == sorted(r.params.seed for r in second.calls("freeform_response"))


GENERATION_TEMPLATES = {"freeform_instructions", "freeform_response", "grounded_contexts", "grounded_questions",
                        "grounded_response", "knowledge_qa_short", "knowledge_qa_long"}


def test_every_shipped_generation_template_is_rendered_by_its_stage(taxonomy: Path) -> None:
    """Template.render refuses missing or extra variables, so a stage that ran rendered exactly its variables."""
    shipped = {t for t in all_template_ids() if not t.startswith("judge_")}
    assert shipped == GENERATION_TEMPLATES
    seen: set[str] = set()
    for leaf_path in RUNNERS:
        teacher = FakeTeacher(responder=plausible_answer)
        run_unit(taxonomy, leaf_path, teacher)
        seen |= {r.stage for r in teacher.history}
    assert GENERATION_TEMPLATES <= seen
    for template_id in GENERATION_TEMPLATES:
        template = get_template(template_id)
        assert template.messages[0][0] == "system" and template.messages[-1][0] == "user"


@pytest.mark.parametrize("template_id", sorted(GENERATION_TEMPLATES))
def test_per_request_variables_come_last_in_every_template(template_id: str) -> None:
    template = get_template(template_id)
    user = template.messages[-1][1]
    # `count` is fixed per leaf by its scale, so it may sit in the constant part.
    per_request = {"focus", "instruction", "question", "context", "chunk"} & template.variables
    leaf_constant = {"task_description", "seed_examples", "domain", "document_outline"} & template.variables
    last_constant = max(user.rfind("{{ " + v) if "{{ " + v in user else user.rfind(v) for v in leaf_constant)
    first_request = min(user.find("{{ " + v) for v in per_request if "{{ " + v in user)
    assert last_constant < first_request, f"{template_id}: a per-request variable precedes leaf-constant text"


def test_unit_results_are_json_serialisable(taxonomy: Path) -> None:
    _, result = run_unit(taxonomy, KNOWLEDGE, FakeTeacher(responder=plausible_answer))
    assert json.loads(json.dumps(result))["unit"] == result["unit"]
