"""`mix`: write one training file per phase of a recipe, streaming, plus `mix_manifest.json`.

Each phase file is written in one pass: its sources in recipe order, leaves in path order, rows in
file order (only the selected ones are parsed), with the replay rows read back from earlier phase
files and spread evenly through it. Memory does not grow with the input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any, NamedTuple

from labgen import __version__
from labgen.errors import OutputError
from labgen.hashing import sha256_file
from labgen.jsonl import write_json_atomic, write_lines_atomic
from labgen.mix.allocation import RowSelector, seeded_rng
from labgen.mix.field_reader import PickedFields, pick_fields
from labgen.mix.inventory import answer_style_of, complete_lines, scan_run
from labgen.mix.length_guard import LengthGuard
from labgen.mix.plan import EXTERNAL_KIND, LeafTake, PhasePlan, ReplayTake, plan_recipe, plan_replay, unmatched_rows
from labgen.mix.recipe import ON_EMPTY_ERROR, Recipe, load_recipe
from labgen.mix.tokenizer import ChatTokenizer, load_tokenizer
from labgen.mix.training_rows import (TOO_LONG, Dropped, SystemPrompt, conversation_turns, encode_row,
                                      metadata_of, too_long)

MANIFEST_FILE = "mix_manifest.json"
_REPLAYED_TAIL = b'"replayed":true}}\n'  # how a replayed row's metadata ends, as encode_row writes it
_SAMPLE_FIELDS = frozenset({"id", "leaf", "kind", "messages"})
_EXTERNAL_FIELDS = frozenset({"id", "messages"})
_REPLAY_FIELDS = frozenset({"messages", "metadata"})


@dataclass
class PhaseTally:
    """Counts gathered while one phase file is written."""

    rows: int = 0
    replayed: int = 0
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    leaves: dict[str, dict[str, int]] = field(default_factory=dict)
    replayed_from: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)

    def drop(self, reason: str, source: dict[str, Any] | None = None) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1
        if source is not None:
            source["dropped"][reason] = source["dropped"].get(reason, 0) + 1

    def count_leaf(self, leaf: str | None, key: str) -> None:
        if leaf is not None:
            entry = self.leaves.setdefault(leaf, {"rows": 0, "replayed": 0})
            entry[key] += 1


@dataclass(frozen=True)
class PhaseResult:
    """One phase as written. `file` is None for an empty phase that the recipe lets pass (no file
    is written: a 0-byte JSONL file breaks the loaders)."""

    name: str
    file: Path | None
    rows: int
    replayed: int
    dropped: dict[str, int]


@dataclass(frozen=True)
class MixResult:
    out_dir: Path
    manifest: Path
    phases: tuple[PhaseResult, ...]
    warnings: tuple[str, ...] = ()

    @property
    def dropped_too_long(self) -> int:
        return sum(phase.dropped.get(TOO_LONG, 0) for phase in self.phases)


def mix(run_dir: str | Path, recipe: Recipe | str | Path, out_dir: str | Path, *, seed: int | None = None,
        max_seq_len: int | None = None, tokenizer: ChatTokenizer | str | Path | None = None,
        on_phase: Callable[[PhaseResult], None] | None = None) -> MixResult:
    """Build the phase files of `recipe` (a Recipe, a recipe file or a shipped recipe's name) from the
    samples of a `labgen generate` run in `run_dir`; `on_phase` hears of each phase as it is done.

    With `max_seq_len`, a row is kept only with fewer tokens than that: counted by `tokenizer` (a
    ChatTokenizer, or a .gguf / tokenizer.json file) when given, else by a proven upper bound."""
    run_dir, out_dir = Path(run_dir), Path(out_dir)
    recipe = (recipe if isinstance(recipe, Recipe) else load_recipe(recipe)).with_seed(seed)
    counter = tokenizer if tokenizer is None or isinstance(tokenizer, ChatTokenizer) else load_tokenizer(tokenizer)
    guard = LengthGuard(max_seq_len, counter) if max_seq_len is not None else None
    leaves = scan_run(run_dir, by_style=any(s.answer_styles for p in recipe.phases for s in p.sources))
    plans = plan_recipe(recipe, leaves)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder: {exc.strerror}", path=out_dir,
                          hint="pass a writable --out folder") from None
    own_rows: dict[str, tuple[Path, int]] = {}
    phase_entries: list[dict[str, Any]] = []
    results: list[PhaseResult] = []
    warnings: list[str] = []
    for plan in plans:
        path = out_dir / plan.file_name
        replay_takes = plan_replay(plan.phase.replay, own_rows) if plan.phase.replay else []
        tally = PhaseTally(sources={
            sp.source.name: {"available": sp.available, "target": sp.target, "planned": sp.planned,
                             "written": 0, "dropped": {}} for sp in plan.sources})
        rows = _tallied(_interleave(_new_rows(recipe, plan, tally, guard),
                                    _replay_rows(recipe, plan, replay_takes, tally, guard),
                                    plan.planned_new, sum(t.wanted for t in replay_takes)), tally)
        first = next(rows, None)
        written: Path | None = path
        if first is None:
            written = None
            warnings.append(_empty_phase(recipe, plan, path, tally))
            own_rows[plan.phase.name] = (path, 0)
        else:
            write_lines_atomic(path, chain([first], rows))
            own_rows[plan.phase.name] = (path, tally.rows - tally.replayed)
            if plan.sources and tally.rows == tally.replayed:
                warnings.append(f"phase '{plan.phase.name}' holds none of its sources' rows, only "
                                f"{tally.replayed} replayed from earlier phases{_drop_note(tally)}")
        result = PhaseResult(plan.phase.name, written, tally.rows, tally.replayed,
                             dict(sorted(tally.dropped.items())))
        results.append(result)
        phase_entries.append(_phase_entry(plan, written, tally, replay_takes))
        if on_phase is not None:
            on_phase(result)
    manifest = out_dir / MANIFEST_FILE
    write_json_atomic(manifest, _manifest(run_dir, recipe, leaves, phase_entries, max_seq_len, counter,
                                          unmatched_rows(recipe, leaves), warnings))
    return MixResult(out_dir, manifest, tuple(results), tuple(warnings))


def _drop_note(tally: PhaseTally) -> str:
    if not tally.dropped:
        return ""
    return " (dropped: " + ", ".join(f"{reason} {count}" for reason, count in sorted(tally.dropped.items())) + ")"


def _empty_phase(recipe: Recipe, plan: PhasePlan, path: Path, tally: PhaseTally) -> str:
    """The warning for a phase with no rows at all, or the error when the recipe says so. No file is
    left under the phase's name (an old one from an earlier mix is removed)."""
    cause = (f"every one of its rows was dropped{_drop_note(tally)}" if tally.dropped
             else "its sources and replay matched no rows")
    if recipe.on_empty_of(plan.phase) == ON_EMPTY_ERROR:
        raise OutputError(f"phase '{plan.phase.name}' would be empty: {cause}", path=path,
                          hint="raise --max-seq-len, widen the phase's sources, or set on_empty: warn in "
                               "the recipe to skip the phase")
    path.unlink(missing_ok=True)
    return f"phase '{plan.phase.name}' is empty and was not written: {cause}"


class EncodedRow(NamedTuple):
    """A training row ready to write, with what the tallies need to know about it (a NamedTuple:
    one is made per output row, and it is cheaper to build than a frozen dataclass)."""

    line: str
    leaf: str | None
    source: str
    replayed: bool


def _tallied(rows: Iterable[EncodedRow], tally: PhaseTally) -> Iterator[str]:
    for row in rows:
        tally.rows += 1
        if row.replayed:
            tally.replayed += 1
            tally.count_leaf(row.leaf, "replayed")
        else:
            tally.sources[row.source]["written"] += 1
            tally.count_leaf(row.leaf, "rows")
        yield row.line


def _interleave(new_rows: Iterable[EncodedRow], replay_rows: Iterable[EncodedRow],
                planned_new: int, planned_replay: int) -> Iterator[EncodedRow]:
    """Spread the replay rows evenly among the new ones (by the planned counts), then drain both."""
    new_iter, replay_iter = iter(new_rows), iter(replay_rows)
    total = planned_new + planned_replay
    for step in range(total):
        replay_turn = (step + 1) * planned_replay // total > step * planned_replay // total
        first, second = (replay_iter, new_iter) if replay_turn else (new_iter, replay_iter)
        row = next(first, None)
        if row is None:
            row = next(second, None)
            if row is None:
                return
        yield row
    yield from new_iter
    yield from replay_iter


def _new_rows(recipe: Recipe, plan: PhasePlan, tally: PhaseTally,
              guard: LengthGuard | None) -> Iterator[EncodedRow]:
    system = SystemPrompt(recipe.system_prompt_of(plan.phase))
    for source_plan in plan.sources:
        name = source_plan.source.name
        counts = tally.sources[name]
        for take in source_plan.takes:
            if take.wanted == 0:
                continue
            rng = seeded_rng(recipe.seed, plan.phase.name, name, take.leaf or take.file.name)
            for number, picked, copies in _selected(take, rng):
                converted = _encode_sample(picked, take, number, name, plan.phase.name, system, guard)
                for _ in range(copies):
                    if isinstance(converted, Dropped):
                        tally.drop(converted.reason, counts)
                    else:
                        yield converted


def _selected(take: LeafTake, rng: Any) -> Iterator[tuple[int, PickedFields, int]]:
    """(line number, the row's needed fields, copies) for each selected row of a leaf, reading it once."""
    selector = RowSelector(take.available, take.wanted, rng)
    wanted = _EXTERNAL_FIELDS if take.kind == EXTERNAL_KIND else _SAMPLE_FIELDS
    for number, line in complete_lines(take.file):
        if take.styles is not None and answer_style_of(line) not in take.styles:
            continue
        copies = selector.copies()
        if copies:
            yield number, pick_fields(line, wanted, file=take.file, number=number), copies
        if selector.done:
            return


def _encode_sample(picked: PickedFields, take: LeafTake, number: int, source: str, phase: str,
                   system: SystemPrompt, guard: LengthGuard | None) -> EncodedRow | Dropped:
    fields = picked.fields
    found = conversation_turns(fields.get("messages"))
    if isinstance(found, Dropped):
        return found
    start, turns = found
    if too_long(system, turns, guard):
        return Dropped(TOO_LONG)
    sample_id = fields.get("id")
    if take.kind == EXTERNAL_KIND:
        leaf, kind = "", EXTERNAL_KIND
    else:
        leaf, kind = fields.get("leaf") or take.leaf, fields.get("kind") or take.kind
    if not isinstance(sample_id, str) or not sample_id:
        sample_id = f"{take.file.name}:{number}"
    metadata = metadata_of(leaf=leaf, kind=kind, sample_id=sample_id, source=source, phase=phase, replayed=False)
    turn_json = picked.message_json[start:] if picked.message_json is not None else None
    return EncodedRow(encode_row(system, turns, turn_json, metadata), metadata["leaf"] or None, source, False)


def _replay_rows(recipe: Recipe, plan: PhasePlan, takes: list[ReplayTake], tally: PhaseTally,
                 guard: LengthGuard | None) -> Iterator[EncodedRow]:
    system = SystemPrompt(recipe.system_prompt_of(plan.phase))
    for take in takes:
        if take.wanted == 0 or take.own_rows == 0:
            continue
        tally.replayed_from.setdefault(take.phase, 0)
        selector = RowSelector(take.own_rows, take.wanted, seeded_rng(recipe.seed, plan.phase.name,
                                                                      "replay", take.phase))
        for number, line in complete_lines(take.file):
            if line.endswith(_REPLAYED_TAIL):
                continue
            copies = selector.copies()
            if copies:
                picked = pick_fields(line, _REPLAY_FIELDS, file=take.file, number=number)
                converted = _encode_replayed(picked, plan.phase.name, system, guard)
                for _ in range(copies):
                    if isinstance(converted, Dropped):
                        tally.drop(converted.reason)
                    else:
                        tally.replayed_from[take.phase] += 1
                        yield converted
            if selector.done:
                break


def _encode_replayed(picked: PickedFields, phase: str, system: SystemPrompt,
                     guard: LengthGuard | None) -> EncodedRow | Dropped:
    """A row of an earlier phase's file, re-issued in `phase` under that phase's system prompt."""
    found = conversation_turns(picked.fields.get("messages"))
    if isinstance(found, Dropped):
        return found
    start, turns = found
    if too_long(system, turns, guard):
        return Dropped(TOO_LONG)
    earlier = picked.fields.get("metadata") or {}
    metadata = metadata_of(leaf=earlier.get("leaf"), kind=earlier.get("kind"),
                           sample_id=earlier.get("sample_id"), source=earlier.get("source"),
                           phase=phase, replayed=True)
    turn_json = picked.message_json[start:] if picked.message_json is not None else None
    return EncodedRow(encode_row(system, turns, turn_json, metadata), metadata["leaf"] or None,
                      metadata["source"], True)


def _phase_entry(plan: PhasePlan, path: Path | None, tally: PhaseTally,
                 replay: list[ReplayTake]) -> dict[str, Any]:
    return {
        "index": plan.index,
        "name": plan.phase.name,
        "file": path.name if path is not None else None,
        "sha256": sha256_file(path) if path is not None else None,
        "rows": tally.rows,
        "new_rows": tally.rows - tally.replayed,
        "replayed": tally.replayed,
        "replay": [{"from": t.phase, "available": t.own_rows, "planned": t.wanted,
                    "written": tally.replayed_from.get(t.phase, 0)} for t in replay],
        "sources": tally.sources,
        "leaves": dict(sorted(tally.leaves.items())),
        "dropped": dict(sorted(tally.dropped.items())),
    }


def _manifest(run_dir: Path, recipe: Recipe, leaves: list[Any], phases: list[dict[str, Any]],
              max_seq_len: int | None, tokenizer: ChatTokenizer | None, unmatched: int,
              warnings: list[str]) -> dict[str, Any]:
    run_json = run_dir / "run.json"
    return {
        "labgen_version": __version__,
        "seed": recipe.seed,
        "recipe": {"name": recipe.name, "origin": recipe.origin, "as_used": recipe.as_dict()},
        "input": {
            "run_dir": str(run_dir),
            "run_json_sha256": sha256_file(run_json) if run_json.is_file() else None,
            "leaves": {leaf.path: {"kind": leaf.kind, "rows": leaf.rows} for leaf in leaves},
            "rows": sum(leaf.rows for leaf in leaves),
            "unmatched_rows": unmatched,
        },
        "max_seq_len": max_seq_len,
        "length_count": (None if max_seq_len is None else
                         f"tokenizer:{tokenizer.name}" if tokenizer is not None else "upper_bound"),
        "dropped_too_long": sum(phase["dropped"].get(TOO_LONG, 0) for phase in phases),
        "phases": phases,
        "warnings": warnings,
    }
