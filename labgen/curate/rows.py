"""The rows a run's files hold: a sample (samples.jsonl) and a reject (rejects.jsonl) in the one reject
schema, whatever dropped it: generation (unparsable output, a failed request), a judge, a check, curation,
dedup or decontamination. Every reject row has exactly REJECT_KEYS, null where a key does not apply.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from labgen.hashing import short_id

if TYPE_CHECKING:
    from labgen.curate.inputs import UnitInfo
    from labgen.curate.record import SampleRecord
    from labgen.curate.replay import Outcome
    from labgen.curate.steps import Drop
    from labgen.records import Verdict

REJECT_KEYS = ("id", "leaf", "kind", "stage", "reason", "raw", "fields", "duplicate_of", "similarity", "eval_item",
               "sample_id", "critic", "provenance")


def reason_key(reason: str) -> str:
    """The countable part of a reason: before any explanation (after ':' or ';'), with numbers as N."""
    head = re.split(r"[:;]", reason, maxsplit=1)[0].strip()
    head = re.sub(r"\d+(?:\.\d+)?", "N", re.sub(r"\s+", " ", head))
    return head[:80] or "unspecified"


def reject_row(*, sample_id: str, leaf: str, kind: str | None, stage: str, reason: str, raw: str | None = None,
               fields: Mapping[str, Any] | None = None, duplicate_of: str | None = None,
               similarity: float | None = None, eval_item: Mapping[str, Any] | None = None,
               critic: Mapping[str, Any] | None = None, provenance: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One reject row. `sample_id` is the id the candidate has (or would have had) as a sample."""
    fields = fields or {}
    return {"id": reject_id(sample_id, stage), "leaf": leaf, "kind": kind, "stage": stage, "reason": reason,
            "raw": raw, "fields": {"question": fields.get("question"), "answer": fields.get("answer"),
                                   "context": fields.get("context")},
            "duplicate_of": duplicate_of, "similarity": similarity,
            "eval_item": dict(eval_item) if eval_item else None, "sample_id": sample_id,
            "critic": dict(critic) if critic else None, "provenance": provenance}


def reject_id(sample_id: str, stage: str) -> str:
    return "r-" + short_id({"sample": sample_id, "stage": stage})


def count_rejects(rows: Iterable[Mapping[str, Any]]) -> Counter[str]:
    """`rejected_by`: rejects by "<stage>/<reason>", explanations and numbers folded so counts group."""
    return Counter(f"{row.get('stage')}/{reason_key(str(row.get('reason') or ''))}" for row in rows)


def training_messages(system_prompt: str, question: str | None, answer: str | None,
                      context: str | None) -> list[dict[str, str]]:
    """A sample's chat: the system prompt, the user turn (context first when there is one), the answer."""
    user = f"{context}\n\n{question or ''}" if context else question or ""
    return [{"role": "system", "content": system_prompt}, {"role": "user", "content": user},
            {"role": "assistant", "content": answer or ""}]


def build_sample(outcome: Outcome, unit: UnitInfo, system_prompt: str) -> dict[str, Any]:
    """The samples.jsonl row of a kept record."""
    from labgen.critic.combine import critic_record

    record = outcome.record
    verdicts = outcome.walk.verdicts if outcome.walk is not None else ()
    return {"id": record.id, "leaf": unit.leaf, "branch": unit.branch, "kind": unit.kind,
            "messages": training_messages(system_prompt, record.question, record.answer, record.context),
            "question": record.question, "answer": record.answer, "context": record.context,
            "answer_style": record.answer_style, "critic": critic_record(verdicts),
            "provenance": provenance(outcome, unit)}


def build_reject(outcome: Outcome, drop: Drop, unit: UnitInfo) -> dict[str, Any]:
    """The rejects.jsonl row of a dropped record, whatever dropped it."""
    from labgen.critic.combine import critic_record

    record = outcome.record
    verdicts = outcome.walk.verdicts if outcome.walk is not None else recorded_verdicts(record)
    return reject_row(sample_id=record.id, leaf=unit.leaf, kind=unit.kind, stage=drop.stage, reason=drop.reason,
                      raw=drop.raw, fields=record.fields(), duplicate_of=drop.duplicate_of,
                      similarity=drop.similarity, eval_item=drop.eval_item,
                      critic=critic_record(verdicts) if verdicts else None, provenance=provenance(outcome, unit))


def recorded_verdicts(record: SampleRecord) -> tuple[Verdict, ...]:
    """The verdicts the unit gave the record, in its steps' order."""
    from labgen.generate.pipelines import CHECKS, pipeline_for

    if not record.candidate:
        return ()
    out: list[Verdict] = []
    for step in pipeline_for(record.kind).curation():
        if step.role == CHECKS:
            out.extend(mark.verdict for mark in record.checks)
        elif step.name in record.judges:
            out.append(record.judges[step.name].verdict)
    return tuple(out)


def provenance(outcome: Outcome, unit: UnitInfo) -> dict[str, Any]:
    """Where the sample came from: the generation stages it went through and the judges of its walk."""
    record = outcome.record
    walk = outcome.walk
    if walk is None or (walk.judged_as_recorded and len(walk.judges) == len(record.judges)):
        # The judges are the unit's own: the record's provenance as it stands (already in key order).
        templates = {stage: unit.templates[stage] for stage in record.templates}
        sampling = dict(record.sampling)
        tokens = list(record.tokens.values())
    else:
        judged = [(j.name, unit.templates[j.name], record.sampling[j.name], record.tokens[j.name]) if j.recorded
                  else (j.name, j.template, j.sampling, j.tokens) for j in walk.judges]
        generated = [stage for stage in record.templates if stage not in _JUDGES]
        templates = {stage: unit.templates[stage] for stage in generated}
        templates.update({name: template for name, template, _, _ in judged})
        sampling = {stage: params for stage, params in record.sampling.items() if stage not in _JUDGES}
        sampling.update({name: params for name, _, params, _ in judged})
        tokens = [t for stage, t in record.tokens.items() if stage not in _JUDGES] + [t for _, _, _, t in judged]
        templates, sampling = dict(sorted(templates.items())), dict(sorted(sampling.items()))
    return {"leaf_path": unit.leaf, "leaf_hash": unit.leaf_hash, "taxonomy_commit": unit.taxonomy_commit,
            "seed_ids": list(record.seed_ids), "templates": templates, "teacher": unit.teacher_identity,
            "sampling": sampling, "seed": unit.seed, "unit": unit.id, "document": record.document,
            "tokens": {"prompt": sum(t[0] for t in tokens), "completion": sum(t[1] for t in tokens)}}


def _judge_names() -> frozenset[str]:
    from labgen.critic.judges import JUDGE_NAMES

    return frozenset(JUDGE_NAMES)


_JUDGES = _judge_names()
