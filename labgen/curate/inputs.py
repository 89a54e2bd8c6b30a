"""What curation reads: each leaf's manifest (its kind, seed examples and planned units, written by
generate before the units run) and its units' stored results with their sample records.

The manifest lives beside the units, OUT/.labgen/units/<leaf path>/leaf.json, so curation needs neither
the taxonomy nor the teacher: the seed examples serve dedup against seeds and, when a judgment must be
asked again, the judges' prompts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from labgen.critic.config import CriticConfig
from labgen.curate.record import RecordTables, SampleRecord
from labgen.generate.units import UNITS_DIR
from labgen.jsonl import write_json_atomic
from labgen.taxonomy.leaf import QnA, SeedExample

MANIFEST = "leaf.json"
MANIFEST_FORMAT = 1


@dataclass(frozen=True)
class LeafInfo:
    """A leaf as its run generated it: kind, description, seed examples, and its planned units in order."""

    path: str
    kind: str
    branch: str
    content_hash: str
    description: str
    seed_examples: tuple[SeedExample, ...]
    units: tuple[str, ...]  # the planned units, then any top-up units
    planned: int = 0  # how many of `units` the plan made (the rest are top-ups); 0: all
    target: int = 0  # kept samples the leaf wants (0: unknown, no top-up rule)
    per_unit: int = 1  # kept samples one unit aims for

    @classmethod
    def from_leaf(cls, leaf: Any, unit_ids: tuple[str, ...], *, planned: int = 0, target: int = 0,
                  per_unit: int = 1) -> LeafInfo:
        return cls(path=leaf.path, kind=leaf.kind, branch=leaf.branch, content_hash=leaf.content_hash,
                   description=leaf.description, seed_examples=tuple(leaf.seed_examples), units=unit_ids,
                   planned=planned, target=target, per_unit=per_unit)

    def as_json(self) -> dict[str, Any]:
        return {"format": MANIFEST_FORMAT, "leaf": self.path, "kind": self.kind, "branch": self.branch,
                "content_hash": self.content_hash, "description": self.description,
                "seed_examples": [{"id": s.id, "context": s.context, "qna": [[q.question, q.answer] for q in s.qna]}
                                  for s in self.seed_examples],
                "units": list(self.units), "planned": self.planned, "target": self.target,
                "per_unit": self.per_unit}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LeafInfo:
        return cls(path=data["leaf"], kind=data["kind"], branch=data["branch"], content_hash=data["content_hash"],
                   description=data["description"],
                   seed_examples=tuple(SeedExample(id=s["id"], context=s.get("context"),
                                                   qna=tuple(QnA(q, a) for q, a in s["qna"]))
                                       for s in data["seed_examples"]),
                   units=tuple(data["units"]), planned=int(data.get("planned", 0)),
                   target=int(data.get("target", 0)), per_unit=int(data.get("per_unit", 1)))

    def skill_examples(self, seed_ids: tuple[str, ...]) -> list[dict[str, str]]:
        """The seed examples a skill unit's prompts show, as its templates take them (UnitWork's)."""
        by_id = {seed.id: seed for seed in self.seed_examples}
        return [{"id": s.id, "question": s.qna[0].question, "answer": s.qna[0].answer, "context": s.context or ""}
                for s in (by_id[seed_id] for seed_id in seed_ids)]


@dataclass(frozen=True)
class UnitInfo:
    """One stored unit: its place and settings, and its sample records in slot order."""

    id: str
    leaf: str
    kind: str
    branch: str
    leaf_hash: str
    index: int
    complete: bool
    target: int
    max_rounds: int
    rounds: int  # rounds the unit started
    seed: int  # the run seed
    seed_key: str  # what its request seeds derive from
    seed_ids: tuple[str, ...]
    taxonomy_commit: str | None
    teacher_identity: Mapping[str, Any]
    critic: CriticConfig  # the settings its in-unit decisions were made under
    templates: Mapping[str, Mapping[str, str]]  # template id -> {"id", "sha256"} of every template it used
    records: tuple[SampleRecord, ...]
    requests: int
    tokens: tuple[int, int]
    accounting: Mapping[str, Any]
    asks: tuple[Mapping[str, int], ...] = ()  # each round's counts as asked
    shape: Mapping[str, Any] | None = None  # per_request, contexts_per_round, questions_per_context, styles

    @classmethod
    def from_result(cls, result: Mapping[str, Any]) -> UnitInfo:
        leaf, kind, unit = result["leaf"], result["kind"], result["unit"]
        tables = RecordTables.from_unit(result)
        return cls(id=unit, leaf=leaf, kind=kind, branch=result["branch"], leaf_hash=result["leaf_hash"],
                   index=int(result["index"]), complete=bool(result.get("complete")), target=int(result["target"]),
                   max_rounds=int(result["max_rounds"]), rounds=int(result["rounds"]), seed=int(result["seed"]),
                   seed_key=result["seed_key"], seed_ids=tuple(result["seed_ids"]),
                   taxonomy_commit=result.get("taxonomy_commit"), teacher_identity=result["teacher_identity"],
                   critic=critic_from_json(result.get("critic") or {}), templates=result.get("templates") or {},
                   records=tuple([tables.decode(r, leaf=leaf, kind=kind, unit=unit) for r in result["records"]]),
                   requests=int(result.get("requests", 0)),
                   tokens=(int(result["tokens"]["prompt"]), int(result["tokens"]["completion"])),
                   accounting=result.get("teacher") or {}, asks=tuple(result.get("asks") or ()),
                   shape=result.get("shape"))


@dataclass(frozen=True)
class LeafInput:
    info: LeafInfo
    units: tuple[UnitInfo, ...]  # in index order
    missing: tuple[str, ...] = ()  # planned units with no stored result (a run killed before they finished)


def critic_from_json(data: Mapping[str, Any]) -> CriticConfig:
    """The critic settings a unit recorded (settings this version does not know are ignored). Equal
    settings give the same object, so the steps' caches can key on it cheaply."""
    known = {f.name for f in fields(CriticConfig)}
    values = {k: v for k, v in data.items() if k in known}
    if "blocklist" in values:
        values["blocklist"] = tuple(values["blocklist"] or ())
    return _interned(CriticConfig(**values))


@lru_cache(maxsize=64)
def _interned(config: CriticConfig) -> CriticConfig:
    return config


def manifest_path(out_dir: Path, leaf_path: str) -> Path:
    return Path(out_dir) / UNITS_DIR / leaf_path / MANIFEST


def write_manifest(out_dir: Path, info: LeafInfo) -> None:
    write_json_atomic(manifest_path(out_dir, info.path), info.as_json())


def has_manifests(out_dir: Path) -> bool:
    return next((Path(out_dir) / UNITS_DIR).rglob(MANIFEST), None) is not None


def read_manifests(out_dir: Path) -> list[LeafInfo]:
    """Every leaf of the run that has a manifest, sorted by path."""
    infos = []
    for path in (Path(out_dir) / UNITS_DIR).rglob(MANIFEST):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # torn by a crash: the next generate writes it again
        if isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT:
            infos.append(LeafInfo.from_json(data))
    return sorted(infos, key=lambda info: info.path)


def load_leaf(out_dir: Path, info: LeafInfo) -> LeafInput:
    """The leaf's planned units as stored (finished or not); planned units never stored are `missing`."""
    folder = Path(out_dir) / UNITS_DIR / info.path
    units, missing = [], []
    for unit_id in info.units:
        try:
            result = json.loads((folder / f"{unit_id}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            missing.append(unit_id)
            continue
        if not isinstance(result, dict) or result.get("unit") != unit_id or "records" not in result:
            missing.append(unit_id)
            continue
        units.append(UnitInfo.from_result(result))
    return LeafInput(info, tuple(sorted(units, key=lambda u: u.index)), tuple(missing))
