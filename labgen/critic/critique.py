"""`critique`: the critic over any question-answer JSONL, deterministic checks plus teacher judges.

Every row is read and checked for its fields before the first teacher call. Judge requests for all rows
go through `teacher.stream`, so they run concurrently; each row comes back with all its original keys and
one `critic` key: {"score", "verdicts"}.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labgen.critic.checks import CheckInput, run_checks
from labgen.critic.combine import critic_record
from labgen.critic.config import DEFAULT_CONFIG, CriticConfig
from labgen.critic.judges import CHECK_NAMES, get_judge
from labgen.critic.rows import QaFields, qa_fields
from labgen.jsonl import read_jsonl_numbered, write_jsonl_atomic
from labgen.records import Verdict
from labgen.teachers.base import ChatRequest, Teacher


KEEP_SCORE = 0.5  # combined scores at or above this passed every check


@dataclass
class CritiqueSummary:
    rows: int = 0
    kept: int = 0  # rows whose every verdict passed
    score_sum: float = 0.0
    failures: Counter[str] = field(default_factory=Counter)  # check -> rows failing it

    @property
    def mean_score(self) -> float:
        return self.score_sum / self.rows if self.rows else 0.0

    def add(self, record: dict[str, Any]) -> None:
        self.rows += 1
        self.score_sum += record["score"]
        self.kept += 1 if record["score"] >= KEEP_SCORE and all(
            v["pass"] for v in record["verdicts"].values()) else 0
        for check, verdict in record["verdicts"].items():
            if not verdict["pass"]:
                self.failures[check] += 1

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "kept": self.kept, "mean_score": round(self.mean_score, 4),
                "failures": dict(sorted(self.failures.items()))}


def judge_requests(index: int, fields: QaFields, config: CriticConfig) -> list[ChatRequest]:
    """The teacher judgments for one row; tags are (row index, judge name)."""
    from labgen.generate.pipelines import CRITIQUE_CONTEXT_JUDGES, CRITIQUE_PIPELINE

    names = [name for name in CRITIQUE_PIPELINE.judges() if fields.context or name not in CRITIQUE_CONTEXT_JUDGES]
    values = {"context": fields.context or "", "question": fields.question, "answer": fields.answer,
              "task_description": fields.task_description}
    requests = []
    for name in names:
        judge = get_judge(name, config)
        wanted = {k: values[k] for k in CRITIQUE_PIPELINE.step(name).inputs}
        requests.append(judge.request(tag=(index, name), stage=f"critique/{name}", **wanted))
    return requests


def critique_rows(rows: Iterable[tuple[dict[str, Any], QaFields]], *, teacher: Teacher | None = None,
                  config: CriticConfig | None = None,
                  on_judgment: Callable[[int], None] | None = None) -> Iterator[dict[str, Any]]:
    """Each row with a `critic` key, in input order. Without a teacher, the deterministic checks only."""
    config = config or DEFAULT_CONFIG
    items = list(rows)
    judged: dict[int, list[Verdict]] = {i: [] for i in range(len(items))}
    if teacher is not None:
        requests = (request for index, (_, fields) in enumerate(items)
                    for request in judge_requests(index, fields, config))
        for completion in teacher.stream(requests):
            index, name = completion.request.tag
            judged[index].append(get_judge(name, config).parse(completion))
            if on_judgment is not None:
                on_judgment(1)
    from labgen.generate.pipelines import CRITIQUE_PIPELINE

    rank = {CHECK_NAMES[name]: position for position, name in enumerate(CRITIQUE_PIPELINE.judges())}
    for index, (row, fields) in enumerate(items):
        checks = run_checks(CheckInput(question=fields.question, answer=fields.answer, context=fields.context),
                            config)
        verdicts = checks + sorted(judged[index], key=lambda v: rank.get(v.check, len(rank)))
        yield {**row, "critic": critic_record(verdicts)}


def read_rows(path: str | Path) -> list[tuple[dict[str, Any], QaFields]]:
    """Every row of a JSONL file with its question-answer fields; the first bad line raises, at file:line."""
    return [(row, qa_fields(row, path=path, line=line)) for line, row in read_jsonl_numbered(path)]


def critique_file(in_path: str | Path, out_path: str | Path, *, teacher: Teacher | None = None,
                  config: CriticConfig | None = None,
                  on_judgment: Callable[[int], None] | None = None) -> CritiqueSummary:
    """Critique every row of in_path into out_path (written atomically) and summarise."""
    rows = read_rows(in_path)
    summary = CritiqueSummary()

    def counted() -> Iterator[dict[str, Any]]:
        for out in critique_rows(rows, teacher=teacher, config=config, on_judgment=on_judgment):
            summary.add(out["critic"])
            yield out

    write_jsonl_atomic(out_path, counted())
    return summary
