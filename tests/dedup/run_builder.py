"""Builds synthetic run directories (the OUT layout of docs/formats.md) for dedup and report tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from labgen.hashing import short_id
from labgen.jsonl import write_json_atomic, write_jsonl_atomic

BRANCH_OF_KIND = {"freeform_skill": "compositional_skills", "grounded_skill": "compositional_skills",
                  "knowledge": "knowledge"}


def make_sample(leaf: str, question: str, answer: str = "An answer.", *, kind: str = "freeform_skill",
                context: str | None = None, score: float = 0.8, tokens: int = 100) -> dict[str, Any]:
    user = f"{context}\n\n{question}" if context else question
    return {
        "id": "s-" + short_id({"leaf": leaf, "q": question, "a": answer, "c": context}),
        "leaf": leaf, "branch": BRANCH_OF_KIND[kind], "kind": kind,
        "messages": [{"role": "user", "content": user}, {"role": "assistant", "content": answer}],
        "question": question, "answer": answer, "context": context,
        "answer_style": "short" if kind == "knowledge" else None,
        "critic": {"score": score, "verdicts": {"pair_quality": {"pass": True, "score": score, "reason": "ok",
                                                                  "confidence": 0.9}}},
        "provenance": {"leaf_path": leaf, "seed_ids": ["seed-0"], "tokens": {"prompt": tokens, "completion": 20}},
    }


def make_reject(leaf: str, stage: str, reason: str, question: str = "q", kind: str = "freeform_skill") -> dict[str, Any]:
    return {"id": "r-" + short_id({"leaf": leaf, "stage": stage, "q": question}), "leaf": leaf, "kind": kind,
            "stage": stage, "reason": reason, "raw": None,
            "fields": {"question": question, "answer": None, "context": None}, "duplicate_of": None}


def write_run(out: Path, samples: Mapping[str, Sequence[Mapping[str, Any]]], *,
              rejects: Mapping[str, Sequence[Mapping[str, Any]]] | None = None, taxonomy: Path | None = None,
              prompt_tokens: int = 1000, completion_tokens: int = 200) -> Path:
    """Write samples.jsonl, rejects.jsonl, stats.json per leaf and run.json; returns out."""
    rejects = rejects or {}
    run_leaves: dict[str, Any] = {}
    for leaf in sorted(set(samples) | set(rejects)):
        kept, dropped = list(samples.get(leaf, ())), list(rejects.get(leaf, ()))
        write_jsonl_atomic(out / leaf / "samples.jsonl", kept)
        if dropped:
            write_jsonl_atomic(out / leaf / "rejects.jsonl", dropped)
        by: dict[str, int] = {}
        for row in dropped:
            by[f"{row['stage']}/{row['reason']}"] = by.get(f"{row['stage']}/{row['reason']}", 0) + 1
        kind = (kept or dropped or [{"kind": "freeform_skill"}])[0]["kind"]
        write_json_atomic(out / leaf / "stats.json", {
            "leaf": leaf, "kind": kind, "generated": len(kept) + len(dropped), "kept": len(kept),
            "rejected": len(dropped), "rejected_by": by,
            "teacher": {"total": {"requests": 10, "prompt_tokens": prompt_tokens,
                                  "completion_tokens": completion_tokens}, "stages": {}},
            "elapsed_s": 1.5})
        run_leaves[leaf] = {"generated": len(kept) + len(dropped), "kept": len(kept), "rejected": len(dropped)}
    write_json_atomic(out / "run.json", {
        "labgen_version": "0.1.0", "taxonomy": str(taxonomy) if taxonomy else None, "taxonomy_commit": None,
        "teacher": {"backend": "fake"}, "parameters": {}, "seed": 42, "leaves": run_leaves,
        "tokens": {"prompt": prompt_tokens * len(run_leaves), "completion": completion_tokens * len(run_leaves)},
        "started_at": "2026-01-01T00:00:00Z", "finished_at": "2026-01-01T00:01:00Z", "elapsed_s": 60.0})
    return out
