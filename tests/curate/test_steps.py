"""The curation steps on single records: a check re-decided from its recorded measure says what the check
computed fresh says, records survive their stored form, and the step contract holds (keep or one drop)."""

from __future__ import annotations

import json

import pytest

from labgen.critic.checks import CheckInput, measure_checks
from labgen.critic.config import CriticConfig
from labgen.curate.inputs import LeafInfo, UnitInfo
from labgen.curate.judgments import Judges, JudgmentSource
from labgen.curate.record import DropMark, JudgeMark, RecordTables, SampleRecord
from labgen.curate.steps import ChecksStep, NeedsGeneration, walk
from labgen.generate.pipelines import pipeline_for
from labgen.records import Verdict

CONTEXT = ("The harbour office recorded 12 ships on Monday and 9 ships on Tuesday, mostly cargo vessels "
           "from the north. Two ferries were delayed by fog.")
ITEMS = [
    CheckInput("How many ships came on Monday?", "The harbour office recorded 12 ships on Monday.", CONTEXT,
               "stop", "How many ships came on Monday?", ("What is a tide?\nThe rise and fall of the sea.",)),
    CheckInput("How many ships came on Monday?", "Around forty submarines arrived from Lisbon on Friday.",
               CONTEXT, "stop", "How many ships came on Monday?", ()),
    CheckInput("Write a riddle about a candle.", "I burn but I am not angry, I weep wax. What am I?", None,
               "length", "Write a riddle about a candle.", ("Write a riddle about a candle.\nA candle.",)),
    CheckInput("Was ist das?", "Das ist ein Haus mit einem roten Dach und einem grossen Garten.", None, "stop",
               "Was ist das?", ()),
    CheckInput("", "", None, None, "", ()),
]
CONFIGS = [CriticConfig(),
           CriticConfig(min_lexical_support=0.9, min_sentence_support=0.6, echo_similarity=0.3,
                        seed_copy_similarity=0.2, min_language_score=0.95),
           CriticConfig(language=None, check_pii=False, blocklist=("candle",)),
           CriticConfig(language="de", blocklist=("ships",))]


@pytest.mark.parametrize("new", CONFIGS)
@pytest.mark.parametrize("old", CONFIGS[:2])
def test_checks_decided_again_from_records_equal_fresh_checks(old: CriticConfig, new: CriticConfig) -> None:
    step = ChecksStep(pipeline_for("grounded_skill").step("checks"), new)
    for item in ITEMS:
        record = SampleRecord(id="s-1", leaf="l", kind="grounded_skill", unit="u", slot=(0, 0), seed_ids=(),
                              question=item.question, answer=item.answer, context=item.context,
                              finish_reason=item.finish_reason, checks=tuple(measure_checks(item, old)))
        result = step.decide(record, _unit(old), _leaf())
        assert list(result.verdicts) == [m.verdict for m in measure_checks(item, new)], item
        failed = [v for v in result.verdicts if not v.passed]
        assert (result.drop is None) == (not failed)
        if failed:
            assert (result.drop.stage, result.drop.reason) == (failed[0].check, failed[0].reason)


def test_a_record_survives_its_stored_form() -> None:
    item = ITEMS[0]
    record = SampleRecord(
        id="s-1", leaf="l", kind="grounded_skill", unit="u", slot=(1, 2, 0), seed_ids=("seed-0", "seed-3"),
        question=item.question, answer=item.answer, context=CONTEXT, templates=("grounded_response", "judge_pair"),
        sampling={"judge_pair": {"temperature": 0.0, "top_p": 1.0, "max_tokens": 96, "seed": 7}},
        tokens={"judge_pair": (300, 6)}, finish_reason="stop", checks=tuple(measure_checks(item)),
        judges={"judge_pair": JudgeMark("k" * 64, Verdict("pair_quality", True, 0.5, "rated 2 of 3", 0.75,
                                                          "Score: 2"))},
        drop=DropMark("judge_safety", "unsafe content", "Verdict: NO"))
    tables = RecordTables(seed_ids=("seed-0",))
    stored = json.loads(json.dumps({**tables.as_json(), "seed_ids": ["seed-0"], "records": [tables.encode(record)]}))
    assert stored["contexts"] == [CONTEXT] and stored["records"][0]["context"] == 0
    back = RecordTables.from_unit(stored).decode(stored["records"][0], leaf="l", kind="grounded_skill", unit="u")
    assert json.loads(json.dumps(tables.encode(back))) == stored["records"][0]  # sequences come back as lists
    assert (back.slot, back.seed_ids, back.context, back.sampling, back.judges, back.drop) == (
        record.slot, record.seed_ids, record.context, record.sampling, record.judges, record.drop)
    assert [m.verdict for m in back.checks] == [m.verdict for m in record.checks]


def test_a_step_after_the_gate_needs_the_answer() -> None:
    """A candidate the gate dropped has no answer: the walk cannot go on without generating it."""
    judges, source = Judges(), JudgmentSource(None)
    from labgen.curate.steps import curation_steps

    config = CriticConfig()
    steps = curation_steps("freeform_skill", config, judges, source)
    gate = Verdict("instruction", True, 1.0, "fine", 0.75, "Verdict: YES")
    record = SampleRecord(id="s-1", leaf="l", kind="freeform_skill", unit="u", slot=(0, 0), seed_ids=(),
                          question="Write a riddle.", judges={"judge_instruction": JudgeMark("k", gate)},
                          drop=DropMark("judge_instruction", "instruction off task"))
    with pytest.raises(NeedsGeneration):
        walk(record, steps, _unit(config, templates={"judge_instruction": {
            "sha256": judges.get("judge_instruction", config).template.sha256}}), _leaf())
    failed = SampleRecord(id="s-2", leaf="l", kind="freeform_skill", unit="u", slot=(0, 1), seed_ids=(),
                          question="Write a riddle.", judges={"judge_instruction": JudgeMark("k", gate)},
                          drop=DropMark("freeform_response", "prompt too long: 5000 tokens"))
    path = walk(failed, steps, _unit(config, templates={"judge_instruction": {
        "sha256": judges.get("judge_instruction", config).template.sha256}}), _leaf())
    assert path.drop is not None and path.drop.stage == "freeform_response" and not path.drop.teacher_failure


def _unit(critic: CriticConfig, templates: dict | None = None) -> UnitInfo:
    return UnitInfo(id="u", leaf="l", kind="grounded_skill", branch="compositional_skills", leaf_hash="h", index=0,
                    complete=True, target=5, max_rounds=1, rounds=1, seed=42, seed_key="k", seed_ids=(),
                    taxonomy_commit=None, teacher_identity={"backend": "fake", "model": "m"}, critic=critic,
                    templates=templates or {}, records=(), requests=0, tokens=(0, 0), accounting={})


def _leaf() -> LeafInfo:
    return LeafInfo(path="l", kind="grounded_skill", branch="compositional_skills", content_hash="h",
                    description="d", seed_examples=(), units=("u",))
