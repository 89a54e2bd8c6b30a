"""`curate(out_dir, config)`: re-apply curation to a finished run with new settings, from its stored records.

What a fresh `labgen generate` with these settings would keep, in seconds and without the teacher when the
store holds every judgment the settings need. Only curation settings may differ from the run's (critic
thresholds, the system prompt of the training rows, dedup and decontamination): a setting that changes
what is generated is an error that says to run `labgen generate`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from labgen.curate.inputs import has_manifests, load_leaf, read_manifests
from labgen.curate.run import PassResult, Settings, TeacherSource, curation_pass, without_cyclic_gc
from labgen.curate.writer import RUN, LeafCounts, read_json, write_run
from labgen.dedup.config import DedupConfig, dedup_config_from_dict
from labgen.dedup.decontaminate import EvalItem
from labgen.errors import ConfigError, OutputError
from labgen.generate.config import GenerateConfig
from labgen.teachers.base import Teacher

# GenerateConfig settings that curation applies; every other one shapes what is generated.
CURATION_SETTINGS = ("critic", "system_prompt", "dedup", "decontaminate", "max_active_units", "check_process",
                     "abort_after_failures")


@dataclass(frozen=True)
class CurateResult:
    out_dir: Path
    run_json: Path
    leaves: dict[str, LeafCounts]
    passed: PassResult
    elapsed_s: float

    @property
    def notes(self) -> tuple[str, ...]:
        return self.passed.notes

    @property
    def needs_generation(self) -> bool:
        return any(leaf.units_needing_generation for leaf in self.passed.leaves.values())


def config_from_run(parameters: Mapping[str, Any]) -> GenerateConfig:
    """The GenerateConfig a run recorded (run.json "parameters"); settings this version lacks are ignored."""
    base = GenerateConfig()
    values: dict[str, Any] = {}
    for f in fields(GenerateConfig):
        if f.name not in parameters:
            continue
        value = parameters[f.name]
        if f.name == "stage_params":
            value = tuple((stage, p["temperature"], p["max_tokens"]) for stage, p in value.items())
        elif f.name == "leaf_overrides":
            value = tuple((pattern, tuple(sorted(settings.items()))) for pattern, settings in value.items())
        elif f.name == "critic":
            value = base.critic.with_overrides(**value)
        elif isinstance(getattr(base, f.name), tuple):
            value = tuple(value)
        values[f.name] = value
    return replace(base, **values)


def generation_changes(run: GenerateConfig, new: GenerateConfig) -> list[str]:
    """Settings that shape generation and differ between the run and `new`."""
    old_values = json.loads(json.dumps(run.as_dict()))
    new_values = json.loads(json.dumps(new.as_dict()))
    return [f"{name}: {old_values.get(name)!r} -> {new_values.get(name)!r}" for name in new_values
            if name not in CURATION_SETTINGS and old_values.get(name) != new_values.get(name)]


def read_run(out_dir: Path) -> dict[str, Any]:
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise OutputError("run directory not found", path=out_dir, hint="pass the OUT folder of `labgen generate`")
    if not has_manifests(out_dir):
        raise OutputError("no stored work units with sample records in this folder", path=out_dir,
                          hint="curate works on the OUT folder of `labgen generate` (run it once with this labgen)")
    run = read_json(out_dir / RUN)
    if run is None:
        raise OutputError("no readable run.json", path=out_dir / RUN, hint="run `labgen generate` to finish the run")
    return run


def curate(out_dir: Path, config: GenerateConfig | None = None, *, dedup: DedupConfig | None = None,
           eval_items: Sequence[EvalItem] | None = None, seeds: Mapping[str, Sequence[Any]] | None = None,
           teacher: Teacher | TeacherSource | None = None, answer_store: Path | bool = True) -> CurateResult:
    """Curate the finished run in `out_dir` again under `config` (default: the run's own settings).

    `dedup`: the dedup settings (default: the run's; none when `config.dedup` is off). `eval_items`: the
    evaluation items to decontaminate against (default: those of `config.decontaminate`). `seeds`: dedup's
    seed texts by leaf (default: each leaf's seed examples as generated). `teacher`: asked
    only for judgments the settings need and the answer store lacks (a Teacher, or a function that builds
    one on first need); None reports them instead. `answer_store`: True for OUT/.labgen/answers.sqlite.
    """
    from labgen.dedup.decontaminate import load_eval_items
    from labgen.store import AnswerStore, StoredTeacher

    started = time.monotonic()
    out_dir = Path(out_dir)
    run = read_run(out_dir)
    recorded = config_from_run(run.get("parameters") or {})
    config = (config or recorded).validated()
    changes = generation_changes(recorded, config)
    if changes:
        raise ConfigError("these settings change what is generated, which curation cannot do: " + "; ".join(changes),
                          hint="run `labgen generate` with them (it reuses every stored answer), or curate with "
                               "the run's generation settings")
    if not config.dedup:
        dedup = None
    elif dedup is None:
        dedup = dedup_config_from_dict(run["dedup"]) if run.get("dedup") else DedupConfig()
    if eval_items is None:
        eval_items = load_eval_items(config.decontaminate) if config.decontaminate and dedup else ()
    store_path = out_dir / ".labgen" / "answers.sqlite" if answer_store is True else answer_store or None
    store = AnswerStore(store_path) if store_path is not None and Path(store_path).exists() else None

    def ask_teacher() -> Teacher:
        live = teacher() if callable(teacher) and not isinstance(teacher, Teacher) else teacher
        assert live is not None
        return StoredTeacher(live, store) if store is not None else live

    settings = Settings(critic=config.critic, system_prompt=config.system_prompt, dedup=dedup,
                        eval_items=tuple(eval_items), seeds=seeds)
    try:
        with without_cyclic_gc():
            inputs = [load_leaf(out_dir, info) for info in read_manifests(out_dir)]
            passed = curation_pass(out_dir, inputs, settings, store=store,
                                   teacher=ask_teacher if teacher is not None else None)
            del inputs
    finally:
        if store is not None:
            store.close()
    elapsed = time.monotonic() - started
    leaves = {path: leaf.counts for path, leaf in passed.leaves.items()}
    run.update({"parameters": config.as_dict(), "dedup": None if dedup is None else dedup.as_dict(),
                "leaves": {path: counts.as_dict() for path, counts in leaves.items()},
                "curation": {**passed.summary(),
                             "curated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                             "elapsed_s": round(elapsed, 3)}})
    run["notes"] = [note for note in run.get("notes") or [] if not note.startswith("curate: ")] + [
        f"curate: {note}" for note in passed.notes]
    return CurateResult(out_dir=out_dir, run_json=write_run(out_dir, run), leaves=leaves, passed=passed,
                        elapsed_s=elapsed)


def dedup_again(out_dir: Path, config: DedupConfig, *, seeds: Mapping[str, Sequence[Any]] | None = None,
                eval_items: Sequence[EvalItem] | None = None) -> Any:
    """`labgen dedup` on a generate run: the run curated again with its settings and this dedup config;
    returns the DedupReport."""
    recorded = replace(config_from_run(read_run(out_dir).get("parameters") or {}), dedup=True)
    return curate(out_dir, recorded, dedup=config, eval_items=eval_items, seeds=seeds).passed.dedup
