"""labgen's own CPU per teacher request in `labgen generate`, and how much of the in-flight limit it keeps busy.

`labgen generate` runs as a subprocess on the example taxonomy (taxonomy/) against the scripted stage
server (tests/generate/stage_server.py) in a process of its own, so the server's CPU is not counted;
labgen's CPU is the generate process's user + system time (resource.getrusage of the child). Printed,
all measured in this run:
  - zero latency: CPU ms per request end to end (start-up, planning, rendering, parsing, checks, HTTP,
    answer store, writes, dedup), and per request beyond a --dry-run's CPU (start-up and planning);
  - baseline: the teacher client alone (OpenAITeacher.stream of as many one-line requests, same limit,
    same server), and the ratio of generate's CPU per request to it; the same over httpx (what the
    teacher used before labgen's own HTTP client) and the ratio of the two;
  - 0.1 s latency (--latency): the mean requests in flight while work remains, as a share of each
    --limits value, beside the ceiling one core allows at the measured CPU per request (latency / CPU).
With --profile FILE a further zero-latency run goes under cProfile; its self time is printed by module
group and the top functions.

    .venv/bin/python bench/client_cpu.py                       # about 2-4 minutes on 2 cores
    .venv/bin/python bench/client_cpu.py --profile /tmp/gen.prof --skip-latency
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LABGEN = [sys.executable, "-c", "import sys; from labgen.cli import main; sys.exit(main())"]
# CPU time, not wall time: on a shared machine waiting for the CPU must not count as work.
PROFILED = [sys.executable, "-c", "import cProfile, sys, time; from labgen.cli import main; out = sys.argv.pop(1); "
            "profile = cProfile.Profile(time.process_time)\ntry:\n    profile.runcall(main)\nexcept SystemExit:\n"
            "    pass\nprofile.dump_stats(out)"]
CLIENT_ONLY = """
import json, sys
from labgen.teachers.base import ChatRequest, SamplingParams
from labgen.teachers.openai_direct import OpenAITeacher
url, count, limit, client = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
if client == "httpx":  # what the teacher used before its own HTTP client: httpx over 8-connection pools
    import labgen.teachers.http_lean as lean
    from labgen.teachers.http_pool import make_http_client
    lean.make_chat_client = make_http_client
requests = (ChatRequest(({"role": "user", "content": f"Question {i}: name a colour."},),
                        SamplingParams(max_tokens=16, seed=i), stage="bench") for i in range(count))
teacher = OpenAITeacher(base_url=url, model="stage-fake", max_in_flight=limit)
ok = sum(c.ok for c in teacher.stream(requests))
teacher.close()
print(json.dumps({"ok": ok}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """The stage server in its own process (its CPU is not the client's)."""

    def __init__(self, latency_s: float) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.process = subprocess.Popen([sys.executable, "-m", "tests.generate.stage_server", str(self.port),
                                         str(latency_s)], cwd=ROOT, stdout=subprocess.DEVNULL)
        import httpx

        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(self.url + "/models", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stats(self) -> dict[str, Any]:
        import httpx

        return httpx.get(f"http://127.0.0.1:{self.port}/stats", timeout=10).json()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(10)


def child_cpu(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """(CPU seconds, wall seconds, stdout) of one child process; exits on failure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[:3])} ... failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall, done.stdout


def generate_command(args: argparse.Namespace, url: str, out: Path, limit: int, *extra: str) -> list[str]:
    return ["generate", args.taxonomy, "--out", str(out), "--teacher", "openai", "--teacher-url", url,
            "--max-in-flight", str(limit), "--target-per-seed", str(args.target_per_seed), "--max-rounds", "1",
            "--seed", "1", "--quiet", *extra]


def print_profile(path: str, top: int = 30) -> None:
    stats = pstats.Stats(path)
    total = sum(tt for (_, _, tt, _, _) in stats.stats.values())  # type: ignore[attr-defined]
    groups: dict[str, float] = defaultdict(float)
    rows = []
    for (filename, line, name), (_, calls, tt, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
        groups[module_group(filename)] += tt
        rows.append((tt, ct, calls, f"{short_path(filename)}:{line}:{name}"))
    print(f"profile: {total:.2f} s of self time")
    for group, seconds in sorted(groups.items(), key=lambda item: -item[1])[:top]:
        print(f"  {100 * seconds / total:5.1f}%  {group}")
    print(f"top {top} functions by self time (self s, cumulative s, calls):")
    for tt, ct, calls, where in sorted(rows, reverse=True)[:top]:
        print(f"  {100 * tt / total:5.1f}%  {tt:7.3f}  {ct:7.3f}  {calls:8d}  {where}")


def module_group(filename: str) -> str:
    path = filename.replace(os.sep, "/")
    if "/labgen/" in path and "site-packages" not in path:
        part = path.split("/labgen/", 1)[1]
        return "labgen/" + (part.split("/")[0] if "/" in part else part)
    for name in ("httpx", "httpcore", "h11", "anyio", "jinja2", "markupsafe", "yaml", "jsonschema", "datasketch",
                 "git", "click", "sqlite3", "asyncio", "json", "re", "hashlib", "ssl", "selectors"):
        if f"/{name}/" in path or path.endswith(f"/{name}.py"):
            return name
    if path == "~":
        return "C functions (sockets, sqlite, compile, ...)"
    return "other"


def short_path(filename: str) -> str:
    path = filename.replace(os.sep, "/")
    for marker in ("/labgen/", "/site-packages/", "/lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1] if marker != "/labgen/" else "labgen/" + path.split(marker, 1)[1]
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taxonomy", default=str(ROOT / "taxonomy"))
    parser.add_argument("--target-per-seed", type=float, default=20, help="about 4,600 requests on the example")
    parser.add_argument("--max-in-flight", type=int, default=256, help="limit of the zero-latency run")
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--limits", default="32,256", help="in-flight limits of the latency runs")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--profile", metavar="FILE", help="also run once under cProfile and print where time goes")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: modules are compiled once, not at every start
    print(f"load average at start: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})")
    with tempfile.TemporaryDirectory() as tmp, Server(0.0) as server:
        for _ in range(2):  # the first also compiles what it imports
            dry_cpu, _, _ = child_cpu(LABGEN + generate_command(args, server.url, Path(tmp) / "dry",
                                                                args.max_in_flight, "--dry-run"), env)
        before = server.stats()["requests"]
        cpu, wall, _ = child_cpu(LABGEN + generate_command(args, server.url, Path(tmp) / "zero", args.max_in_flight),
                                 env)
        requests = server.stats()["requests"] - before
        per_request = 1000 * cpu / requests
        beyond = 1000 * (cpu - dry_cpu) / requests
        print(f"zero latency, limit {args.max_in_flight}: {requests} requests, {cpu:.2f} s CPU, {wall:.2f} s wall")
        print(f"  labgen CPU per request: {per_request:.2f} ms end to end; {beyond:.2f} ms beyond start-up and "
              f"planning (a --dry-run: {dry_cpu:.2f} s CPU)")
        alone = {}
        for client in ("lean", "httpx"):
            before = server.stats()["requests"]
            base_cpu, _, _ = child_cpu([sys.executable, "-c", CLIENT_ONLY, server.url, str(requests),
                                        str(args.max_in_flight), client], env)
            assert server.stats()["requests"] - before == requests
            alone[client] = 1000 * base_cpu / requests
        print(f"  baseline, the teacher client alone ({requests} one-line requests, same limit, with its start-up): "
              f"{alone['lean']:.2f} ms per request; generate / client alone: {per_request / alone['lean']:.2f}x")
        print(f"  the same over httpx (the client before labgen's own): {alone['httpx']:.2f} ms per request; "
              f"httpx / labgen's client: {alone['httpx'] / alone['lean']:.2f}x")
        if args.profile:
            child_cpu(PROFILED + [args.profile] + generate_command(args, server.url, Path(tmp) / "prof",
                                                                   args.max_in_flight), env)
    if not args.skip_latency:
        for limit in (int(x) for x in args.limits.split(",")):
            with tempfile.TemporaryDirectory() as tmp, Server(args.latency) as server:
                cpu, wall, _ = child_cpu(LABGEN + generate_command(args, server.url, Path(tmp) / "out", limit), env)
                stats = server.stats()
                busy = stats["mean_in_flight_while_work_remains"]
                ceiling = args.latency / max(beyond / 1000, 1e-9)
                print(f"latency {args.latency:g} s, limit {limit}: mean in flight while work remains {busy:.1f} "
                      f"({100 * busy / limit:.0f}% of the limit; over the whole run {stats['mean_in_flight']:.1f}), "
                      f"peak {stats['max_in_flight']}; one core's ceiling at {beyond:.2f} ms/request: "
                      f"{ceiling:.0f} in flight; {stats['requests']} requests, {wall:.2f} s wall, "
                      f"{1000 * cpu / stats['requests']:.2f} ms CPU per request")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    if args.profile:
        print_profile(args.profile)


if __name__ == "__main__":
    main()
