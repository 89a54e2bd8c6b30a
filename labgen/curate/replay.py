"""A unit's rounds replayed at record level: what a fresh generate with the new settings would keep.

Round by round, in order, each candidate walks its kind's curation steps; the unit's round-stop rule
(start no round once its kept count has reached its target) is applied to the re-decided counts, so the
candidates of rounds a fresh run would not have started become rejects of stage "curate" (nothing is
lost). Where a fresh run would have to generate (an answer never generated, a unit short of its target
with rounds left, a generation request that failed), the replay says so instead of pretending.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace

from labgen.curate.inputs import LeafInfo, UnitInfo
from labgen.curate.judgments import JudgmentMissing
from labgen.curate.record import SampleRecord
from labgen.curate.steps import CurationStep, Drop, NeedsGeneration, Walk, walk
from labgen.dedup.config import DedupConfig
from labgen.teachers.base import ChatRequest

CURATE = "curate"
BEYOND_TARGET = "beyond the unit's target under these settings"
ASKED_OTHERWISE = ("needs generation: under these settings the round asks for another count "
                   "(run labgen generate)")


@dataclass(frozen=True)
class Outcome:
    """What curation decided for one record: kept (drop None) or dropped, and the walk that decided it
    (None for generation rejects and for records it could not decide)."""

    record: SampleRecord
    walk: Walk | None
    drop: Drop | None

    @property
    def kept(self) -> bool:
        return self.drop is None


@dataclass(frozen=True)
class UnitReplay:
    unit: UnitInfo
    outcomes: tuple[Outcome, ...]  # in slot order
    kept: int
    short: bool  # below its target with rounds left: a fresh run would start another round
    generation_failed: bool  # a generation request of the unit failed: a fresh run would ask it again
    need_generation: int  # candidates that need something generated (their answer)
    missing: dict[str, ChatRequest] = field(default_factory=dict)  # judgments neither record nor store holds

    @property
    def needs_generation(self) -> bool:
        return self.short or self.generation_failed or self.need_generation > 0


def _asks_the_same(unit: UnitInfo, round_index: int, *, kept: int, tried: int) -> bool:
    """Whether a fresh run, having kept `kept` of `tried` candidates before this round, asks the round for
    what this run asked (round counts follow the unit's own decisions: labgen.generate.pipelines)."""
    if round_index == 0 or unit.shape is None or round_index >= len(unit.asks):
        return True
    from types import SimpleNamespace

    from labgen.generate.pipelines import next_round_counts

    shape = SimpleNamespace(target=unit.target, **{k: v for k, v in unit.shape.items() if k != "answer_styles"})
    fresh = next_round_counts(unit.kind, shape, tuple(unit.shape.get("answer_styles") or ()), kept=kept, tried=tried)
    return fresh == dict(unit.asks[round_index])


def replay_unit(unit: UnitInfo, leaf: LeafInfo, steps: tuple[CurationStep, ...]) -> UnitReplay:
    by_round: dict[int, list[SampleRecord]] = defaultdict(list)
    for record in unit.records:
        by_round[record.round].append(record)
    outcomes: list[Outcome] = []
    missing: dict[str, ChatRequest] = {}
    kept = need_generation = 0
    generation_failed = False
    for round_index in range(unit.rounds):
        records = by_round.get(round_index, [])
        if kept >= unit.target:  # a fresh run would not have started this round
            outcomes.extend(Outcome(r, None, Drop(CURATE, BEYOND_TARGET)) for r in records)
            continue
        if not _asks_the_same(unit, round_index, kept=kept, tried=len(outcomes)):
            # A fresh run would ask this round for another count: its requests, not these, would be made.
            outcomes.extend(Outcome(r, None, Drop(CURATE, ASKED_OTHERWISE)) for r in records)
            need_generation += len(records) or 1
            continue
        for record in records:
            if not record.candidate:  # a generation reject: nothing to curate
                drop = record.drop
                assert drop is not None
                generation_failed = generation_failed or drop.teacher_failure
                outcomes.append(Outcome(record, None, Drop(drop.stage, drop.reason, drop.raw)))
                continue
            try:
                path = walk(record, steps, unit, leaf)
            except NeedsGeneration as why:
                need_generation += 1
                outcomes.append(Outcome(record, None, Drop(CURATE, f"needs generation: {why} (run labgen generate)")))
                continue
            except JudgmentMissing as missing_judgment:
                missing[missing_judgment.key] = missing_judgment.request
                outcomes.append(Outcome(record, None, Drop(
                    CURATE, f"judgment not stored: {missing_judgment.request.stage} (curate with a teacher asks it)")))
                continue
            outcomes.append(Outcome(record, path, path.drop))
            kept += path.drop is None
            generation_failed = generation_failed or (path.drop is not None and path.drop.teacher_failure)
    return UnitReplay(unit=unit, outcomes=tuple(outcomes), kept=kept,
                      short=kept < unit.target and unit.rounds < unit.max_rounds,
                      generation_failed=generation_failed, need_generation=need_generation, missing=missing)


BEYOND_LEAF_TARGET = "beyond the leaf's target under these settings (a fresh run would not top it up)"


def apply_top_up_rule(leaf: LeafInfo, replays: list[UnitReplay], dedup: DedupConfig | None) -> list[UnitReplay]:
    """The leaf's top-up rule (labgen.generate.top_up) on the replayed units: top-up units a fresh run
    would not start become rejects of stage "curate"; where it would top up with units this run does not
    hold, the last unit is marked short (needs generation)."""
    from labgen.generate.top_up import leaf_progress, pass_targets, top_up_wanted

    planned = leaf.planned or len(replays)
    if dedup is None or not leaf.target:
        return replays
    included, rest, passes = list(replays[:planned]), list(replays[planned:]), 0
    while True:
        progress = leaf_progress(leaf, [(r.unit.target, [o.record.fields() for o in r.outcomes if o.kept])
                                        for r in included], dedup)
        targets = pass_targets(top_up_wanted(progress, leaf.target, passes), leaf.per_unit)
        if not targets:
            break
        batch = rest[:len(targets)]
        if [r.unit.target for r in batch] != targets:
            if included:
                included[-1] = replace(included[-1], short=True)
            break
        included, rest, passes = included + batch, rest[len(targets):], passes + 1
    beyond = [replace(r, outcomes=tuple(Outcome(o.record, None, Drop(CURATE, BEYOND_LEAF_TARGET))
                                         for o in r.outcomes), kept=0, short=False, need_generation=0, missing={})
              for r in rest]
    return included + beyond
