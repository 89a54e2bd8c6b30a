"""The shipped example taxonomy (taxonomy/) and the YAML examples in docs/taxonomy.md are valid and honest.

Knowledge contexts must be verbatim excerpts of the documents at the pinned commit, and the pinned
commit must still hold the documents as they are in the working tree (an edited document needs a new pin).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from labgen.taxonomy.documents import resolve_documents
from labgen.taxonomy.leaf import FREEFORM_SKILL, GROUNDED_SKILL, KNOWLEDGE, Leaf
from labgen.taxonomy.options import ValidateOptions
from labgen.taxonomy.validate import validate
from labgen.taxonomy.walk import load_taxonomy

REPO = Path(__file__).resolve().parents[2]
TAXONOMY = REPO / "taxonomy"
DOCS = REPO / "docs" / "taxonomy.md"
ATTRIBUTION_FIELDS = ("Title of work", "Link to work", "Revision", "License of the work", "Creator names")


@pytest.fixture(scope="module")
def leaves() -> list[Leaf]:
    reports = load_taxonomy(TAXONOMY, options=ValidateOptions(skip_documents=True))
    assert all(r.leaf is not None for r in reports), [r.problems for r in reports if r.leaf is None]
    return [r.leaf for r in reports if r.leaf is not None]


def test_every_example_leaf_validates_without_errors_or_warnings() -> None:
    reports = validate([TAXONOMY])
    assert len(reports) == 11
    assert {r.path: r.problems for r in reports if r.problems} == {}


def test_the_example_covers_every_kind_of_leaf(leaves: list[Leaf]) -> None:
    kinds = Counter((leaf.branch, leaf.kind) for leaf in leaves)
    assert kinds[("knowledge", KNOWLEDGE)] >= 3
    assert kinds[("compositional_skills", FREEFORM_SKILL)] >= 4
    assert kinds[("compositional_skills", GROUNDED_SKILL)] >= 2
    assert kinds[("foundational_skills", FREEFORM_SKILL)] >= 1
    assert all(leaf.version == 3 and len(leaf.seed_examples) >= 5 for leaf in leaves)


def test_knowledge_contexts_are_verbatim_excerpts_of_the_pinned_documents(leaves: list[Leaf]) -> None:
    for leaf in (x for x in leaves if x.kind == KNOWLEDGE):
        assert leaf.document is not None and re.fullmatch(r"[0-9a-f]{40}", leaf.document.commit), leaf.path
        texts = [d.text for d in resolve_documents(leaf.document, TAXONOMY)]
        for seed in leaf.seed_examples:
            context = (seed.context or "").strip()
            assert any(context in text for text in texts), f"{leaf.path} {seed.id}: context not in the documents"
            assert 80 <= len(context.split()) <= 200, f"{leaf.path} {seed.id}: {len(context.split())} words"
            assert len(seed.qna) == 3, f"{leaf.path} {seed.id}"


def test_pinned_documents_are_the_committed_working_tree_documents(leaves: list[Leaf]) -> None:
    for leaf in (x for x in leaves if x.kind == KNOWLEDGE):
        assert leaf.document is not None
        documents = resolve_documents(leaf.document, TAXONOMY)
        assert documents, leaf.path
        for document in documents:
            words = len(document.text.split())
            assert 600 <= words <= 1500, f"{document.path}: {words} words"
            assert (REPO / document.path).read_text(encoding="utf-8") == document.text, (
                f"{document.path} differs from the commit {leaf.path} pins; commit it and update the sha")


def test_every_leaf_has_an_attribution_with_the_five_fields(leaves: list[Leaf]) -> None:
    for leaf in leaves:
        text = (Path(leaf.file).parent / "attribution.txt").read_text(encoding="utf-8")
        fields = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
        assert all(fields.get(name, "").strip() for name in ATTRIBUTION_FIELDS), (leaf.path, fields)


def _docs_yaml_blocks() -> list[str]:
    text = DOCS.read_text(encoding="utf-8")
    return [b for b in re.findall(r"^```yaml\n(.*?)^```", text, re.S | re.M) if b.startswith("version:")]


def test_complete_skill_examples_in_the_docs_are_valid_leaves(tmp_path: Path) -> None:
    blocks = [b for b in _docs_yaml_blocks() if "task_description" in b]
    assert len(blocks) == 3  # freeform, grounded, foundational
    files = []
    for index, block in enumerate(blocks):
        branch = "foundational_skills" if "logic puzzles" in block else "compositional_skills"
        leaf_dir = tmp_path / branch / f"example_{index}"
        leaf_dir.mkdir(parents=True)
        (leaf_dir / "qna.yaml").write_text(block, encoding="utf-8")
        (leaf_dir / "attribution.txt").write_text("Title of work: docs example\n", encoding="utf-8")
        files.append(leaf_dir / "qna.yaml")
    reports = validate([tmp_path])
    assert {r.path: r.problems for r in reports if r.problems} == {}
    assert sorted(r.kind for r in reports) == sorted([FREEFORM_SKILL, GROUNDED_SKILL, FREEFORM_SKILL])
    haiku = TAXONOMY / "compositional_skills/writing/freeform/poetry/haiku/qna.yaml"
    assert haiku.read_text(encoding="utf-8") in blocks


def test_knowledge_example_in_the_docs_is_taken_from_the_real_leaf() -> None:
    (block,) = [b for b in _docs_yaml_blocks() if "document_outline" in b]
    shown = yaml.safe_load(block)
    real = yaml.safe_load((TAXONOMY / "knowledge/science/earth_science/water_cycle/qna.yaml").read_text("utf-8"))
    assert {k: v for k, v in shown.items() if k != "seed_examples"} == \
        {k: v for k, v in real.items() if k != "seed_examples"}
    assert shown["seed_examples"] and all(seed in real["seed_examples"] for seed in shown["seed_examples"])
