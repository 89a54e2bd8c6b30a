"""Throughput of `labgen generate` against a local OpenAI-compatible server with a fixed latency.

The server (tests/generate/stage_server.py) answers every stage plausibly so the whole pipeline runs;
`labgen generate` runs as a subprocess on the example taxonomy. Printed, all measured in this run:
  - requests/s over the run,
  - mean requests in flight (time-weighted) against the --max-in-flight limit, while work remains
    (from the first request to the last request's start) and over the whole run,
  - prefix share per generation stage: the fraction of each prompt's tokens that repeat the previous
    prompt of the same stage and leaf (what a server's prefix cache can reuse),
  - the kept count of the first run against the target (ceil(target_per_seed x seeds) per leaf), after
    curation and dedup, with the leaves left short,
  - a second run into the same OUT with changed critic thresholds and system prompt: its teacher
    requests and its time against the first run's. With --max-rounds 1 they must be 0 (the answer store
    holds every request); with more rounds, a unit that the stricter critic leaves short of its target
    starts another round, and only those new requests reach the teacher.

    .venv/bin/python bench/generate_throughput.py --latency 0.2 --max-in-flight 32 --target-per-seed 4
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes import diverse_answer  # noqa: E402
from tests.generate.stage_server import StageServer  # noqa: E402

_PIECE = re.compile(r"\w+|[^\w\s]|\s+")
SKILL_STAGES = ("freeform_instructions", "freeform_response", "grounded_contexts", "grounded_questions",
                "grounded_response")
KNOWLEDGE_STAGES = ("knowledge_qa_short", "knowledge_qa_long")


def tokens(messages: list[dict[str, str]]) -> list[str]:
    return _PIECE.findall("".join(f"<{m['role']}>{m['content']}" for m in messages))


def leaf_key(messages: list[dict[str, str]]) -> str:
    """The leaf a generation prompt belongs to: its task description or domain line."""
    for line in messages[-1]["content"].splitlines():
        if line.startswith(("Task:", "Domain:", "Task performed on each context:")):
            return line
    return "?"


def mean_in_flight(log: list[dict], until: float) -> float:
    start = min(e["start"] for e in log)
    events = sorted([(e["start"], 1) for e in log] + [(e["end"], -1) for e in log])
    area, level, last = 0.0, 0, start
    for moment, step in events:
        moment = min(moment, until)
        area += level * max(0.0, moment - last)
        last = max(last, moment)
        level += step
    return area / max(until - start, 1e-9)


def prefix_shares(log: list[dict]) -> dict[str, float]:
    previous: dict[tuple[str, str], list[str]] = {}
    shares: dict[str, list[float]] = defaultdict(list)
    for entry in sorted(log, key=lambda e: e["start"]):
        stage = entry["stage"]
        if stage not in SKILL_STAGES + KNOWLEDGE_STAGES:
            continue
        current = tokens(entry["messages"])
        key = (stage, leaf_key(entry["messages"]))
        before = previous.get(key)
        if before is not None:
            common = 0
            for a, b in zip(before, current):
                if a != b:
                    break
                common += 1
            shares[stage].append(common / len(current))
        previous[key] = current
    return {stage: sum(v) / len(v) for stage, v in sorted(shares.items())}


def leaf_targets(taxonomy: Path, target_per_seed: float) -> dict[str, int]:
    """What each leaf should hold: ceil(target_per_seed x its seed examples)."""
    import math

    from labgen.generate.selection import select_leaves

    return {leaf.path: max(1, math.ceil(target_per_seed * len(leaf.seed_examples)))
            for leaf in select_leaves(taxonomy).leaves}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taxonomy", default=str(ROOT / "taxonomy"))
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per request at the server")
    parser.add_argument("--max-in-flight", type=int, default=32)
    parser.add_argument("--target-per-seed", type=float, default=4)
    parser.add_argument("--max-rounds", type=int, default=4)
    args = parser.parse_args()
    labgen = str(Path(sys.executable).parent / "labgen")
    # diverse_answer: new text for every item, grounded answers, judges that pass: a scripted teacher whose
    # outputs the critic and dedup keep, so the kept count measures how runs reach their target.
    with StageServer(latency_s=args.latency, answers=diverse_answer) as server, tempfile.TemporaryDirectory() as tmp:
        command = [labgen, "generate", args.taxonomy, "--out", str(Path(tmp) / "out"), "--teacher", "openai",
                   "--teacher-url", server.base_url, "--max-in-flight", str(args.max_in_flight),
                   "--target-per-seed", str(args.target_per_seed), "--max-rounds", str(args.max_rounds),
                   "--quiet"]
        started = time.monotonic()
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(command, capture_output=True, text=True)
        wall = time.monotonic() - started
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        client_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
        if done.returncode != 0:
            sys.exit(f"labgen generate failed ({done.returncode}):\n{done.stderr}")
        log = list(server.log)
        first_kept = {path: counts["kept"] for path, counts in
                      json.loads((Path(tmp) / "out" / "run.json").read_text())["leaves"].items()}
        # A second run into the same OUT with stricter critic thresholds and another system prompt: every
        # unit is curated again, every answer must come from the answer store.
        config = Path(tmp) / "labgen.yaml"
        config.write_text("generate:\n  system_prompt: You are terse.\n  critic:\n    pair_min_score: 3\n"
                          "    min_lexical_support: 0.7\n", encoding="utf-8")
        started = time.monotonic()
        again = subprocess.run(command + ["--config", str(config)], capture_output=True, text=True)
        rerun_wall = time.monotonic() - started
        if again.returncode != 0:
            sys.exit(f"labgen generate (second run) failed ({again.returncode}):\n{again.stderr}")
        rerun_requests = len(server.log) - len(log)
    targets = leaf_targets(Path(args.taxonomy), args.target_per_seed)
    first = min(e["start"] for e in log)
    last_end = max(e["end"] for e in log)
    last_start = max(e["start"] for e in log)
    busy = mean_in_flight(log, last_start)
    whole = mean_in_flight(log, last_end)
    shares = prefix_shares(log)
    skill = [shares[s] for s in SKILL_STAGES if s in shares]
    print(f"requests: {len(log)} in {last_end - first:.2f}s of serving ({wall:.2f}s wall with startup and writing)")
    print(f"requests/s: {len(log) / (last_end - first):.1f} (ideal at this latency and limit: "
          f"{args.max_in_flight / args.latency:.1f})")
    print(f"mean in flight while work remains: {busy:.1f} of {args.max_in_flight} "
          f"({100 * busy / args.max_in_flight:.0f}%); over the whole run: {whole:.1f} "
          f"({100 * whole / args.max_in_flight:.0f}%); peak {server.max_in_flight}")
    print(f"labgen client CPU: {client_cpu:.2f}s ({1000 * client_cpu / len(log):.1f} ms per request)")
    buckets = 10
    span = (last_end - first) / buckets
    profile = [mean_in_flight([e for e in log], first + (k + 1) * span) for k in range(buckets)]
    print("mean in flight up to each tenth of the run: " + " ".join(f"{p:.0f}" for p in profile))
    for stage, share in shares.items():
        print(f"prefix share {stage}: {100 * share:.0f}%")
    if skill:
        print(f"prefix share, skill stages (mean): {100 * sum(skill) / len(skill):.0f}%")
    wanted, kept = sum(targets.values()), sum(first_kept.values())
    short = {leaf: (first_kept.get(leaf, 0), target) for leaf, target in targets.items()
             if first_kept.get(leaf, 0) < target}
    print(f"kept against the target (after curation and dedup): {kept} of {wanted} "
          f"({100 * kept / max(1, wanted):.1f}%); leaves short: "
          + (", ".join(f"{leaf} {k}/{t}" for leaf, (k, t) in sorted(short.items())) or "none"))
    print(f"second run, stricter critic thresholds and a new system prompt: {rerun_requests} teacher requests, "
          f"{rerun_wall:.2f}s wall ({100 * rerun_wall / wall:.0f}% of the first run's)")


if __name__ == "__main__":
    main()
