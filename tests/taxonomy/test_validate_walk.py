"""Walking a taxonomy tree and building Leaf records."""

from __future__ import annotations

import hashlib
from pathlib import Path

from validate_leaves import knowledge_text, skill_text, write_leaf

from labgen.taxonomy.leaf import FREEFORM_SKILL, GROUNDED_SKILL, KNOWLEDGE, DocumentRef
from labgen.taxonomy.walk import infer_root, load_leaf, load_taxonomy, scan_tree


def _tree(root: Path) -> None:
    write_leaf(root, "compositional_skills/writing/haiku", skill_text())
    write_leaf(root, "compositional_skills/grounded/report", skill_text(grounded=True))
    write_leaf(root, "foundational_skills/math/add", skill_text(topic="sums"), attribution=None)
    write_leaf(root, "knowledge/space/moon", knowledge_text())
    write_leaf(root, "compositional_skills/writing/limerick", skill_text(topic="cats"), name="qna.yml")
    write_leaf(root, ".hidden/compositional_skills/x", skill_text())
    (root / "compositional_skills" / "writing" / "notes.txt").write_text("not a leaf", encoding="utf-8")


def test_scan_finds_leaves_in_sorted_order_and_skips_hidden(tmp_path: Path) -> None:
    _tree(tmp_path)
    scan = scan_tree(tmp_path, tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in scan.files] == [
        "compositional_skills/grounded/report/qna.yaml",
        "compositional_skills/writing/haiku/qna.yaml",
        "compositional_skills/writing/limerick/qna.yml",
        "foundational_skills/math/add/qna.yaml",
        "knowledge/space/moon/qna.yaml",
    ]
    assert scan.outside_links == ()


def test_load_taxonomy_builds_leaves(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    reports = load_taxonomy(tmp_path)
    by_path = {r.path: r for r in reports}
    assert list(by_path) == sorted(by_path)
    haiku = by_path["compositional_skills/writing/haiku/qna.yaml"].leaf
    assert haiku is not None
    assert (haiku.path, haiku.branch, haiku.kind, haiku.version) == (
        "compositional_skills/writing/haiku", "compositional_skills", FREEFORM_SKILL, 3)
    assert haiku.created_by == "alice" and haiku.description == "Write a short haiku"
    assert [s.id for s in haiku.seed_examples] == [f"seed-{i}" for i in range(5)]
    assert [s.line for s in haiku.seed_examples] == [5, 7, 9, 11, 13]
    assert haiku.seed_examples[0].qna[0].question == "Write a haiku about rain number 0"
    assert haiku.seed_examples[0].context is None
    qna = (tmp_path / haiku.path / "qna.yaml").read_bytes()
    attribution = (tmp_path / haiku.path / "attribution.txt").read_bytes()
    assert haiku.content_hash != hashlib.sha256(qna).hexdigest()  # attribution is part of the hash
    assert haiku.file == str(tmp_path / haiku.path / "qna.yaml")
    assert attribution

    add = by_path["foundational_skills/math/add/qna.yaml"].leaf
    assert add is not None and add.branch == "foundational_skills"
    assert add.content_hash == hashlib.sha256((tmp_path / add.path / "qna.yaml").read_bytes()).hexdigest()

    grounded = by_path["compositional_skills/grounded/report/qna.yaml"].leaf
    assert grounded is not None and grounded.kind == GROUNDED_SKILL
    assert grounded.seed_examples[1].context == "The rain report number 1 says the sky is grey."

    moon = by_path["knowledge/space/moon/qna.yaml"].leaf
    assert moon is not None and moon.kind == KNOWLEDGE and moon.description == "Astronomy"
    assert moon.document == DocumentRef("https://example.invalid/docs.git", "0123456789abcdef", ("moon.md",))
    assert moon.document_outline == "Facts about the Moon"
    assert [len(s.qna) for s in moon.seed_examples] == [3] * 5

    limerick = by_path["compositional_skills/writing/limerick/qna.yml"]
    assert not limerick.valid and "rename it to 'qna.yaml'" in limerick.problems[0].message


def test_content_hash_changes_with_attribution(tmp_path: Path) -> None:
    file = write_leaf(tmp_path, "compositional_skills/a/b", skill_text())
    first = load_leaf(file).leaf
    (file.parent / "attribution.txt").write_text("Title: changed\n", encoding="utf-8")
    second = load_leaf(file).leaf
    assert first is not None and second is not None and first.content_hash != second.content_hash


def test_root_is_inferred_from_the_branch_folder(tmp_path: Path) -> None:
    file = write_leaf(tmp_path / "tax", "knowledge/space/moon", knowledge_text())
    assert infer_root(file) == tmp_path / "tax"
    report = load_leaf(file)
    assert report.leaf is not None and report.leaf.path == "knowledge/space/moon"


def test_folder_link_out_of_the_tree_is_reported_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    write_leaf(outside, "leaf", skill_text())
    root = tmp_path / "tax"
    write_leaf(root, "compositional_skills/a/b", skill_text())
    (root / "compositional_skills" / "linked").symlink_to(outside)
    (root / "compositional_skills" / "inside").symlink_to(root / "compositional_skills" / "a")
    reports = load_taxonomy(root)
    bad = [r for r in reports if not r.valid]
    assert len(bad) == 1 and "resolves outside the taxonomy root" in bad[0].problems[0].message
    assert bad[0].path.endswith("compositional_skills/linked")
    # a link inside the tree leads to folders already walked: each real leaf is listed once
    assert [r.path for r in reports if r.valid] == [(root / "compositional_skills/a/b/qna.yaml").as_posix()]


def test_symlink_cycles_terminate(tmp_path: Path) -> None:
    write_leaf(tmp_path, "compositional_skills/a/b", skill_text())
    (tmp_path / "compositional_skills" / "a" / "loop").symlink_to(tmp_path / "compositional_skills")
    assert len(scan_tree(tmp_path, tmp_path).files) == 1
