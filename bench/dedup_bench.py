"""Dedup bench: N synthetic instruction-like samples with planted near-duplicates.

Prints samples/s, peak RSS, recall of the planted duplicates and the false-positive rate, all measured
in this run. False-positive rate = removed samples that were not planted / samples that were not planted.

    .venv/bin/python bench/dedup_bench.py --samples 1000000 [--dup-rate 0.05] [--shingle auto]
    .venv/bin/python bench/dedup_bench.py --samples 100000 --run-dir /tmp/dedup-run   # end to end, with files
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time

from pathlib import Path

from labgen.dedup import DedupConfig, DedupItem, dedup_run, find_duplicates
from labgen.jsonl import write_jsonl_atomic

TEMPLATES = [
    "Write a {a} about the {b} of {c} for a {d} audience",
    "Explain how {a} affects {b} in the context of {c} and {d}",
    "Give three reasons why {a} matters to {b} when {c} meets {d}",
    "Summarize the debate between {a} and {b} on {c} in {d} terms",
    "Compose a short letter from {a} to {b} about {c} during {d}",
    "Describe the {a} of {b} as seen by a {c} from {d}",
    "List the steps to turn {a} into {b} using only {c} and {d}",
    "Compare {a} with {b} for someone who studies {c} at {d}",
    "What would happen if {a} replaced {b} in every {c} of {d}",
    "Draft a {a} plan for {b} that avoids {c} and respects {d}",
    "Translate the idea of {a} into a {b} story set in {c} with {d}",
    "Create a quiz on {a} and {b} for students of {c} in {d}",
    "Write a {a} about {b} and {c}",
    "Explain {a} to a {b} in {c} terms",
    "Why does {a} need {b} from {c}",
    "Suggest a name for a {a} shop selling {b} and {c}",
]
SYLLABLES = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ve", "zu", "an", "or", "el", "ix", "um", "ba",
             "de", "fi", "go", "hu", "ja", "ke", "ly", "mo", "nu", "pe", "qu", "ro", "sa", "ti"]
PUNCTUATION = ["?", "!", ".", ",", ";", ":"]


def vocabulary(rng: random.Random, size: int) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def sample(rng: random.Random, vocab: list[str]) -> str:
    template = rng.choice(TEMPLATES)
    fill = {k: " ".join(rng.choice(vocab) for _ in range(rng.randint(1, 2))) for k in "abcd"}
    return template.format(**fill) + rng.choice([".", "?", ""])


def perturb(rng: random.Random, text: str, vocab: list[str]) -> str:
    words = text.split()
    kind = rng.randrange(4)
    if kind == 0:  # swap one word for another
        words[rng.randrange(len(words))] = rng.choice(vocab)
    elif kind == 1:  # insert a word
        words.insert(rng.randrange(len(words) + 1), rng.choice(vocab))
    elif kind == 2 and len(words) > 3:  # delete a word
        del words[rng.randrange(len(words))]
    else:  # case and punctuation only
        words = [w.upper() if rng.random() < 0.3 else w for w in words]
        words[rng.randrange(len(words))] += rng.choice(PUNCTUATION)
    return " ".join(words)


def build(n: int, dup_rate: float, seed: int) -> tuple[list[str], dict[int, int]]:
    rng = random.Random(seed)
    vocab = vocabulary(rng, 50000)
    texts: list[str] = []
    planted: dict[int, int] = {}  # index -> index of the original
    originals: list[int] = []
    for i in range(n):
        if originals and rng.random() < dup_rate:
            source = rng.choice(originals)
            planted[i] = source
            texts.append(perturb(rng, texts[source], vocab))
        else:
            originals.append(i)
            texts.append(sample(rng, vocab))
    return texts, planted


def leaf_of(index: int, leaves: int, total: int) -> str:
    """Contiguous blocks, so leaf order (the keep-first order of dedup_run) is index order."""
    return f"compositional_skills/bench/leaf-{index * leaves // total:03d}"


def write_run_dir(out: Path, texts: list[str], leaves: int) -> None:
    """A run directory in the docs/formats.md layout; sample ids carry the text's index (s-<index>)."""
    rows: dict[str, list[dict[str, object]]] = {}
    for index, text in enumerate(texts):
        rows.setdefault(leaf_of(index, leaves, len(texts)), []).append(
            {"id": f"s-{index}", "leaf": leaf_of(index, leaves, len(texts)), "branch": "compositional_skills",
             "kind": "freeform_skill", "question": text, "answer": "An answer.", "context": None,
             "messages": [{"role": "user", "content": text}, {"role": "assistant", "content": "An answer."}],
             "critic": {"score": 0.8, "verdicts": {}}})
    for leaf, leaf_rows in rows.items():
        write_jsonl_atomic(out / leaf / "samples.jsonl", leaf_rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--dup-rate", type=float, default=0.05)
    parser.add_argument("--threshold", type=float, default=DedupConfig().threshold)
    parser.add_argument("--shingle", default=DedupConfig().shingle)
    parser.add_argument("--bands", type=int, default=DedupConfig().bands)
    parser.add_argument("--rows", type=int, default=DedupConfig().rows)
    parser.add_argument("--leaves", type=int, default=50, help="samples are spread over this many scopes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--run-dir", type=Path, default=None,
                        help="end to end: write the samples as a run directory here and time dedup_run (file I/O included)")
    args = parser.parse_args()

    texts, planted = build(args.samples, args.dup_rate, args.seed)
    config = DedupConfig(threshold=args.threshold, shingle=args.shingle, bands=args.bands, rows=args.rows)
    stats: dict[str, int] = {}
    if args.run_dir is not None:
        write_run_dir(args.run_dir, texts, args.leaves)
    else:
        items = [DedupItem(text=t, scope=leaf_of(i, args.leaves, len(texts))) for i, t in enumerate(texts)]
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    cpu_start = time.process_time()
    if args.run_dir is not None:
        report = dedup_run(args.run_dir, config, seeds={})
        removed = {int(r.sample_id[2:]): r for r in report.removals}
        stats = dict(report.near_pass)
    else:
        removed = find_duplicates(items, config, stats)  # type: ignore[assignment]
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    caught = sum(1 for i in planted if i in removed)
    false_removals = sum(1 for i in removed if i not in planted)
    not_planted = len(texts) - len(planted)
    exact = sum(1 for m in removed.values() if getattr(m, "exact", False) or "exact" in getattr(m, "reason", ""))
    mode = f"dedup_run over {args.run_dir} (file I/O included)" if args.run_dir else "find_duplicates in memory"
    print(f"samples              {len(texts):,} ({len(planted):,} planted near-duplicates, {args.leaves} leaves); {mode}")
    print(f"config               threshold={config.threshold} shingle={config.shingle} bands={config.bands} "
          f"rows={config.rows} num_perm={config.num_perm}")
    print(f"wall time            {elapsed:.1f} s  (cpu {cpu:.1f} s)")
    print(f"throughput           {len(texts) / elapsed:,.0f} samples/s wall, {len(texts) / cpu:,.0f} samples/s cpu")
    print(f"peak RSS             {peak_kb / 1024:,.0f} MiB (before dedup {rss_before / 1024:,.0f} MiB)")
    print(f"LSH pairs            {stats}")
    print(f"removed              {len(removed):,} ({exact:,} exact, {len(removed) - exact:,} near)")
    print(f"recall               {caught / max(1, len(planted)):.4f}  ({caught:,} of {len(planted):,} planted)")
    print(f"false-positive rate  {false_removals / max(1, not_planted):.5f}  ({false_removals:,} unplanted "
          f"samples removed of {not_planted:,}); share of removals unplanted "
          f"{false_removals / max(1, len(removed)):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
