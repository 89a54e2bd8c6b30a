"""Measure the critic on the labeled set: per-check precision/recall of flagging bad items, and the AUROC
of the combined score for grounded against ungrounded answers, beside a trivial word-overlap baseline.

    python bench/critic_eval.py                          # deterministic layer only (seconds)
    python bench/critic_eval.py --teacher local --subset 60   # plus the embedded teacher's judgments
    python bench/critic_eval.py --teacher openai --teacher-url http://127.0.0.1:8000/v1

Every figure is computed in this run from bench/data/critic_labeled.jsonl.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from labgen.critic.checks import CheckInput, run_checks
from labgen.critic.combine import combined_score
from labgen.critic.config import CriticConfig
from labgen.critic.critique import critique_rows
from labgen.critic.grounding import word_overlap_baseline
from labgen.critic.rows import QaFields
from labgen.jsonl import read_jsonl, write_jsonl_atomic

DATA = Path(__file__).resolve().parent / "data" / "critic_labeled.jsonl"
LABELS = ("grounded", "ungrounded", "unsafe", "low-quality")


def auroc(positives: list[float], negatives: list[float]) -> float:
    """P(score of a random positive > score of a random negative), ties counted half."""
    if not positives or not negatives:
        return float("nan")
    wins = 0.0
    for p in positives:
        for n in negatives:
            wins += 1.0 if p > n else 0.5 if p == n else 0.0
    return wins / (len(positives) * len(negatives))


def check_table(rows: list[dict[str, Any]], verdicts: list[dict[str, dict[str, Any]]]) -> None:
    """Per check: precision and recall of its failures as flags of bad (non-grounded) items."""
    checks = sorted({c for v in verdicts for c in v})
    bad_total = sum(1 for r in rows if r["label"] != "grounded")
    print(f"\n{'check':<16}{'ran':>5}{'flagged':>9}{'precision':>11}{'recall':>8}   flag rate by label "
          f"({' / '.join(LABELS)})")
    for check in checks + ["(combined<0.5)"]:
        ran = flagged = true_flags = 0
        by_label: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for row, verdict in zip(rows, verdicts):
            if check == "(combined<0.5)":
                failed = row["_score"] < 0.5
            elif check in verdict:
                failed = not verdict[check]["pass"]
            else:
                continue
            ran += 1
            by_label[row["label"]][1] += 1
            if failed:
                flagged += 1
                by_label[row["label"]][0] += 1
                true_flags += row["label"] != "grounded"
        precision = true_flags / flagged if flagged else float("nan")
        recall = true_flags / bad_total if bad_total else float("nan")
        rates = " / ".join(f"{by_label[l][0] / by_label[l][1]:.2f}" if by_label[l][1] else "  - "
                           for l in LABELS)
        print(f"{check:<16}{ran:>5}{flagged:>9}{precision:>11.2f}{recall:>8.2f}   {rates}")


def grounding_figures(rows: list[dict[str, Any]], name: str) -> None:
    grounded = [r for r in rows if r["label"] == "grounded"]
    ungrounded = [r for r in rows if r["label"] == "ungrounded"]
    baseline = auroc([word_overlap_baseline(r["answer"], r["context"]) for r in grounded],
                     [word_overlap_baseline(r["answer"], r["context"]) for r in ungrounded])
    lexical = auroc([r["_lexical"] for r in grounded], [r["_lexical"] for r in ungrounded])
    combined = auroc([r["_score"] for r in grounded], [r["_score"] for r in ungrounded])
    print(f"\nAUROC grounded ({len(grounded)}) vs ungrounded ({len(ungrounded)}), {name}:")
    print(f"  baseline: share of answer content words in the context  {baseline:.3f}")
    print(f"  lexical_support score alone                              {lexical:.3f}")
    print(f"  critic combined score                                    {combined:.3f}")
    bad = [r for r in rows if r["label"] != "grounded"]
    print(f"AUROC grounded vs every bad label ({len(bad)}): combined "
          f"{auroc([r['_score'] for r in grounded], [r['_score'] for r in bad]):.3f}")


def evaluate(rows: list[dict[str, Any]], config: CriticConfig, teacher: Any, name: str,
             out: Path | None = None) -> None:
    started = time.perf_counter()
    if teacher is None:
        verdict_lists = [run_checks(CheckInput(r["question"], r["answer"], r["context"]), config) for r in rows]
        verdicts = [{v.check: v.as_dict() for v in vs} for vs in verdict_lists]
        scores = [combined_score(vs) for vs in verdict_lists]
    else:
        pairs = [(r, QaFields(r["question"], r["answer"], r["context"], "")) for r in rows]
        done = [0]

        def progress(_: int) -> None:
            done[0] += 1
            if done[0] % 10 == 0:
                print(f"  {done[0]} judgments in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)

        judged = list(critique_rows(pairs, teacher=teacher, config=config, on_judgment=progress))
        verdicts = [o["critic"]["verdicts"] for o in judged]
        scores = [o["critic"]["score"] for o in judged]
        if out is not None:
            write_jsonl_atomic(out, judged)
    elapsed = time.perf_counter() - started
    for row, verdict, score in zip(rows, verdicts, scores):
        row["_score"] = score
        row["_lexical"] = verdict.get("lexical_support", {}).get("score", 1.0)
    print(f"\n=== {name}: {len(rows)} items in {elapsed:.1f} s ===")
    check_table(rows, verdicts)
    unparsable: dict[str, int] = defaultdict(int)
    for verdict in verdicts:
        for check, found in verdict.items():
            if found["reason"].startswith(("unparsable", "teacher failed")):
                unparsable[check] += 1
    if unparsable:
        print("unparsable or failed judgments:", dict(sorted(unparsable.items())))
    grounding_figures(rows, name)


def build_teacher(args: argparse.Namespace) -> Any:
    from labgen.teachers.config import build_teacher as build, teacher_config_from_environment

    values = {"backend": args.teacher, "url": args.teacher_url, "model": args.teacher_model,
              "max_in_flight": args.max_in_flight}
    return build(teacher_config_from_environment({k: v for k, v in values.items() if v is not None}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--teacher", choices=["local", "openai", "vllm"], help="also run the teacher judges")
    parser.add_argument("--teacher-url")
    parser.add_argument("--teacher-model")
    parser.add_argument("--max-in-flight")
    parser.add_argument("--subset", type=int, help="evaluate a random subset of this many items (seeded)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="write the teacher run's rows with their critic key here")
    parser.add_argument("--no-logprobs", action="store_true",
                        help="judges ask for no token probabilities (the embedded teacher is ~8x faster without)")
    args = parser.parse_args()
    rows = list(read_jsonl(args.data))
    if args.subset:
        rows = random.Random(args.seed).sample(rows, min(args.subset, len(rows)))
    config = CriticConfig(judge_logprobs=not args.no_logprobs)
    evaluate(rows, config, None, "deterministic checks")
    if args.teacher:
        teacher = build_teacher(args)
        try:
            evaluate(rows, config, teacher, f"with the {args.teacher} teacher ({teacher.model})", args.out)
            print("\nteacher accounting:", teacher.accounting.as_dict()["total"])
        finally:
            teacher.close()


if __name__ == "__main__":
    main()
