"""Markdown-aware chunking and fitting prompts into the teacher's context window."""

from __future__ import annotations

from pathlib import Path

from labgen.generate.chunking import chunk_document, split_blocks
from labgen.generate.config import GenerateConfig
from labgen.generate.plan import fit_seed_count, knowledge_chunk_tokens, plan_leaf
from labgen.generate.selection import leaf_documents, select_leaves
from labgen.tokens import estimate_message_tokens, estimate_tokens
from tests.generate.conftest import FREEFORM, KNOWLEDGE

DOC = "# Title\n\nIntro paragraph one.\n\n## Part A\n\n" + " ".join(f"Sentence {i} about part A." for i in range(60)) \
    + "\n\n```python\ndef f():\n\n    return 1\n```\n\n## Part B\n\nShort closing paragraph about part B.\n"


def test_blocks_keep_fenced_code_whole_and_headings_apart() -> None:
    blocks = split_blocks(DOC)
    assert blocks[0] == "# Title"
    assert "```python\ndef f():\n\n    return 1\n```" in blocks
    assert "## Part B" in blocks


def test_chunks_are_bounded_overlap_and_carry_their_heading() -> None:
    chunks = chunk_document(DOC, "repo@abc:doc.md", max_tokens=120, overlap_tokens=30)
    assert len(chunks) >= 3
    assert [c.index for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert estimate_tokens(chunk.text) <= 120 + 16  # the bound, plus the prepended heading
        assert chunk.text.startswith("#")  # every chunk starts at its heading
    body = [c for c in chunks if c.text.startswith("## Part A")]
    assert len(body) >= 2
    first_tail = body[0].text.split("\n\n")[-1].split(". ")[-1]
    assert first_tail in body[1].text  # consecutive chunks overlap
    assert "Short closing paragraph" in chunks[-1].text
    again = chunk_document(DOC, "repo@abc:doc.md", max_tokens=120, overlap_tokens=30)
    assert [c.sha256 for c in again] == [c.sha256 for c in chunks]


def test_a_small_window_shrinks_chunks_and_seed_examples(taxonomy: Path) -> None:
    leaves = {leaf.path: leaf for leaf in select_leaves(taxonomy).leaves}
    config = GenerateConfig()
    wide = knowledge_chunk_tokens(leaves[KNOWLEDGE], config, 8192, estimate_message_tokens)
    narrow = knowledge_chunk_tokens(leaves[KNOWLEDGE], config, 1500, estimate_message_tokens)
    assert wide == config.chunk_tokens and 0 < narrow < wide
    assert fit_seed_count(leaves[FREEFORM], config, 8192, estimate_message_tokens) == 5
    assert fit_seed_count(leaves[FREEFORM], config, 520, estimate_message_tokens) < 5
    knowledge = leaves[KNOWLEDGE]
    plan = plan_leaf(knowledge, config, teacher_identity={"model": "m"}, window=1500,
                     count_tokens=estimate_message_tokens, documents=leaf_documents(knowledge, taxonomy))
    assert plan.units and all(estimate_tokens(u.chunk.text) <= narrow + 16 for u in plan.units if u.chunk)
