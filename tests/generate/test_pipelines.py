"""The pipeline declarations are what runs: every request a unit makes is a declared step, in the declared
order; every declared step's inputs are its template's variables; the plan, the estimates and critique
derive from the declarations; a stage that uses an undeclared template or judge fails."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from labgen.critic.critique import judge_requests
from labgen.critic.rows import QaFields
from labgen.errors import PipelineError
from labgen.generate import grounded_skills
from labgen.generate.config import GenerateConfig
from labgen.generate.estimate import estimate_leaf
from labgen.generate.pipelines import CHECKS, CRITIQUE_PIPELINE, GENERATE, JUDGE, PIPELINES, pipeline_for
from labgen.generate.plan import plan_leaf, template_refs
from labgen.generate.selection import leaf_documents, select_leaves
from labgen.prompts import get_template
from labgen.taxonomy.leaf import FREEFORM_SKILL, GROUNDED_SKILL, KNOWLEDGE
from labgen.tokens import estimate_message_tokens
from tests.fakes import FakeTeacher, plausible_answer
from tests.generate.conftest import FREEFORM, GROUNDED, KNOWLEDGE as KNOWLEDGE_LEAF
from tests.generate.test_stages import UNIT_CONFIG, run_unit

KIND_OF = {FREEFORM: FREEFORM_SKILL, GROUNDED: GROUNDED_SKILL, KNOWLEDGE_LEAF: KNOWLEDGE}


@pytest.mark.parametrize("pipeline", [*PIPELINES.values(), CRITIQUE_PIPELINE], ids=lambda p: p.kind)
def test_every_declared_step_takes_exactly_its_templates_variables(pipeline) -> None:
    for step in pipeline.steps:
        if step.role == CHECKS:
            continue
        assert set(step.inputs) == set(get_template(step.name).variables), step.name
        assert step.template == step.name


@pytest.mark.parametrize("leaf_path", [FREEFORM, GROUNDED, KNOWLEDGE_LEAF])
def test_a_unit_asks_only_declared_steps_and_every_declared_step_in_order(taxonomy: Path, leaf_path: str) -> None:
    teacher = FakeTeacher(responder=plausible_answer)
    run_unit(taxonomy, leaf_path, teacher)
    pipeline = pipeline_for(KIND_OF[leaf_path])
    declared = [s.name for s in pipeline.steps if s.role != CHECKS]
    asked = [r.stage for r in teacher.history]
    assert set(asked) == set(declared)
    # A sample's judge requests come in declared order: the first request of each stage is ordered so.
    first_seen = sorted(set(asked), key=asked.index)
    for branch in pipeline.branches():
        names = [s.name for s in branch if s.role != CHECKS]
        positions = [first_seen.index(name) for name in names]
        assert positions == sorted(positions), (names, first_seen)


def test_an_undeclared_judge_in_a_stage_fails_the_unit(taxonomy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = grounded_skills.run_grounded_unit

    async def with_an_extra_judge(work) -> None:
        from labgen.generate.filters import Candidate

        await work.judge("judge_standalone", Candidate(slot=(0,), seed_ids=()), question="Q?")
        await original(work)

    from tests.generate import test_stages

    monkeypatch.setitem(test_stages.RUNNERS, GROUNDED, with_an_extra_judge)
    with pytest.raises(PipelineError, match="does not declare the step 'judge_standalone'"):
        run_unit(taxonomy, GROUNDED, FakeTeacher(responder=plausible_answer))


@pytest.mark.parametrize("leaf_path", [FREEFORM, GROUNDED, KNOWLEDGE_LEAF])
def test_plan_keys_and_estimates_follow_the_declaration(taxonomy: Path, leaf_path: str) -> None:
    leaf = {leaf.path: leaf for leaf in select_leaves(taxonomy).leaves}[leaf_path]
    pipeline = pipeline_for(leaf.kind)
    assert set(template_refs(leaf.kind)) == {s.name for s in pipeline.steps if s.role in (GENERATE, JUDGE)}
    config = replace(UNIT_CONFIG, max_rounds=1)
    documents = leaf_documents(leaf, taxonomy) if leaf.document else None
    plan = plan_leaf(leaf, config, teacher_identity={"model": "m"}, window=8192,
                     count_tokens=estimate_message_tokens, documents=documents)
    # One round of one unit, every candidate passing, is exactly what the fake teacher sees in a
    # one-round unit.
    teacher = FakeTeacher(responder=plausible_answer)
    run_unit(taxonomy, leaf_path, teacher, config)
    single = type(plan)(plan.leaf, plan.scale, plan.units[:1], plan.target)
    assert estimate_leaf(single, config, estimate_message_tokens).requests_round == len(teacher.history)


def test_critique_asks_the_declared_critique_judges() -> None:
    with_context = QaFields(question="Q?", answer="A.", context="C.", task_description="T")
    without = QaFields(question="Q?", answer="A.", context=None, task_description="T")
    stages = [r.stage for r in judge_requests(0, with_context, GenerateConfig().critic)]
    assert stages == [f"critique/{name}" for name in CRITIQUE_PIPELINE.judges()]
    stages = [r.stage for r in judge_requests(0, without, GenerateConfig().critic)]
    assert "critique/judge_faithfulness" not in stages and "critique/judge_pair" in stages
