"""What text of a sample (or seed example) dedup compares, and reading the seed examples of a run's leaves.

freeform skill: the question (the instruction is the data; two answers to one instruction are a duplicate).
grounded skill: the question, namespaced by its context (the same question on another context is new).
knowledge: question and answer together (the same question answered from another chunk may be new).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from labgen.dedup.items import DedupItem, SeedText
from labgen.dedup.normalize import exact_key, normalize_text
from labgen.jsonl import read_jsonl
from labgen.taxonomy.leaf import Leaf

SeedInput = str | SeedText


def context_namespace(context: str | None) -> str:
    return "ctx:" + exact_key(normalize_text(context)) if context else ""


def sample_item(row: Mapping[str, Any], leaf: str) -> DedupItem:
    """The dedup text of one samples.jsonl row."""
    question = str(row.get("question") or "")
    kind = row.get("kind")
    if kind == "knowledge":
        return DedupItem(text=f"{question}\n{row.get('answer') or ''}", scope=leaf)
    if kind == "grounded_skill":
        return DedupItem(text=question, scope=leaf, namespace=context_namespace(row.get("context")))
    return DedupItem(text=question, scope=leaf)


def seed_item(seed: SeedInput, leaf: str) -> DedupItem:
    if isinstance(seed, SeedText):
        return DedupItem(text=seed.text, scope=leaf, namespace=context_namespace(seed.context), reference=True)
    return DedupItem(text=seed, scope=leaf, reference=True)


def seeds_from_qna(data: Any) -> list[SeedText]:
    """Seed texts of a parsed qna.yaml, in file order, the same way sample_item reads samples."""
    seeds: list[SeedText] = []
    examples = data.get("seed_examples") if isinstance(data, dict) else None
    for number, example in enumerate(examples if isinstance(examples, list) else []):
        if not isinstance(example, dict):
            continue
        qnas = example.get("questions_and_answers")
        if isinstance(qnas, list):  # knowledge: each question and answer of the excerpt
            seeds.extend(SeedText(f"{q.get('question') or ''}\n{q.get('answer') or ''}", id=f"seed-{number}")
                         for q in qnas if isinstance(q, dict))
        elif isinstance(example.get("question"), str):
            seeds.append(SeedText(example["question"], example.get("context") or None, id=f"seed-{number}"))
    return seeds


def seeds_from_leaves(leaves: Iterable[Leaf]) -> dict[str, list[SeedText]]:
    """Seed texts of loaded taxonomy leaves, for dedup_run(seeds=...) (ids seed-N follow this order)."""
    return {leaf.path: [SeedText(f"{qna.question}\n{qna.answer}", id=example.id) if leaf.kind == "knowledge"
                        else SeedText(qna.question, example.context or None, id=example.id)
                        for example in leaf.seed_examples for qna in example.qna]
            for leaf in leaves}


def load_run_seeds(out_dir: Path, leaves: Sequence[str]) -> tuple[dict[str, list[SeedText]], list[str]]:
    """Seeds of each leaf from the run's taxonomy (run.json "taxonomy"); returns (seeds, warnings)."""
    warnings: list[str] = []
    run_file = out_dir / "run.json"
    if not run_file.is_file():
        return {}, ["no run.json: dedup against seeds skipped"]
    try:
        run = json.loads(run_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return {}, [f"{run_file}: unreadable ({exc}); dedup against seeds skipped"]
    taxonomy = run.get("taxonomy") if isinstance(run, dict) else None
    if not taxonomy:
        return {}, [f"{run_file}: no taxonomy path; dedup against seeds skipped"]
    root = Path(str(taxonomy))
    if not root.is_absolute() and not root.is_dir():
        root = out_dir.parent / root
    seeds: dict[str, list[SeedText]] = {}
    for leaf in leaves:
        qna = root / leaf / "qna.yaml"
        try:
            seeds[leaf] = seeds_from_qna(yaml.safe_load(qna.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            warnings.append(f"{qna}: seeds not read ({type(exc).__name__}); this leaf is not checked against its seeds")
    return seeds, warnings


def read_leaf_samples(out_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """Every leaf's samples.jsonl under a run directory, leaves sorted by path (the keep-first order)."""
    leaves: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(out_dir.rglob("samples.jsonl")):
        leaf = path.parent.relative_to(out_dir).as_posix()
        if leaf.startswith(".") or "/." in leaf or leaf == ".":
            continue
        leaves[leaf] = list(read_jsonl(path))
    return dict(sorted(leaves.items()))
