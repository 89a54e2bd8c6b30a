"""Curate bench: `labgen curate` with changed thresholds over a finished run of N stored samples, on one core,
beside a second `labgen generate` with the same change (0 teacher requests, every unit replayed from the
answer store) as the baseline.

    .venv/bin/python bench/curate_bench.py [--samples 100000] [--baseline-per-seed 130] [--keep DIR]

1. A real run: `generate` on the tests' three-leaf taxonomy against an in-process, zero-latency fake teacher
   (tests/curate/varied_teacher.py), about 2,000 candidates. Then the baseline, timed: a second generate with
   pair_min_score 2 -> 3 and min_lexical_support 0.55 -> 0.9 (0 requests, asserted), and `labgen curate` with
   the same change on the same run.
2. The big run: that run's units cloned into N candidates over 30 leaves, written with the same code paths
   the run uses (unit results of sample records, each leaf's manifest, the answer store's rows, one per
   judge request, their answers copied from the real run's), each question replaced by a distinct
   instruction-like text (bench/dedup_bench.py's generator, 5% planted near-duplicates) so dedup works for
   real. Then `labgen curate` is timed on it, once with the new thresholds and once back.

Everything runs pinned to CPU 0 (os.sched_setaffinity; the curate subprocesses inherit it). CPU seconds are
the process's own; wall seconds include waiting for a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from dedup_bench import build  # noqa: E402

from labgen.generate import GenerateConfig, generate  # noqa: E402
from labgen.hashing import sha256_text, short_id  # noqa: E402
from labgen.jsonl import write_json_atomic  # noqa: E402
from labgen.store import AnswerStore  # noqa: E402
from tests.curate.varied_teacher import VariedTeacher  # noqa: E402
from tests.generate.conftest import build_taxonomy  # noqa: E402

STRICT_YAML = {"generate": {"critic": {"pair_min_score": 3, "min_lexical_support": 0.9}}}
LEAVES_PER_KIND = 10


def strict(config: GenerateConfig) -> GenerateConfig:
    return replace(config, critic=config.critic.with_overrides(pair_min_score=3, min_lexical_support=0.9))


def timed_curate(out: Path, config_file: Path | None) -> tuple[float, float, str]:
    """(wall s, CPU s, last output line) of `labgen curate OUT --no-teacher` in a subprocess."""
    command = [sys.executable, "-c", "from labgen.cli import main; main()", "curate", str(out), "--no-teacher"]
    if config_file is not None:
        command += ["--config", str(config_file)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"curate failed:\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    asked = next(line for line in done.stdout.splitlines() if "judgments asked" in line)
    return wall, cpu, asked


def records_in(out: Path) -> int:
    return sum(len(json.loads(p.read_text())["records"]) for p in (out / ".labgen" / "units").rglob("u-*.json"))


def clone_run(template: Path, out: Path, texts: list[str]) -> int:
    """Clone the template run's units into len(texts) candidates over 30 leaves; returns candidates written."""
    units_root = template / ".labgen" / "units"
    source_store = sqlite3.connect(template / ".labgen" / "answers.sqlite")
    rows = {row[0]: row for row in source_store.execute("SELECT * FROM answers")}
    by_kind: dict[str, tuple[dict, list[dict]]] = {}
    for manifest_path in sorted(units_root.rglob("leaf.json")):
        manifest = json.loads(manifest_path.read_text())
        units = [json.loads((manifest_path.parent / f"{u}.json").read_text()) for u in manifest["units"]]
        by_kind[manifest["kind"]] = (manifest, units)
    store = AnswerStore(out / ".labgen" / "answers.sqlite")
    conn = store._connection()
    next_text = 0
    for number, (kind, (manifest, units)) in enumerate(sorted(by_kind.items())):
        leaf_units: dict[str, list[str]] = {}
        end = len(texts) * (number + 1) // len(by_kind)  # this kind's share of the texts
        copy = 0
        while next_text < end:
            template_unit = units[copy % len(units)]
            leaf = f"{manifest['leaf']}/bench-{copy % LEAVES_PER_KIND:02d}"
            unit_id = "u-" + short_id([leaf, copy], 24)
            unit = dict(template_unit, unit=unit_id, leaf=leaf, index=len(leaf_units.setdefault(leaf, [])))
            new_rows = []
            records = []
            for record in template_unit["records"]:
                if next_text >= end:
                    break
                record = dict(record, id="s-" + short_id([unit_id, record["slot"]]), question=texts[next_text])
                next_text += 1
                judges = {}
                for name, (key, *mark) in record["judges"].items():
                    new_key = sha256_text(key + unit_id)
                    judges[name] = [new_key, *mark]
                    if key in rows:
                        new_rows.append((new_key, *rows[key][1:]))
                record["judges"] = judges
                records.append(record)
            unit["records"] = records
            _write(out / ".labgen" / "units" / leaf / f"{unit_id}.json", unit)
            conn.executemany("INSERT OR IGNORE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?)", new_rows)
            leaf_units[leaf].append(unit_id)
            copy += 1
        for leaf, unit_ids in leaf_units.items():
            _write(out / ".labgen" / "units" / leaf / "leaf.json", dict(manifest, leaf=leaf, units=unit_ids))
    store.close()
    run = json.loads((template / "run.json").read_text())
    run["leaves"] = {}
    write_json_atomic(out / "run.json", run)
    return next_text


def _write(path: Path, value: object) -> None:
    """A unit file as UnitStore.save writes it, without its fsync: the bench's input, built fast."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=100_000, help="candidates in the big run")
    parser.add_argument("--baseline-per-seed", type=float, default=130.0, help="target_per_seed of the real run")
    parser.add_argument("--keep", type=Path, default=None, help="build in this folder and keep it")
    args = parser.parse_args()
    os.sched_setaffinity(0, {0})
    work = args.keep or Path(tempfile.mkdtemp(prefix="curate-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    strict_yaml = work / "strict.yaml"
    strict_yaml.write_text(json.dumps(STRICT_YAML))  # JSON is YAML
    loose_yaml = work / "loose.yaml"
    loose_yaml.write_text(json.dumps({"generate": {"critic": {"pair_min_score": 2, "min_lexical_support": 0.55}}}))
    try:
        taxonomy = build_taxonomy(work / "taxonomy")
        config = GenerateConfig(target_per_seed=args.baseline_per_seed, max_active_units=8)
        template = work / "run"
        started = time.perf_counter()
        generate(taxonomy, template, VariedTeacher(), config)
        first = time.perf_counter() - started
        candidates = records_in(template)
        teacher = VariedTeacher()
        cpu0, started = time.process_time(), time.perf_counter()
        generate(taxonomy, template, teacher, strict(config))
        second_wall, second_cpu = time.perf_counter() - started, time.process_time() - cpu0
        assert teacher.history == [], "the second generate must send no request"
        generate(taxonomy, template, VariedTeacher(), config)  # back to the first settings, still 0 requests
        small_wall, small_cpu, _ = timed_curate(template, strict_yaml)
        print(f"real run: {candidates} candidates, first generate {first:.1f}s wall")
        print(f"  second generate, new thresholds, 0 requests: {second_wall:.2f}s wall, {second_cpu:.2f}s CPU "
              f"({1000 * second_cpu / candidates:.2f} ms CPU per candidate)")
        print(f"  labgen curate, same change, same run:       {small_wall:.2f}s wall, {small_cpu:.2f}s CPU "
              f"({1000 * small_cpu / candidates:.2f} ms CPU per candidate); generate/curate CPU ratio "
              f"{second_cpu / small_cpu:.1f}x")

        texts, _ = build(args.samples, 0.05, 7)
        big = work / "big"
        started = time.perf_counter()
        written = clone_run(template, big, texts)
        print(f"big run: {written} candidates over {LEAVES_PER_KIND * 3} leaves, built in "
              f"{time.perf_counter() - started:.1f}s")
        for name, config_file in (("new thresholds", strict_yaml), ("back to the run's", loose_yaml),
                                  ("unchanged", None)):
            wall, cpu, asked = timed_curate(big, config_file)
            print(f"  labgen curate ({name}): {wall:.1f}s wall, {cpu:.1f}s CPU, "
                  f"{1e6 * cpu / written:.0f} us CPU per candidate; {asked}")
        kept = sum(1 for p in big.rglob("samples.jsonl") for _ in p.open())
        print(f"  kept {kept} of {written}; a second generate at the real run's cost would take about "
              f"{second_cpu / candidates * written:.0f}s CPU")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
