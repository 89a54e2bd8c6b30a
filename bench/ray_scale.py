"""Wall time of `labgen generate` on the example taxonomy, one process against `--executor ray`, in one run.

The scripted stage server (tests/generate/stage_server.py) answers every request after a fixed latency, in
a process of its own, with no limit of its own: it stands for as many teacher servers as labgen keeps
requests at. Printed, all measured in this run on the same server:
  - local, --max-in-flight M: one process, one teacher keeping M requests in flight;
  - local, --max-in-flight 2M: the same with twice the limit (what two servers of limit M offer);
  - ray, 2 CPUs, --max-in-flight M: each leaf a Ray task with its own teacher keeping M in flight, two tasks
    at once (as two nodes each with its own server would), on a local cluster this script starts
    beforehand (`ray.init(num_cpus=2)`; its start-up is printed apart) and the CLI joins with
    --ray-address; the output files are compared byte for byte with the local run's.

    .venv/bin/python bench/ray_scale.py                  # about a minute on 2 cores
    .venv/bin/python bench/ray_scale.py --latency 0 --max-in-flight 64
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from client_cpu import LABGEN, ROOT, Server, child_cpu  # noqa: E402


def command(args: argparse.Namespace, url: str, out: Path, limit: int, *extra: str) -> list[str]:
    return [*LABGEN, "generate", args.taxonomy, "--out", str(out), "--teacher", "openai", "--teacher-url", url,
            "--max-in-flight", str(limit), "--target-per-seed", str(args.target_per_seed), "--max-rounds", "1",
            "--seed", "1", "--quiet", *extra]


def leaf_files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for name in ("samples.jsonl", "rejects.jsonl")
            for p in sorted(out.rglob(name))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taxonomy", default=str(ROOT / "taxonomy"))
    parser.add_argument("--target-per-seed", type=float, default=5)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--max-in-flight", type=int, default=8)
    parser.add_argument("--runs", default="local,local2,ray", help="which runs: local, local2 (twice the limit), ray")
    args = parser.parse_args()
    limit = args.max_in_flight
    print(f"load average at start: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()}); latency {args.latency} s, "
          f"--target-per-seed {args.target_per_seed}, --max-rounds 1")
    import logging

    import ray

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # Ray's own processes too
    started = time.monotonic()
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
    address = ray.get_runtime_context().gcs_address
    # After ray.init: its RAY_AUTH_MODE=token (Ray 2.59+ local clusters use token authentication) lets the
    # CLI join with the token ray.init wrote to ~/.ray/auth_token.
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("RAY_ADDRESS", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: modules compiled once, not at every start
    print(f"ray.init(num_cpus=2): {time.monotonic() - started:.1f} s")
    try:
        with tempfile.TemporaryDirectory() as tmp, Server(args.latency) as server:
            runs = {"local": ("local", limit, ()), "local, twice the limit": ("local2", 2 * limit, ()),
                    "ray, 2 CPUs": ("ray", limit, ("--executor", "ray", "--ray-address", address))}
            chosen = args.runs.split(",")
            files = {}
            for name, (key, in_flight, extra) in runs.items():
                if key not in chosen:
                    continue
                before = server.stats()["requests"]
                out = Path(tmp) / name.replace(" ", "_").replace(",", "")
                cpu, wall, _ = child_cpu(command(args, server.url, out, in_flight, *extra), env)
                requests = server.stats()["requests"] - before
                files[name] = leaf_files(out)
                print(f"{name:24s} --max-in-flight {in_flight:3d}: {wall:6.1f} s wall, {requests} requests, "
                      f"{requests / wall:6.1f} requests/s (driver CPU {cpu:.1f} s)")
            if "local" in files and "ray, 2 CPUs" in files:
                same = files["ray, 2 CPUs"] == files["local"]
                print(f"ray output identical to local: {same} ({len(files['local'])} files)")
            print(f"load average at end: {os.getloadavg()[0]:.2f}")
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
