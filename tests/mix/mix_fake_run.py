"""Fake `labgen generate` run directories for the mix tests: samples.jsonl per leaf, and run.json."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from labgen.hashing import short_id
from labgen.jsonl import dumps, write_json_atomic

BRANCH_OF_KIND = {"knowledge": "knowledge", "freeform_skill": "compositional_skills",
                  "grounded_skill": "compositional_skills"}


def sample(leaf: str, index: int, *, kind: str | None = None, answer_style: str | None = None,
           question: str | None = None, answer: str | None = None,
           messages: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """One sample row in the shape docs/formats.md gives for samples.jsonl."""
    branch = leaf.split("/", 1)[0]
    if kind is None:
        kind = "knowledge" if branch == "knowledge" else "freeform_skill"
    if kind == "knowledge" and answer_style is None:
        answer_style = "short" if index % 2 == 0 else "long"
    question = question if question is not None else f"Question {index} about {leaf}?"
    answer = answer if answer is not None else f"Answer {index} for {leaf}."
    if messages is None:
        messages = [{"role": "system", "content": "You are a helpful assistant."},
                    {"role": "user", "content": question},
                    {"role": "assistant", "content": answer}]
    return {
        "id": f"s-{short_id([leaf, index])}",
        "leaf": leaf, "branch": branch, "kind": kind, "messages": messages,
        "question": question, "answer": answer, "context": None,
        "answer_style": answer_style if kind == "knowledge" else None,
        "critic": {"score": 0.9, "verdicts": {}},
        "provenance": {"leaf_path": leaf, "seed": 42, "tokens": {"prompt": 10, "completion": 5}},
    }


def leaf_rows(leaf: str, count: int, **kwargs: Any) -> list[dict[str, Any]]:
    return [sample(leaf, index, **kwargs) for index in range(count)]


def write_run(run_dir: Path, rows: Iterable[dict[str, Any]], *, with_run_json: bool = True) -> Path:
    """Write rows to <run_dir>/<leaf>/samples.jsonl, grouped by their `leaf`, keeping their order."""
    by_leaf: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_leaf.setdefault(row["leaf"], []).append(row)
    for leaf, leaf_samples in by_leaf.items():
        path = run_dir / leaf / "samples.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        # labgen.jsonl's serializer, without the fsync of its atomic writer: tests write many runs.
        path.write_text("".join(dumps(row) + "\n" for row in leaf_samples), encoding="utf-8")
    if with_run_json:
        write_json_atomic(run_dir / "run.json", {
            "labgen_version": "test", "seed": 42,
            "leaves": {leaf: {"kept": len(rs)} for leaf, rs in sorted(by_leaf.items())}})
    return run_dir


def write_sized_run(run_dir: Path, sizes: Sequence[tuple[str, int]]) -> Path:
    """A run whose leaves have the given numbers of rows."""
    return write_run(run_dir, [row for leaf, n in sizes for row in leaf_rows(leaf, n)])


def read_rows(path: Path) -> list[dict[str, Any]]:
    from labgen.jsonl import read_jsonl

    return list(read_jsonl(path))
