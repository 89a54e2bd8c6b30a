"""One reject schema: whatever dropped a candidate (parse, teacher failure, a prompt too long, a judge, a
check, curation, dedup, decontamination), its rejects.jsonl row has exactly the same keys."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner

from labgen.cli import cli
from labgen.curate.rerun import curate
from labgen.curate.rows import REJECT_KEYS
from labgen.generate import GenerateConfig, generate
from labgen.jsonl import read_jsonl
from tests.curate.varied_teacher import VariedTeacher
from tests.dedup.run_builder import make_sample, write_run
from tests.fakes import FakeFailure
from tests.generate.conftest import FREEFORM, GROUNDED, KNOWLEDGE

LEAVES = (FREEFORM, GROUNDED, KNOWLEDGE)


def all_rejects(out: Path) -> list[dict]:
    return [row for leaf in LEAVES for row in read_jsonl(out / leaf / "rejects.jsonl")]


def test_every_reject_of_a_run_has_the_same_keys(taxonomy: Path, tmp_path: Path) -> None:
    loose = GenerateConfig(target_per_seed=2, max_rounds=2)
    config = replace(loose, critic=loose.critic.with_overrides(pair_min_score=3))
    teacher = VariedTeacher(queued={
        "freeform_response": [FakeFailure("HTTP 503 after 5 retries"),
                              FakeFailure("prompt too long", kind="context_length")],
        "grounded_contexts": [""],
        "knowledge_qa_long": ["Question: a question without its answer"]})
    out = tmp_path / "out"
    generate(taxonomy, out, teacher, config)
    question = next(row["question"] for row in read_jsonl(out / FREEFORM / "samples.jsonl")
                    if row["critic"]["verdicts"]["pair_quality"]["score"] == 1.0)
    eval_file = tmp_path / "eval.jsonl"
    eval_file.write_text(json.dumps({"text": question}) + "\n")
    curate(out, replace(loose, decontaminate=(str(eval_file),)), teacher=None)  # judge_safety not stored

    rejects = all_rejects(out)
    stages = {row["stage"] for row in rejects}
    assert {"freeform_response", "parse_contexts", "judge_pair", "decontaminate", "dedup", "curate"} <= stages, stages
    assert any(row["stage"].startswith("parse_qa") for row in rejects)
    reasons = {row["reason"].split(":")[0] for row in rejects if row["stage"] == "freeform_response"}
    assert reasons == {"teacher failed", "prompt too long"}
    for row in rejects:
        assert tuple(row) == REJECT_KEYS, row
        assert row["sample_id"].startswith("s-") and row["id"].startswith("r-")
    decontaminated = [row for row in rejects if row["stage"] == "decontaminate"]
    assert decontaminated[0]["eval_item"]["file"] == str(eval_file) and decontaminated[0]["duplicate_of"]
    duplicates = [row for row in rejects if row["stage"] == "dedup"]
    assert all(row["similarity"] is not None and row["duplicate_of"] for row in duplicates)
    stats = json.loads((out / KNOWLEDGE / "stats.json").read_text())
    assert stats["rejected"] == len(list(read_jsonl(out / KNOWLEDGE / "rejects.jsonl")))
    assert sum(stats["rejected_by"].values()) == stats["rejected"]


def test_dedup_of_plain_leaf_files_writes_the_same_schema(tmp_path: Path) -> None:
    leaf = "compositional_skills/writing/haiku"
    samples = [make_sample(leaf, "Write a haiku about the autumn rain please"),
               make_sample(leaf, "Write a haiku about the autumn rain please!", answer="b")]
    write_run(tmp_path, {leaf: samples})
    assert CliRunner().invoke(cli, ["dedup", str(tmp_path)]).exit_code == 0
    [reject] = read_jsonl(tmp_path / leaf / "rejects.jsonl")
    assert tuple(reject) == REJECT_KEYS and reject["stage"] == "dedup"


def test_labgen_dedup_on_a_generate_run_is_the_dedup_step_of_the_same_pass(taxonomy: Path, tmp_path: Path) -> None:
    """On a generate run, `labgen dedup` decides from the records again: the same settings leave every file
    as generate wrote it (twice over), and a looser threshold gives back what a stricter one removed."""
    out = tmp_path / "out"
    generate(taxonomy, out, VariedTeacher(), GenerateConfig(target_per_seed=2))
    files = {p: p.read_bytes() for leaf in LEAVES for p in (out / leaf).glob("*.jsonl")}
    for _ in range(2):
        assert CliRunner().invoke(cli, ["dedup", str(out)]).exit_code == 0
        assert {p: p.read_bytes() for p in files} == files
    removed = sum(1 for row in all_rejects(out) if row["stage"] == "dedup")
    assert removed > 0
    assert CliRunner().invoke(cli, ["dedup", str(out), "--threshold", "1.0"]).exit_code == 0
    assert sum(1 for row in all_rejects(out) if row["stage"] == "dedup") < removed
    assert CliRunner().invoke(cli, ["dedup", str(out)]).exit_code == 0
    assert {p: p.read_bytes() for p in files} == files
