"""Runs reach their targets: rounds ask for what a unit still needs, surplus items are kept, and a leaf
that dedup leaves short gets top-up units; a leaf whose units hit their round cap reports its shortfall."""

from __future__ import annotations

import json
from pathlib import Path

from labgen.generate import GenerateConfig, generate
from labgen.generate.units import UnitStore
from labgen.teachers.base import ChatRequest
from tests.fakes import FakeTeacher, diverse_answer
from tests.generate.conftest import FREEFORM, build_taxonomy

REPEATED = "1. Explain in three sentences why candles are still sold in every village market."


def _leaf_run(out: Path) -> dict:
    return json.loads((out / "run.json").read_text())["leaves"][FREEFORM]


def test_a_leaf_that_dedup_leaves_short_is_topped_up_to_its_target(tmp_path: Path) -> None:
    taxonomy = build_taxonomy(tmp_path / "taxonomy", kinds=("freeform",))
    asked = {"planned": 0}

    def answers(request: ChatRequest) -> str:
        text = diverse_answer(request)
        if request.stage == "freeform_instructions" and asked["planned"] < 3:
            asked["planned"] += 1  # the three planned units each return the same first instruction
            text = REPEATED + "\n" + "\n".join(f"{i + 2}. {line.split('. ', 1)[1]}"
                                               for i, line in enumerate(text.splitlines()[1:]))
        return text

    config = GenerateConfig(target_per_seed=3.0)  # 15 of 5 seeds: 3 units of 5
    out = tmp_path / "out"
    teacher = FakeTeacher(responder=answers)
    result = generate(taxonomy, out, teacher, config)
    assert result.leaves[FREEFORM].kept == 15 == result.targets[FREEFORM]
    assert _leaf_run(out)["short"] == 0
    units = list((UnitStore(out).root / FREEFORM).glob("u-*.json"))
    assert len(units) == 4  # three planned, one top-up for the two duplicates dedup removed
    rejects = [json.loads(line) for line in (out / FREEFORM / "rejects.jsonl").read_text().splitlines()]
    assert sum(1 for r in rejects if r["stage"] == "dedup") == 2
    # A rerun makes the same top-up decision from the stored units: nothing is asked, nothing changes.
    samples = (out / FREEFORM / "samples.jsonl").read_bytes()
    again = FakeTeacher(responder=answers)
    generate(taxonomy, out, again, config)
    assert again.history == [] and (out / FREEFORM / "samples.jsonl").read_bytes() == samples
    # curate replays the top-up rule: the same settings keep the same files.
    from labgen.curate.rerun import curate

    assert not curate(out, config, teacher=None).needs_generation
    assert (out / FREEFORM / "samples.jsonl").read_bytes() == samples


def test_curate_reports_a_top_up_the_run_never_made(tmp_path: Path) -> None:
    """A run without dedup has no top-ups; curating it with dedup on leaves the leaf short where a fresh
    run would top it up: curate says it needs generation instead of pretending."""
    from dataclasses import replace

    from labgen.curate.rerun import curate

    taxonomy = build_taxonomy(tmp_path / "taxonomy", kinds=("freeform",))
    asked = {"planned": 0}

    def answers(request: ChatRequest) -> str:
        text = diverse_answer(request)
        if request.stage == "freeform_instructions" and asked["planned"] < 3:
            asked["planned"] += 1
            text = REPEATED + "\n" + "\n".join(f"{i + 2}. {line.split('. ', 1)[1]}"
                                               for i, line in enumerate(text.splitlines()[1:]))
        return text

    config = GenerateConfig(target_per_seed=3.0, dedup=False)
    out = tmp_path / "out"
    generate(taxonomy, out, FakeTeacher(responder=answers), config)
    result = curate(out, replace(config, dedup=True), teacher=None)
    assert result.needs_generation


def test_a_leaf_whose_outputs_keep_failing_stops_at_the_cap_and_reports_its_shortfall(tmp_path: Path) -> None:
    taxonomy = build_taxonomy(tmp_path / "taxonomy", kinds=("freeform",))
    teacher = FakeTeacher(responder=diverse_answer, by_stage={"judge_pair": "Reason: too brief.\nScore: 1"})
    out = tmp_path / "out"
    result = generate(taxonomy, out, teacher, GenerateConfig(target_per_seed=1.0, max_rounds=2))
    assert result.leaves[FREEFORM].kept == 0
    assert len(teacher.calls("freeform_instructions")) == 2  # the cap: two rounds of the one unit, no top-up
    assert _leaf_run(out) == {**_leaf_run(out), "target": 5, "short": 5}


def test_surplus_items_are_judged_and_kept(tmp_path: Path) -> None:
    taxonomy = build_taxonomy(tmp_path / "taxonomy", kinds=("freeform",))

    def answers(request: ChatRequest) -> str:
        text = diverse_answer(request)
        if request.stage == "freeform_instructions":  # two more than asked
            extra = diverse_answer(ChatRequest(messages=request.messages + ({"role": "user", "content": "+"},),
                                               params=request.params, stage=request.stage)).splitlines()[:2]
            count = len(text.splitlines())
            text += "\n" + "\n".join(f"{count + i + 1}. {line.split('. ', 1)[1]}" for i, line in enumerate(extra))
        return text

    teacher = FakeTeacher(responder=answers)
    result = generate(taxonomy, tmp_path / "out", teacher, GenerateConfig(target_per_seed=1.0, dedup=False))
    assert len(teacher.calls("freeform_instructions")) == 1
    assert result.leaves[FREEFORM].kept == 7 and result.leaves[FREEFORM].rejected == 0


def test_unit_kept_fields_are_the_kept_records_fields_as_curation_reads_them(tmp_path: Path) -> None:
    """The top-up count reads only the kept records' fields of a stored unit: the same fields a full
    decode gives (contexts resolved from the unit's table), drops left out."""
    from labgen.curate.inputs import UnitInfo
    from labgen.generate.top_up import unit_kept_fields

    taxonomy = build_taxonomy(tmp_path / "taxonomy")
    out = tmp_path / "out"
    judge_rejects = FakeTeacher(by_stage={"judge_pair": "Score: 1"}, responder=diverse_answer)
    generate(taxonomy, out, judge_rejects, GenerateConfig(target_per_seed=1.0, max_rounds=1))
    results = [json.loads(path.read_text()) for path in UnitStore(out).root.rglob("u-*.json")]
    assert any(r["contexts"] for r in results) and any(rec["drop"] for r in results for rec in r["records"])
    for result in results:
        unit = UnitInfo.from_result(result)
        expected = [record.fields() for record in unit.records if record.drop is None]
        assert unit_kept_fields(result) == (unit.target, expected)


def test_a_top_up_count_is_computed_once_per_input_and_stays_exact(monkeypatch) -> None:
    """The run's curation pass replays the run's top-up decisions on the same items: the second count of
    the same input comes from memory; any change to the input or the settings is counted afresh."""
    import labgen.dedup
    from labgen.dedup.config import DedupConfig
    from labgen.generate import top_up
    from labgen.generate.top_up import leaf_progress
    from labgen.taxonomy.leaf import FREEFORM_SKILL

    class Leaf:
        path, kind = "skills/memo_test", FREEFORM_SKILL
        seed_examples = ()

    calls = []
    real = labgen.dedup.find_duplicates
    monkeypatch.setattr(labgen.dedup, "find_duplicates", lambda *a, **k: calls.append(1) or real(*a, **k))
    kept = [{"question": "Write a line about the sea at night.", "answer": "The sea is dark."},
            {"question": "Write a line about the sea at night!", "answer": "The sea is dark."},
            {"question": "Name a fruit that is yellow.", "answer": "A banana."}]
    first = leaf_progress(Leaf, [(3, kept)], DedupConfig())
    assert first.kept == 3 and first.unique == 2 and calls == [1]
    assert leaf_progress(Leaf, [(3, kept)], DedupConfig()) == first and calls == [1]
    assert leaf_progress(Leaf, [(3, kept[:2])], DedupConfig()).unique == 1 and calls == [1, 1]
    other = DedupConfig(shingle="word", threshold=0.9)
    counted = leaf_progress(Leaf, [(3, kept)], other)
    assert len(calls) == 3
    top_up._REMOVED.clear()
    assert leaf_progress(Leaf, [(3, kept)], other) == counted and len(calls) == 4  # what a fresh count gives
