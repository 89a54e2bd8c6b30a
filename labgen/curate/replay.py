"""A unit's rounds replayed at record level: what a fresh generate with the new settings would keep.

Round by round, in order, each candidate walks its kind's curation steps; the unit's round-stop rule
(start no round once its kept count has reached its target) is applied to the re-decided counts, so the
candidates of rounds a fresh run would not have started become rejects of stage "curate" (nothing is
lost). Where a fresh run would have to generate (an answer never generated, a unit short of its target
with rounds left, a generation request that failed), the replay says so instead of pretending.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from labgen.curate.inputs import LeafInfo, UnitInfo
from labgen.curate.judgments import JudgmentMissing
from labgen.curate.record import SampleRecord
from labgen.curate.steps import CurationStep, Drop, NeedsGeneration, Walk, walk
from labgen.teachers.base import ChatRequest

CURATE = "curate"
BEYOND_TARGET = "beyond the unit's target under these settings"


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
