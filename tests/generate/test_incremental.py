"""Incremental runs on a real git repository: only changed leaves are regenerated; deleted leaves' outputs go."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import yaml

from labgen.generate import GenerateConfig, generate
from labgen.generate.units import UnitStore
from tests.fakes import FakeTeacher, plausible_answer
from tests.generate.conftest import FREEFORM, GROUNDED, KNOWLEDGE, commit_all

CONFIG = GenerateConfig(dedup=False)


def fake() -> FakeTeacher:
    return FakeTeacher(responder=plausible_answer, max_in_flight=8)


def unit_ids(out: Path, leaf: str) -> set[str]:
    return {p.stem for p in (UnitStore(out).root / leaf).glob("u-*.json")}


def edit_task(taxonomy: Path, leaf: str, text: str) -> None:
    qna = taxonomy / leaf / "qna.yaml"
    data = yaml.safe_load(qna.read_text())
    data["task_description"] = text
    qna.write_text(yaml.safe_dump(data, sort_keys=False))


def test_only_the_changed_leaf_is_regenerated(taxonomy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    generate(taxonomy, out, fake(), CONFIG)
    untouched = {leaf: (out / leaf / "samples.jsonl").read_bytes() for leaf in (GROUNDED, KNOWLEDGE)}
    old_units = unit_ids(out, FREEFORM)
    edit_task(taxonomy, FREEFORM, "Writing short riddles whose answer is an animal.")
    commit_all(taxonomy, "change the riddles leaf")

    teacher = fake()
    result = generate(taxonomy, out, teacher, CONFIG, changed_base="HEAD~1")
    assert set(result.leaves) == {FREEFORM}
    assert {r.tag[0] for r in teacher.history} == unit_ids(out, FREEFORM)
    assert unit_ids(out, FREEFORM).isdisjoint(old_units)  # stale units were pruned, new ones stored
    assert "an animal" in teacher.calls("freeform_instructions")[0].messages[-1]["content"]
    for leaf, content in untouched.items():
        assert (out / leaf / "samples.jsonl").read_bytes() == content

    # A full run afterwards finds every unit: the unchanged leaves and the regenerated one alike.
    again = fake()
    full = generate(taxonomy, out, again, CONFIG)
    assert again.history == [] and full.units_generated == 0


def test_a_full_run_regenerates_only_leaves_whose_content_changed(taxonomy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    generate(taxonomy, out, fake(), CONFIG)
    edit_task(taxonomy, GROUNDED, "Reading the invoice number from an invoice.")  # uncommitted edit
    teacher = fake()
    result = generate(taxonomy, out, teacher, CONFIG)
    assert {r.tag[0] for r in teacher.history} == unit_ids(out, GROUNDED)
    assert result.units_reused == len(unit_ids(out, FREEFORM)) + len(unit_ids(out, KNOWLEDGE))


def test_changed_run_removes_the_outputs_of_a_deleted_leaf(taxonomy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    generate(taxonomy, out, fake(), CONFIG)
    assert (out / GROUNDED / "samples.jsonl").is_file()
    shutil.rmtree(taxonomy / GROUNDED)
    commit_all(taxonomy, "delete the invoices leaf")
    teacher = fake()
    result = generate(taxonomy, out, teacher, replace(CONFIG), changed_base="HEAD~1")
    assert result.removed == (GROUNDED,)
    assert not (out / GROUNDED).exists()
    assert not (UnitStore(out).root / GROUNDED).exists()
    assert teacher.history == []
    assert (out / FREEFORM / "samples.jsonl").is_file()
