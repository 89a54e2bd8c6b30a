"""Bench `validate` over a synthetic taxonomy of 10,000 leaves; prints leaves/s (target: >= 2,000 on one core).

Then the same over the real InstructLab leaves of ../shared/data/real_taxonomy_dev (or $LABGEN_REAL_TAXONOMY),
when present: real files are larger and more varied, and many are invalid (the slow path: jsonschema's errors).

Usage: python bench/validate_bench.py [--leaves N] [--profile] [--real-only]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from labgen.taxonomy.validate import ValidateOptions, validate

WORDS = ("river stone light paper window garden signal market winter letter number sentence table "
         "engine forest border lesson morning harbor circle story").split()


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _block(text: str, indent: int) -> str:
    pad = " " * indent
    return "|\n" + "\n".join(pad + line for line in text.splitlines())


def skill_yaml(rng: random.Random, grounded: bool) -> str:
    lines = ["version: 3", "created_by: bench-user", f"task_description: {_sentence(rng, 8)}", "seed_examples:"]
    for index in range(rng.randint(5, 8)):
        if grounded:
            lines.append(f"  - context: {_block(_sentence(rng, 40) + chr(10) + _sentence(rng, 30), 6)}")
            lines.append(f"    question: Question {index}? {_sentence(rng, 12)}")
        else:
            lines.append(f"  - question: Question {index}? {_sentence(rng, 12)}")
        lines.append(f"    answer: {_block(_sentence(rng, 30) + chr(10) + _sentence(rng, 20), 6)}")
    return "\n".join(lines) + "\n"


def knowledge_yaml(rng: random.Random) -> str:
    lines = ["version: 3", "created_by: bench-user", f"domain: {_sentence(rng, 2)}",
             f"document_outline: {_sentence(rng, 12)}", "document:", "  repo: https://example.invalid/docs.git",
             "  commit: 0123456789abcdef0123456789abcdef01234567", "  patterns:", "    - docs/*.md",
             "seed_examples:"]
    for index in range(rng.randint(5, 6)):
        lines.append(f"  - context: {_block(_sentence(rng, 60) + chr(10) + _sentence(rng, 40), 6)}")
        lines.append("    questions_and_answers:")
        for qa in range(3):
            lines.append(f"      - question: Seed {index} question {qa}? {_sentence(rng, 10)}")
            lines.append(f"        answer: {_sentence(rng, 20)}")
    return "\n".join(lines) + "\n"


def build_tree(root: Path, leaves: int, seed: int = 7) -> None:
    """Half freeform skills, a quarter grounded skills, a quarter knowledge, 50 leaves per folder."""
    rng = random.Random(seed)
    for index in range(leaves):
        group = index // 50
        if index % 4 == 0:
            folder, text = root / "knowledge" / f"area{group}" / f"topic{index}", knowledge_yaml(rng)
        elif index % 4 == 1:
            folder, text = root / "compositional_skills" / "grounded" / f"g{group}" / f"s{index}", skill_yaml(rng, True)
        else:
            folder, text = root / "compositional_skills" / "writing" / f"w{group}" / f"s{index}", skill_yaml(rng, False)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "qna.yaml").write_text(text, encoding="utf-8")
        (folder / "attribution.txt").write_text("Title: bench\nLicense: CC-BY-4.0\n", encoding="utf-8")


def real_dev_set() -> Path | None:
    """The folder of real leaves (files/<blob>/<path>/qna.yaml), or None when it is not here."""
    given = os.environ.get("LABGEN_REAL_TAXONOMY")
    candidates = [Path(given)] if given else []
    candidates.append(Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real_taxonomy_dev")
    return next((c for c in candidates if (c / "files").is_dir()), None)


def bench_real(dev: Path, options: ValidateOptions) -> None:
    roots = sorted(str(p) for p in (dev / "files").iterdir() if p.is_dir())
    validate(roots[:20], options=options)  # warm
    started, cpu_started = time.perf_counter(), time.process_time()
    reports = validate(roots, options=options)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    invalid = sum(not r.valid for r in reports)
    print(f"real dev set ({dev}): validate(): {len(reports)} leaves in {elapsed:.2f} s wall = "
          f"{len(reports) / elapsed:,.0f} leaves/s; {cpu:.2f} s CPU = {len(reports) / cpu:,.0f} leaves/s per core "
          f"({invalid} invalid)")
    labgen = Path(sys.executable).with_name("labgen")
    command = [str(labgen) if labgen.exists() else "labgen", "validate", "--skip-documents", "--format", "json",
               *roots]
    started, children_before = time.perf_counter(), os.times()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "GITHUB_ACTIONS": ""})
    cli_elapsed, children_after = time.perf_counter() - started, os.times()
    cli_cpu = (children_after.children_user + children_after.children_system
               - children_before.children_user - children_before.children_system)
    lines = len(done.stdout.splitlines())
    print(f"real dev set: CLI end to end: exit {done.returncode}, {lines} JSON lines in {cli_elapsed:.2f} s wall = "
          f"{lines / cli_elapsed:,.0f} leaves/s; {cli_cpu:.2f} s CPU = {lines / cli_cpu:,.0f} leaves/s per core")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leaves", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true", help="print the top functions under cProfile")
    parser.add_argument("--real-only", action="store_true", help="only the real dev set")
    args = parser.parse_args()
    options = ValidateOptions(skip_documents=True)
    dev = real_dev_set()
    if args.real_only:
        if dev is None:
            raise SystemExit("real dev set not found: set LABGEN_REAL_TAXONOMY")
        bench_real(dev, options)
        return
    with tempfile.TemporaryDirectory(prefix="labgen-bench-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        build_tree(root, args.leaves)
        print(f"built {args.leaves} leaves in {time.perf_counter() - started:.1f} s")
        validate([root], options=options)  # warm: schema compilation, imports, page cache
        started, cpu_started = time.perf_counter(), time.process_time()
        reports = validate([root], options=options)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        invalid = sum(not r.valid for r in reports)
        print(f"validate(): {len(reports)} leaves in {elapsed:.2f} s wall = {len(reports) / elapsed:,.0f} leaves/s; "
              f"{cpu:.2f} s CPU = {len(reports) / cpu:,.0f} leaves/s per core "
              f"({invalid} invalid; target >= 2,000 leaves/s)")
        print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
              "(wall-clock figures are inflated when the machine is busy)")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(validate, [root], options=options)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        labgen = Path(sys.executable).with_name("labgen")
        command = [str(labgen) if labgen.exists() else "labgen", "validate", "--skip-documents", "--format", "json",
                   str(root)]
        started, children_before = time.perf_counter(), os.times()
        done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "GITHUB_ACTIONS": ""})
        cli_elapsed, children_after = time.perf_counter() - started, os.times()
        cli_cpu = (children_after.children_user + children_after.children_system
                   - children_before.children_user - children_before.children_system)
        print(f"CLI end to end: exit {done.returncode}, {len(done.stdout.splitlines())} JSON lines in "
              f"{cli_elapsed:.2f} s wall = {args.leaves / cli_elapsed:,.0f} leaves/s; {cli_cpu:.2f} s CPU = "
              f"{args.leaves / cli_cpu:,.0f} leaves/s per core")
    if dev is not None:
        bench_real(dev, options)
    else:
        print("real dev set not found (set LABGEN_REAL_TAXONOMY to measure it too)")


if __name__ == "__main__":
    main()
