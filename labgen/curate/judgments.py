"""Judge verdicts when curation decides again: from the record when nothing that shapes the verdict changed,
re-parsed from the stored answer (one lookup by the record's key) when only a threshold changed, and from a
newly rendered request (looked up, else asked of the teacher) when the request itself changed or was never
made.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from labgen.critic.config import CriticConfig
from labgen.critic.judges import Judge, get_judge
from labgen.curate.inputs import LeafInfo, UnitInfo
from labgen.curate.record import SampleRecord
from labgen.generate.pipelines import Step
from labgen.generate.units import request_seed
from labgen.store.answers import AnswerStore, request_key
from labgen.teachers.base import ChatRequest, Completion, Teacher


class JudgmentMissing(Exception):
    """A judgment the new settings need that neither the record nor the store holds: the teacher must answer."""

    def __init__(self, key: str, request: ChatRequest) -> None:
        super().__init__(request.stage)
        self.key = key
        self.request = request


@dataclass(frozen=True)
class JudgeUse:
    """A judge a candidate went through, for its provenance (template, sampling, tokens; for a request the
    unit made, `recorded`, they are the record's and not repeated here)."""

    name: str
    template: Mapping[str, str]
    sampling: Mapping[str, Any]
    tokens: tuple[int, int]
    recorded: bool = False  # the request the unit made (its provenance is the record's)


class Judges:
    """Judges by (name, critic settings), and whether a recorded judgment still holds under new settings."""

    def __init__(self) -> None:
        self._judges: dict[tuple[str, CriticConfig], Judge] = {}
        # Keyed by the settings objects' identity (recorded settings are interned, see inputs.critic_from_json):
        # hashing a CriticConfig for every record would cost more than the lookup saves.
        self._reuse: dict[tuple[str, int, int, str], tuple[bool, bool, CriticConfig, CriticConfig]] = {}

    def get(self, name: str, config: CriticConfig) -> Judge:
        judge = self._judges.get((name, config))
        if judge is None:
            judge = self._judges[(name, config)] = get_judge(name, config)
        return judge

    def reuse(self, name: str, recorded: CriticConfig, new: CriticConfig, template_sha: str) -> tuple[bool, bool]:
        """(same request, same verdict): the request the unit made is the one `new` makes (template and
        sampling parameters), and the verdict drawn from its answer is the same (the threshold too)."""
        cache_key = (name, id(recorded), id(new), template_sha)
        found = self._reuse.get(cache_key)
        if found is None:
            old_judge, new_judge = self.get(name, recorded), self.get(name, new)
            same_request = old_judge.params == new_judge.params and template_sha == new_judge.template.sha256
            same_verdict = same_request and old_judge.threshold == new_judge.threshold
            found = self._reuse[cache_key] = (same_request, same_verdict, recorded, new)  # keeps the ids alive
        return found[0], found[1]


class JudgmentSource:
    """Completions of judge requests: the answer store by key, and what this pass asked the teacher."""

    def __init__(self, store: AnswerStore | None) -> None:
        self.store = store
        self.answered: dict[str, Completion] = {}
        self.prefetched: dict[str, Completion] = {}
        self.absent: set[str] = set()
        self.lookups = 0
        self.found = 0

    def prefetch(self, keys: list[str]) -> None:
        """Read these keys' answers in one sorted pass (far cheaper than one lookup each)."""
        if self.store is not None and keys:
            self.lookups += len(set(keys))
            found = self.store.get_many(keys, ChatRequest(messages=(), stage="judge"))
            self.found += len(found)
            self.prefetched.update(found)
            self.absent.update(set(keys) - set(found))

    def completion(self, key: str, stage: str) -> Completion | None:
        if key in self.answered:
            return self.answered[key]
        if key in self.prefetched:
            return self.prefetched[key]
        if self.store is None or key in self.absent:
            return None
        self.lookups += 1
        found = self.store.get(key, ChatRequest(messages=(), stage=stage))
        if found is not None:
            self.found += 1
        return found


def judge_request(step: Step, judge: Judge, record: SampleRecord, unit: UnitInfo, leaf: LeafInfo) -> ChatRequest:
    """The request the unit would send for this judge: the declared inputs of the step, the unit's seed."""
    values: dict[str, Any] = {"task_description": leaf.description, "question": record.question or "",
                              "answer": record.answer or "", "context": record.context}
    fields = {name: leaf.skill_examples(unit.seed_ids) if name == "seed_examples" else values[name]
              for name in step.inputs}
    params = replace(judge.params, seed=request_seed(unit.seed, unit.seed_key, judge.name, *record.slot))
    return ChatRequest(messages=judge.render(**fields), params=params, stage=judge.name, tag=(unit.id, record.slot))


def key_of(request: ChatRequest, unit: UnitInfo) -> str:
    return request_key(request, dict(unit.teacher_identity))


async def _ask_all(teacher: Teacher, requests: list[ChatRequest]) -> list[Completion]:
    limit = asyncio.Semaphore(max(1, teacher.max_in_flight))

    async def one(request: ChatRequest) -> Completion:
        async with limit:
            return await teacher.complete(request)

    return list(await asyncio.gather(*(one(r) for r in requests)))


def ask(teacher: Teacher, missing: Mapping[str, ChatRequest]) -> dict[str, Completion]:
    """Ask the teacher each missing judgment once (its answers go to the store when the teacher is a
    StoredTeacher); returns key -> completion, failures included."""
    keys = sorted(missing)
    completions = asyncio.run(_ask_all(teacher, [missing[k] for k in keys]))
    return dict(zip(keys, completions))
