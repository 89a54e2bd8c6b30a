"""Bench `labgen mix`: a million synthetic samples over ~200 leaves, mixed by the default recipe.

Prints the wall time and peak RSS of the mix subprocess against the targets (60 s, 500 MB on one core).
Usage: python bench/mix_bench.py [--rows 1000000] [--leaves 200] [--recipe default] [--profile] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 60.0
TARGET_RSS_MB = 500.0
# (branch, kind, share of the leaves)
LEAF_KINDS = [("knowledge", "knowledge", 0.4), ("foundational_skills", "freeform_skill", 0.15),
              ("compositional_skills", "freeform_skill", 0.3), ("compositional_skills", "grounded_skill", 0.15)]
WORDS = ("river delta lighthouse keeper compost heap nitrogen carbon autumn maple haiku email polite "
         "decline explain child active voice passive sentence ocean cloud vapour rain summit").split()


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _leaf_plan(leaves: int) -> list[tuple[str, str, str]]:
    plan = []
    for branch, kind, share in LEAF_KINDS:
        for i in range(max(1, round(leaves * share))):
            plan.append((f"{branch}/{kind.split('_')[0]}/topic_{i:03d}", branch, kind))
    return plan


def write_synthetic_run(run_dir: Path, rows: int, leaves: int, seed: int = 0) -> int:
    """Write `rows` samples in the samples.jsonl format over the leaves; returns bytes written.

    Leaf sizes vary (a few leaves are ten times the median) so caps matter. Each row is built from a
    per-leaf template by string substitution, which keeps generating a million rows quick.
    """
    rng = random.Random(seed)
    plan = _leaf_plan(leaves)
    weights = [rng.choice([1, 1, 1, 2, 3, 10]) for _ in plan]
    sizes = [rows * w // sum(weights) for w in weights]
    sizes[0] += rows - sum(sizes)
    total = 0
    for (leaf, branch, kind), size in zip(plan, sizes):
        folder = run_dir / leaf
        folder.mkdir(parents=True, exist_ok=True)
        context = _text(rng, 90) if kind != "freeform_skill" else None
        question, answer = _text(rng, 18), _text(rng, 70)
        template = {
            "id": "@ID@", "leaf": leaf, "branch": branch, "kind": kind,
            "messages": [{"role": "system", "content": "You are a helpful assistant."},
                         {"role": "user", "content": (context + "\n\n" if context else "") + question + " @N@"},
                         {"role": "assistant", "content": answer}],
            "question": question + " @N@", "answer": answer, "context": context, "answer_style": "@STYLE@",
            "critic": {"score": 0.82, "verdicts": {"pair_quality": {"pass": True, "score": 1.0,
                                                                     "reason": "rated 3 of 3", "confidence": 0.91}}},
            "provenance": {"leaf_path": leaf, "leaf_hash": "0" * 64, "taxonomy_commit": "1" * 40,
                           "seed_ids": ["seed-0", "seed-3", "seed-4"],
                           "teacher": {"backend": "local", "model": "SmolLM2-135M-Instruct"},
                           "seed": 42, "unit": "2" * 64, "tokens": {"prompt": 812, "completion": 140}},
        }
        line = json.dumps(template, separators=(",", ":"))
        with open(folder / "samples.jsonl", "w", encoding="utf-8") as handle:
            for n in range(size):
                style = ("short" if n % 2 else "long") if kind == "knowledge" else None
                text = (line.replace("@ID@", f"s-{leaf}-{n}").replace("@N@", str(n))
                        .replace('"@STYLE@"', json.dumps(style)))
                handle.write(text + "\n")
                total += len(text) + 1
    (run_dir / "run.json").write_text(json.dumps({"labgen_version": "bench", "seed": 42}), encoding="utf-8")
    return total


def run_mix(run_dir: Path, out_dir: Path, recipe: str, profile: Path | None,
            extra: list[str]) -> tuple[float, float, float, str]:
    """Run `labgen mix` in a subprocess; returns (wall s, CPU s, peak RSS of children in MB, stdout).

    RUSAGE_CHILDREN's ru_maxrss is the largest of all children so far: the mix is the only child.
    """
    runner = out_dir.parent / "run_labgen.py"
    runner.write_text("import sys\nfrom labgen.cli import main\nmain(sys.argv[1:])\n", encoding="utf-8")
    prefix = [sys.executable, "-m", "cProfile", "-o", str(profile), str(runner)] if profile else [
        sys.executable, str(runner)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run([*prefix, "mix", str(run_dir), "--out", str(out_dir), "--recipe", recipe, *extra],
                               capture_output=True, text=True)
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"labgen mix failed ({completed.returncode}):\n{completed.stderr}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024, completed.stdout  # ru_maxrss is in kilobytes on Linux


def _bench_one(work: Path, recipe: str, args: argparse.Namespace) -> None:
    out = work / f"out-{recipe}"
    profile = work / f"mix-{recipe}.prof" if args.profile else None
    extra = ["--max-seq-len", str(args.max_seq_len)] if args.max_seq_len else []
    if args.tokenizer:
        extra += ["--tokenizer", args.tokenizer]
    wall, cpu, peak_mb, stdout = run_mix(work / "run", out, recipe, profile, extra)
    print(stdout.rstrip())
    manifest = json.loads((out / "mix_manifest.json").read_text(encoding="utf-8"))
    written = sum(phase["rows"] for phase in manifest["phases"])
    out_bytes = sum(f.stat().st_size for f in out.glob("phase*.jsonl"))
    print(f"mix ({recipe}): wall {wall:.1f} s, CPU {cpu:.1f} s, peak RSS {peak_mb:.0f} MB, "
          f"{written} rows written ({out_bytes / 1e6:.0f} MB), {args.rows / wall:,.0f} input rows/s")
    print(f"vs targets: wall {wall / TARGET_SECONDS:.2f} x {TARGET_SECONDS:.0f} s, "
          f"RSS {peak_mb / TARGET_RSS_MB:.2f} x {TARGET_RSS_MB:.0f} MB "
          f"({'within' if wall <= TARGET_SECONDS and peak_mb <= TARGET_RSS_MB else 'MISSES'} targets)")
    print(f"cpu count {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} (other work shares the CPU)")
    shutil.rmtree(out, ignore_errors=True)  # keep the disk footprint to one output at a time
    if profile:
        import pstats

        pstats.Stats(str(profile)).sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--leaves", type=int, default=200)
    parser.add_argument("--recipe", default="default", help="recipe(s), comma-separated, run on the same input")
    parser.add_argument("--max-seq-len", type=int, default=None, help="pass --max-seq-len to the mix")
    parser.add_argument("--tokenizer", default=None, help="pass --tokenizer FILE to the mix (with --max-seq-len)")
    parser.add_argument("--profile", action="store_true", help="write a cProfile of the mix to the temp dir")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="labgen-mix-bench-"))
    try:
        started = time.perf_counter()
        size = write_synthetic_run(work / "run", args.rows, args.leaves)
        print(f"input: {args.rows} rows, {len(_leaf_plan(args.leaves))} leaves, {size / 1e6:.0f} MB "
              f"(written in {time.perf_counter() - started:.1f} s)")
        for recipe in args.recipe.split(","):
            _bench_one(work, recipe, args)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
