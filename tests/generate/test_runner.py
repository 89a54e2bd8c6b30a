"""A whole run against the fake teacher: output files, determinism, reuse of finished units, config."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from labgen.errors import TaxonomyError, TeacherError
from labgen.generate import GenerateConfig, generate
from labgen.generate.config import config_from_file
from labgen.generate.estimate import dry_run
from labgen.generate.units import UnitStore
from labgen.jsonl import read_jsonl
from tests.fakes import FakeFailure, FakeTeacher, plausible_answer
from tests.generate.conftest import FREEFORM, GROUNDED, KNOWLEDGE

CONFIG = GenerateConfig(dedup=False)


def fake() -> FakeTeacher:
    return FakeTeacher(responder=plausible_answer, max_in_flight=8)


def read(out: Path, leaf: str, name: str = "samples.jsonl") -> list[dict]:
    return list(read_jsonl(out / leaf / name))


def test_run_writes_every_leaf_and_run_json(taxonomy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = generate(taxonomy, out, fake(), CONFIG)
    assert set(result.leaves) == {FREEFORM, GROUNDED, KNOWLEDGE}
    for leaf in (FREEFORM, GROUNDED, KNOWLEDGE):
        samples = read(out, leaf)
        stats = json.loads((out / leaf / "stats.json").read_text())
        assert samples and stats["kept"] == len(samples) == result.leaves[leaf].kept
        assert stats["generated"] == stats["kept"] + stats["rejected"]
        assert stats["teacher"]["total"]["requests"] == stats["requests"] > 0
        for sample in samples:
            assert sample["id"].startswith("s-") and sample["leaf"] == leaf
            provenance = sample["provenance"]
            assert provenance["leaf_hash"] and provenance["taxonomy_commit"] and provenance["seed"] == 42
            assert provenance["teacher"]["model"] == "fake-teacher"
            assert provenance["unit"].startswith("u-")
    run = json.loads((out / "run.json").read_text())
    assert run["taxonomy_commit"] and run["seed"] == 42 and run["labgen_version"]
    assert run["leaves"][FREEFORM] == {**result.leaves[FREEFORM].as_dict(), "target": result.targets[FREEFORM],
                                       "short": max(0, result.targets[FREEFORM] - result.leaves[FREEFORM].kept)}
    assert run["tokens"]["prompt"] > 0 and run["units"]["generated"] == result.units_generated


def test_same_inputs_give_the_same_samples_with_the_same_ids(taxonomy: Path, tmp_path: Path) -> None:
    generate(taxonomy, tmp_path / "a", fake(), CONFIG)
    generate(taxonomy, tmp_path / "b", fake(), CONFIG)
    for leaf in (FREEFORM, GROUNDED, KNOWLEDGE):
        for name in ("samples.jsonl", "rejects.jsonl"):
            assert (tmp_path / "a" / leaf / name).read_bytes() == (tmp_path / "b" / leaf / name).read_bytes()


def test_a_different_seed_gives_different_ids(taxonomy: Path, tmp_path: Path) -> None:
    generate(taxonomy, tmp_path / "a", fake(), CONFIG)
    generate(taxonomy, tmp_path / "b", fake(), replace(CONFIG, seed=7))
    ids_a = {s["id"] for s in read(tmp_path / "a", FREEFORM)}
    ids_b = {s["id"] for s in read(tmp_path / "b", FREEFORM)}
    assert ids_a and not ids_a & ids_b


def test_rerun_reuses_every_finished_unit_and_calls_no_teacher(taxonomy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = generate(taxonomy, out, fake(), CONFIG)
    before = (out / FREEFORM / "samples.jsonl").read_bytes()
    teacher = fake()
    second = generate(taxonomy, out, teacher, CONFIG)
    assert teacher.history == []
    assert second.units_generated == 0 and second.units_reused == first.units_generated
    assert (out / FREEFORM / "samples.jsonl").read_bytes() == before


def test_a_whole_number_target_from_labgen_yaml_reuses_the_units_of_the_same_target_from_the_cli(
        taxonomy: Path, tmp_path: Path) -> None:
    """labgen.yaml's `target_per_seed: 1` is an int, --target-per-seed 1 a float: the same units either way."""
    out = tmp_path / "out"
    first = generate(taxonomy, out, fake(), replace(CONFIG, target_per_seed=1))
    teacher = fake()
    second = generate(taxonomy, out, teacher, replace(CONFIG, target_per_seed=1.0))
    assert teacher.history == [] and second.units_reused == first.units_generated > 0


def test_missing_torn_or_incomplete_units_are_regenerated_and_nothing_else(taxonomy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    generate(taxonomy, out, fake(), CONFIG)
    expected = {leaf: (out / leaf / "samples.jsonl").read_bytes() for leaf in (FREEFORM, GROUNDED, KNOWLEDGE)}
    store = UnitStore(out)
    [freeform_unit] = sorted((store.root / FREEFORM).glob("u-*.json"))
    [knowledge_unit] = sorted((store.root / KNOWLEDGE).glob("u-*.json"))
    freeform_unit.unlink()
    knowledge_unit.write_text(knowledge_unit.read_text()[:100])  # torn by a crash
    teacher = fake()
    # Without the answer store, so the requests of the regenerated units reach the teacher.
    result = generate(taxonomy, out, teacher, CONFIG, answer_store=False)
    assert result.units_generated == 2
    assert {r.tag[0] for r in teacher.history} == {freeform_unit.stem, knowledge_unit.stem}
    for leaf, content in expected.items():
        assert (out / leaf / "samples.jsonl").read_bytes() == content


def test_a_unit_with_teacher_failures_is_kept_in_output_but_retried_next_run(taxonomy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    flaky = FakeTeacher(responder=plausible_answer, queued={"freeform_response": [FakeFailure("timeout")]})
    generate(taxonomy, out, flaky, CONFIG)
    assert any(r["reason"] == "teacher failed: timeout" for r in read(out, FREEFORM, "rejects.jsonl"))
    teacher = fake()
    generate(taxonomy, out, teacher, CONFIG)
    assert {r.tag[0] for r in teacher.history} == {p.stem for p in (UnitStore(out).root / FREEFORM).glob("u-*")}
    assert not any("teacher failed" in r["reason"] for r in read(out, FREEFORM, "rejects.jsonl"))


def test_a_teacher_that_never_answers_stops_the_run(taxonomy: Path, tmp_path: Path) -> None:
    dead = FakeTeacher(default=FakeFailure("connection refused"))
    with pytest.raises(TeacherError, match="connection refused"):
        generate(taxonomy, tmp_path / "out", dead, replace(CONFIG, abort_after_failures=4))
    assert len(dead.history) < 20


def test_an_invalid_leaf_stops_the_run_before_any_teacher_call(taxonomy: Path, tmp_path: Path) -> None:
    qna = taxonomy / FREEFORM / "qna.yaml"
    data = yaml.safe_load(qna.read_text())
    data["seed_examples"] = data["seed_examples"][:2]
    qna.write_text(yaml.safe_dump(data))
    teacher = fake()
    with pytest.raises(TaxonomyError, match="riddles"):
        generate(taxonomy, tmp_path / "out", teacher, CONFIG)
    assert teacher.history == []


def test_per_leaf_override_from_labgen_yaml(taxonomy: Path, tmp_path: Path) -> None:
    config_file = tmp_path / "labgen.yaml"
    config_file.write_text('generate:\n  seed: 3\n  leaves:\n    "compositional_skills/writing/*":\n'
                           '      target_per_seed: 3\n')
    config = replace(config_from_file(config_file), dedup=False)
    assert config.seed == 3
    assert config.leaf_scale(FREEFORM).target_per_seed == 3
    assert config.leaf_scale(GROUNDED).target_per_seed == GenerateConfig().target_per_seed
    generate(taxonomy, tmp_path / "out", fake(), config)
    assert len(list((UnitStore(tmp_path / "out").root / FREEFORM).glob("u-*.json"))) == 3  # 15 wanted / 5 a unit
    assert len(list((UnitStore(tmp_path / "out").root / GROUNDED).glob("u-*.json"))) == 1


def test_unknown_config_keys_are_errors_naming_the_file(tmp_path: Path) -> None:
    from labgen.errors import ConfigError

    config_file = tmp_path / "labgen.yaml"
    config_file.write_text("generate:\n  targte_per_seed: 3\n")
    with pytest.raises(ConfigError, match="targte_per_seed") as info:
        config_from_file(config_file)
    assert info.value.path == str(config_file) and info.value.line == 2


def test_dry_run_estimates_without_calling_the_teacher(taxonomy: Path) -> None:
    teacher = fake()
    estimates = {e.leaf: e for e in dry_run(taxonomy, teacher, CONFIG)}
    assert teacher.history == []
    freeform = estimates[FREEFORM]
    # One unit asking for the leaf's target of 3 instructions (not the 5 a request may hold):
    # generation + 3 x (judge, response, pair judge, safety judge).
    assert freeform.target == 3
    assert (freeform.units, freeform.requests_round) == (1, 13)
    assert freeform.requests_max == 13 * CONFIG.max_rounds
    assert freeform.prompt_tokens_round > 0 and freeform.completion_tokens_round > 0
    # And the real run with every candidate passing spends exactly the estimated requests.
    real = fake()
    out = taxonomy.parent / "out"
    generate(taxonomy, out, real, CONFIG)
    freeform_units = {p.stem for p in (UnitStore(out).root / FREEFORM).glob("u-*.json")}
    assert len([r for r in real.history if r.tag[0] in freeform_units]) == 13


def test_a_run_collects_garbage_less_often_and_restores_the_thresholds() -> None:
    import gc

    from labgen.generate.execution import fewer_collections

    before = gc.get_threshold()
    try:
        with fewer_collections():
            assert gc.get_threshold()[0] > before[0]
            raise RuntimeError("a unit failed")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before


def test_units_finished_in_one_turn_are_written_by_one_call_and_read_back(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio
    from types import SimpleNamespace

    from labgen.generate.execution import _save

    store = UnitStore(tmp_path)
    calls: list[list[str]] = []
    real = UnitStore.save_many
    monkeypatch.setattr(UnitStore, "save_many",
                        lambda self, units: calls.append([unit_id for _, unit_id, _ in units]) or real(self, units))
    state = SimpleNamespace(saves=None, store=store)
    results = {f"u-{i}": {"unit": f"u-{i}", "complete": True, "records": [{"text": "é" * i}]} for i in range(3)}

    async def finish() -> None:
        await asyncio.gather(*(_save(state, "skills/a" if i < 2 else "skills/b", unit_id, result)
                               for i, (unit_id, result) in enumerate(results.items())))
        await _save(state, "skills/a", "u-9", {"unit": "u-9", "complete": True, "records": []})  # a later turn

    asyncio.run(finish())
    assert calls == [["u-0", "u-1", "u-2"], ["u-9"]]
    assert [store.load("skills/a" if i < 2 else "skills/b", unit_id) for i, unit_id in enumerate(results)] == \
        list(results.values())
