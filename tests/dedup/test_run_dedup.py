"""dedup_run over a synthetic run directory: rejects, stats, seeds, idempotence, dedup.json."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from labgen.dedup import DedupConfig, SeedText, dedup_run
from labgen.jsonl import read_jsonl

from .run_builder import make_reject, make_sample, write_run

HAIKU = "compositional_skills/writing/haiku"
LIMERICK = "compositional_skills/writing/limerick"


def lines(path: Path) -> list[dict]:
    return list(read_jsonl(path)) if path.exists() else []


def test_within_leaf_duplicates_move_to_rejects_with_duplicate_of(tmp_path: Path) -> None:
    first = make_sample(HAIKU, "Write a haiku about the autumn rain please")
    rows = [first, make_sample(HAIKU, "Tell a story about a brave little toaster"),
            make_sample(HAIKU, "write a HAIKU about the autumn rain, please!", answer="other"),
            make_sample(HAIKU, "Write a haiku about the winter rain please", answer="third")]
    write_run(tmp_path, {HAIKU: rows}, rejects={HAIKU: [make_reject(HAIKU, "judge_pair", "rated 1 of 3")]})

    report = dedup_run(tmp_path, DedupConfig())

    kept = lines(tmp_path / HAIKU / "samples.jsonl")
    assert [r["id"] for r in kept] == [rows[0]["id"], rows[1]["id"]]
    rejects = lines(tmp_path / HAIKU / "rejects.jsonl")
    dedup_rejects = [r for r in rejects if r["stage"] == "dedup"]
    assert [(r["sample_id"], r["duplicate_of"], r["reason"]) for r in dedup_rejects] == [
        (rows[2]["id"], first["id"], "exact duplicate"), (rows[3]["id"], first["id"], "near duplicate")]
    assert dedup_rejects[1]["similarity"] >= 0.5 and dedup_rejects[1]["fields"]["answer"] == "third"
    assert dedup_rejects[0]["fields"]["question"] == rows[2]["question"]
    stats = json.loads((tmp_path / HAIKU / "stats.json").read_text())
    assert stats["kept"] == 2 and stats["rejected"] == 3 and stats["dedup_removed"] == 2
    # recounted from rejects.jsonl, numbers folded as every count is (labgen.curate.rows.count_rejects)
    assert stats["rejected_by"] == {"judge_pair/rated N of N": 1, "dedup/exact duplicate": 1,
                                    "dedup/near duplicate": 1}
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["leaves"][HAIKU]["kept"] == 2 and run["leaves"][HAIKU]["rejected"] == 3
    summary = json.loads((tmp_path / "dedup.json").read_text())
    assert summary["totals"] == {"before": 4, "kept": 2, "removed": 2,
                                 "removed_by": {"dedup/exact duplicate": 1, "dedup/near duplicate": 1}}
    assert report.removed == 2


def test_second_run_removes_nothing_and_changes_no_file(tmp_path: Path) -> None:
    rows = [make_sample(HAIKU, "Write a haiku about the autumn rain please"),
            make_sample(HAIKU, "Write a haiku about the autumn rain please?", answer="b")]
    write_run(tmp_path, {HAIKU: rows})
    assert dedup_run(tmp_path).removed == 1
    before = {p: p.read_bytes() for p in (tmp_path / HAIKU).iterdir()}
    again = dedup_run(tmp_path)
    assert again.removed == 0
    assert {p: p.read_bytes() for p in (tmp_path / HAIKU).iterdir()} == before


def test_across_leaves_the_leaf_first_by_path_keeps_its_sample(tmp_path: Path) -> None:
    question = "Write a short funny poem about a cat who loves cheese"
    write_run(tmp_path, {LIMERICK: [make_sample(LIMERICK, question)],
                         HAIKU: [make_sample(HAIKU, question + "!")]})
    dedup_run(tmp_path)
    assert len(lines(tmp_path / HAIKU / "samples.jsonl")) == 1  # "haiku" sorts before "limerick"
    assert lines(tmp_path / LIMERICK / "samples.jsonl") == []
    [reject] = lines(tmp_path / LIMERICK / "rejects.jsonl")
    assert reject["duplicate_of"] == lines(tmp_path / HAIKU / "samples.jsonl")[0]["id"]

    write_run(tmp_path / "w", {LIMERICK: [make_sample(LIMERICK, question)], HAIKU: [make_sample(HAIKU, question)]})
    assert dedup_run(tmp_path / "w", DedupConfig(across_leaves=False)).removed == 0


def test_copies_of_the_leafs_seeds_from_the_taxonomy_are_removed(tmp_path: Path) -> None:
    taxonomy = tmp_path / "taxonomy"
    (taxonomy / HAIKU).mkdir(parents=True)
    examples = [{"question": f"Write a haiku about {topic}", "answer": "..."}
                for topic in ("the autumn rain falling on red maples", "a frog", "snow", "the moon", "tea")]
    (taxonomy / HAIKU / "qna.yaml").write_text(yaml.safe_dump(
        {"version": 2, "created_by": "me", "task_description": "haiku", "seed_examples": examples}))
    out = tmp_path / "out"
    rows = [make_sample(HAIKU, "Write a haiku about the autumn rain falling on red maple"),
            make_sample(HAIKU, "Compose a sonnet about a lighthouse keeper at dawn")]
    write_run(out, {HAIKU: rows}, taxonomy=taxonomy)
    report = dedup_run(out)
    assert report.seeds == {HAIKU: 5}
    [reject] = lines(out / HAIKU / "rejects.jsonl")
    assert reject["duplicate_of"] == f"seed:{HAIKU}#seed-0" and reject["reason"] == "near copy of a seed"


def test_explicit_seeds_and_grounded_contexts(tmp_path: Path) -> None:
    leaf = "compositional_skills/grounded/summary"
    ctx_a = "The river flooded the valley in spring and the farmers moved their sheep uphill."
    ctx_b = "A new library opened downtown with a large children's section and a cafe."
    rows = [make_sample(leaf, "Summarize the text above", kind="grounded_skill", context=ctx_a),
            make_sample(leaf, "Summarize the text above", kind="grounded_skill", context=ctx_b),
            make_sample(leaf, "Summarize the text above.", kind="grounded_skill", context=ctx_b + " "),
            make_sample(leaf, "What did the farmers do?", kind="grounded_skill", context=ctx_a)]
    write_run(tmp_path, {leaf: rows})
    report = dedup_run(tmp_path, seeds={leaf: [SeedText("What did the farmers do", ctx_a)]})
    assert {(r.sample_id, r.duplicate_of) for r in report.removals} == {
        (rows[2]["id"], rows[1]["id"]), (rows[3]["id"], f"seed:{leaf}#seed-0")}


def test_missing_run_directory_is_a_clear_error(tmp_path: Path) -> None:
    import pytest

    from labgen.errors import OutputError

    with pytest.raises(OutputError, match="run directory not found"):
        dedup_run(tmp_path / "nope")


def test_knowledge_seeds_from_leaf_records_name_the_seed_example(tmp_path: Path) -> None:
    from labgen.dedup import seeds_from_leaves
    from labgen.taxonomy.leaf import QnA, SeedExample

    leaf_path = "knowledge/geography/rivers"
    examples = tuple(SeedExample(id=f"seed-{n}", context=f"Excerpt {n}.",
                                 qna=(QnA(f"Question {n}a about rivers?", f"Answer {n}a."),
                                      QnA(f"Which river is longest in region {n}?", f"The river number {n}.")))
                     for n in range(3))

    class FakeLeaf:  # only the fields seeds_from_leaves reads
        path, kind, seed_examples = leaf_path, "knowledge", examples

    seeds = seeds_from_leaves([FakeLeaf()])  # type: ignore[list-item]
    assert [s.id for s in seeds[leaf_path]] == ["seed-0", "seed-0", "seed-1", "seed-1", "seed-2", "seed-2"]
    rows = [make_sample(leaf_path, "Which river is longest in region 1?", "The river number 1.", kind="knowledge"),
            make_sample(leaf_path, "Which river is longest in region 1?", "It is the Amazon, by far.", kind="knowledge")]
    write_run(tmp_path, {leaf_path: rows})
    report = dedup_run(tmp_path, seeds=seeds)
    assert [(r.sample_id, r.duplicate_of, r.reason) for r in report.removals] == [
        (rows[0]["id"], f"seed:{leaf_path}#seed-1", "exact copy of a seed")]
