"""Content-addressed work units and the store of finished ones.

A unit is the smallest piece of a leaf's generation that is kept on its own: for skills, one seed
window generating up to its target; for knowledge, one (chunk, seed example) pair. Its id hashes every
input that shapes its output (leaf content, templates, teacher, parameters, run seed, unit index), so a
finished unit found on disk is exactly what a new run would produce, and is reused.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labgen.errors import OutputError
from labgen.generate.chunking import Chunk
from labgen.hashing import content_hash, short_id
from labgen.jsonl import write_texts_atomic

UNITS_DIR = Path(".labgen") / "units"
UNIT_FORMAT = 2  # 2: results hold sample records (labgen.curate.record)


@dataclass(frozen=True)
class WorkUnit:
    leaf_path: str
    kind: str
    index: int
    id: str
    seed_ids: tuple[str, ...]  # seed examples shown in this unit's prompts, in prompt order
    focus: int  # 1-based position (in seed_ids) of the example the unit models most closely
    target: int  # kept samples the unit aims for
    max_rounds: int
    per_request: int
    contexts_per_round: int = 1
    questions_per_context: int = 1
    chunk: Chunk | None = None  # knowledge units: the document chunk
    knowledge_seed: str | None = None  # knowledge units: the seed example paired with the chunk
    templates: tuple[str, ...] = field(default=())
    # What the unit's request seeds derive from: its place in the leaf, never the critic or system prompt,
    # so curation settings leave every request (and its stored answer) as it was.
    request_key: str = ""


def unit_address(*, leaf_hash: str, kind: str, index: int, seed_ids: tuple[str, ...], focus: int,
                 templates: dict[str, str], teacher: dict[str, Any], parameters: dict[str, Any], seed: int,
                 chunk_sha256: str | None, knowledge_seed: str | None, target: int) -> str:
    """The content address of a unit: equal inputs, equal id (its target included: a top-up unit's
    target depends on what dedup left)."""
    return "u-" + short_id({"format": UNIT_FORMAT, "leaf": leaf_hash, "kind": kind, "index": index,
                            "seeds": list(seed_ids), "focus": focus, "templates": templates, "teacher": teacher,
                            "parameters": parameters, "seed": seed, "chunk": chunk_sha256,
                            "knowledge_seed": knowledge_seed, "target": target}, 24)


def unit_request_key(*, leaf_hash: str, kind: str, index: int, seed_ids: tuple[str, ...], focus: int,
                     chunk_sha256: str | None, knowledge_seed: str | None) -> str:
    """The teacher-side identity of a unit: what its prompts are built from, for its request seeds."""
    return short_id({"leaf": leaf_hash, "kind": kind, "index": index, "seeds": list(seed_ids), "focus": focus,
                     "chunk": chunk_sha256, "knowledge_seed": knowledge_seed}, 24)


def request_seed(run_seed: int, unit_id: str, *slot: object) -> int:
    """A per-request sampling seed derived from the run seed, the unit and the request's place in it."""
    return int(content_hash([run_seed, unit_id, *[str(s) for s in slot]])[:8], 16) & 0x7FFFFFFF


class UnitStore:
    """Finished units under OUT/.labgen/units/<leaf path>/<unit id>.json, each written atomically."""

    def __init__(self, out_dir: Path) -> None:
        self.root = Path(out_dir) / UNITS_DIR

    def path(self, leaf_path: str, unit_id: str) -> Path:
        return self.root / leaf_path / f"{unit_id}.json"

    def load(self, leaf_path: str, unit_id: str) -> dict[str, Any] | None:
        """A finished, complete unit, or None (missing, torn by a crash, or marked incomplete)."""
        path = self.path(leaf_path, unit_id)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return None  # unreadable: regenerate it
        if not isinstance(data, dict) or data.get("unit") != unit_id or not data.get("complete", False):
            return None
        if "records" not in data:  # written by an older labgen
            return None
        return data

    def save_many(self, units: Sequence[tuple[str, str, dict[str, Any]]]) -> None:
        """Store each (leaf path, unit id, result), each file atomically, one fsync per folder; keys keep
        their order so reassembled JSONL is byte-identical to a fresh run's."""
        write_texts_atomic([(self.path(leaf_path, unit_id), json.dumps(result, ensure_ascii=False) + "\n")
                            for leaf_path, unit_id, result in units])

    def prune(self, leaf_path: str, keep: set[str]) -> int:
        """Remove units of the leaf that the current plan no longer uses. Returns how many went."""
        folder = self.root / leaf_path
        removed = 0
        if not folder.is_dir():
            return 0
        for path in folder.glob("u-*.json"):
            if path.stem not in keep:
                try:
                    path.unlink()
                    removed += 1
                except OSError as exc:
                    raise OutputError(f"cannot remove a stale work unit: {exc}", path=path) from None
        for tmp in folder.glob(".u-*.tmp"):  # a killed writer's leftovers
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return removed

    def remove_leaf(self, leaf_path: str) -> None:
        folder = self.root / leaf_path
        if folder.is_dir():
            for path in folder.glob("*"):
                if path.is_file():
                    path.unlink()
