"""Arbitrary qna.yaml-shaped structures go through schema, lint and Leaf building without an exception."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from labgen.taxonomy.leaf import LeafReport
from labgen.taxonomy.walk import load_leaf

_KEYS = ["version", "created_by", "task_description", "domain", "document_outline", "document", "seed_examples",
         "question", "answer", "context", "questions_and_answers", "repo", "commit", "patterns", "extra"]
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2, 5), st.text(max_size=12),
                     st.sampled_from(["", " ", "Q?", "q?", "A.", "3"]))
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=7), st.dictionaries(st.sampled_from(_KEYS), inner, max_size=6)), max_leaves=40)
_documents = st.dictionaries(st.sampled_from(_KEYS), _values, min_size=1, max_size=8)


@settings(max_examples=100, deadline=None)
@given(_documents, st.sampled_from(["knowledge", "compositional_skills", "foundational_skills"]))
def test_any_structure_gives_a_report(tmp_path_factory: pytest.TempPathFactory, document: dict[str, object],
                                      branch: str) -> None:
    folder = tmp_path_factory.getbasetemp() / "fuzz" / branch / "leaf"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "qna.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    report = load_leaf(folder / "qna.yaml")
    assert isinstance(report, LeafReport)
    assert all(p.severity in ("error", "warning") and p.message for p in report.problems)
    if report.leaf is not None:
        assert report.leaf.seed_examples and all(s.qna for s in report.leaf.seed_examples)
    else:
        assert not report.valid
