"""labgen's own CPU per teacher request in `labgen generate`, and how much of the in-flight limit it keeps busy.

`labgen generate` runs as a subprocess on the example taxonomy (taxonomy/) against the scripted stage
server (tests/generate/stage_server.py) in a process of its own, so the server's CPU is not counted;
labgen's CPU is the generate process's user + system time (resource.getrusage of the child), its check
process's included (check_process.py: a child of it, waited for when it exits). Printed,
all measured in this run, each figure beside the load average of the moment:
  - zero latency: CPU ms per request end to end (start-up, planning, rendering, parsing, checks, HTTP,
    answer store, writes, dedup), and per request beyond a --dry-run's CPU (start-up and planning);
  - with --baseline REF: the same for the code of git REF (its tree exported to a temporary folder,
    same interpreter, same taxonomy, same server), runs of the two taking turns (--rounds), the ratio
    this tree / REF per round, and whether both wrote the same files;
  - the teacher client alone (OpenAITeacher.stream of as many one-line requests, same limit, same
    server), and the ratio of generate's CPU per request to it; the same over httpx (what the teacher
    used before labgen's own HTTP client) and the ratio of the two;
  - 0.1 s latency (--latency): the mean requests in flight while work remains, as a share of each
    --limits value (this tree, then REF), beside the ceiling one core allows at the measured CPU per
    request (latency / CPU).
With --profile FILE a further zero-latency run of this tree goes under cProfile; its self time is
printed by module group and the top functions.

    .venv/bin/python bench/client_cpu.py                       # about 3-5 minutes on 2 cores
    .venv/bin/python bench/client_cpu.py --baseline main       # before/after, about 8-12 minutes
    .venv/bin/python bench/client_cpu.py --baseline main --rounds 1 --limits 256 --latency-rounds 5
    .venv/bin/python bench/client_cpu.py --profile /tmp/gen.prof --skip-latency
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pstats
import re
import resource
import socket
import statistics
import subprocess
import sys
import tarfile
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
    lean.make_chat_client = lambda *args, dispatch=False: make_http_client(*args)
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


def child_cpu(command: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> tuple[float, float, str]:
    """(CPU seconds, wall seconds, stdout) of one child process; exits on failure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[:3])} ... failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall, done.stdout


class Tree:
    """A version of labgen to measure: this checkout, or a git ref's tree exported to a folder."""

    def __init__(self, name: str, root: Path) -> None:
        self.name = name
        self.root = root
        self.env = {**os.environ, "PYTHONPATH": str(root) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: modules are compiled once, not at every start

    @classmethod
    def exported(cls, ref: str, folder: Path) -> Tree:
        archive = subprocess.run(["git", "archive", "--format=tar", ref], cwd=ROOT, capture_output=True, check=True)
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(folder, filter="data")
        commit = subprocess.run(["git", "rev-parse", "--short", ref], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.strip()
        return cls(f"{ref} ({commit})", folder)

    def cpu(self, command: list[str]) -> tuple[float, float, str]:
        # cwd is the tree: `python -c` puts it first on sys.path, so its labgen is the one imported.
        return child_cpu(command, self.env, self.root)


def load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def same_outputs(first: Path, second: Path) -> bool:
    """Whether two runs wrote the same sample, reject and stats files (run.json and dedup.json hold times)."""
    names = sorted(str(p.relative_to(first)) for p in first.rglob("*.json*")
                   if ".labgen" not in p.parts and p.name not in ("run.json", "dedup.json"))
    if names != sorted(str(p.relative_to(second)) for p in second.rglob("*.json*")
                       if ".labgen" not in p.parts and p.name not in ("run.json", "dedup.json")):
        return False
    timings = re.compile(rb'"(mean_)?latency_s": [0-9.e+-]+')  # stats.json: the teacher's measured latency
    return all(timings.sub(b"", (first / n).read_bytes()) == timings.sub(b"", (second / n).read_bytes())
               for n in names)


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
    parser.add_argument("--target-per-seed", type=float, default=20, help="about 12,700 requests on the example")
    parser.add_argument("--max-in-flight", type=int, default=256, help="limit of the zero-latency run")
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--limits", default="32,64,256", help="in-flight limits of the latency runs")
    parser.add_argument("--baseline", metavar="REF", help="also measure the code of this git ref, taking turns")
    parser.add_argument("--rounds", type=int, default=2, help="zero-latency runs of each tree (with --baseline)")
    parser.add_argument("--latency-rounds", type=int, default=1, help="runs of each tree at each limit, taking "
                        "turns; more than one prints each run's share of the limit and the median")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--profile", metavar="FILE", help="also run once under cProfile and print where time goes")
    args = parser.parse_args()
    print(f"{load()} at start (cores: {os.cpu_count()})")
    with tempfile.TemporaryDirectory() as tmp:
        trees = [Tree("this tree", ROOT)]
        if args.baseline:
            (Path(tmp) / "baseline").mkdir()
            trees.append(Tree.exported(args.baseline, Path(tmp) / "baseline"))
        per_request: dict[str, list[float]] = {tree.name: [] for tree in trees}
        with Server(0.0) as server:
            dry: dict[str, float] = {}
            for tree in trees:
                for _ in range(2):  # the first also compiles what it imports
                    dry[tree.name], _, _ = tree.cpu(LABGEN + generate_command(
                        args, server.url, Path(tmp) / "dry", args.max_in_flight, "--dry-run"))
            rounds = args.rounds if args.baseline else 1
            for number in range(rounds):
                for tree in trees if number % 2 == 0 else trees[::-1]:  # take turns: load drifts alike
                    before = server.stats()["requests"]
                    out = Path(tmp) / f"zero-{trees.index(tree)}-{number}"
                    cpu, wall, _ = tree.cpu(LABGEN + generate_command(args, server.url, out, args.max_in_flight))
                    requests = server.stats()["requests"] - before
                    per_request[tree.name].append(1000 * cpu / requests)
                    print(f"zero latency, limit {args.max_in_flight}, {tree.name}: {requests} requests, {cpu:.2f} s "
                          f"CPU, {wall:.2f} s wall; {1000 * cpu / requests:.2f} ms CPU per request end to end, "
                          f"{1000 * (cpu - dry[tree.name]) / requests:.2f} ms beyond start-up and planning "
                          f"(a --dry-run: {dry[tree.name]:.2f} s CPU); {load()}")
            if args.baseline:
                mine, theirs = per_request[trees[0].name], per_request[trees[1].name]
                ratios = ", ".join(f"{a / b:.2f}" for a, b in zip(mine, theirs))
                print(f"  this tree / {trees[1].name}, CPU per request end to end, by round: {ratios} "
                      f"(best of each: {min(mine):.2f} against {min(theirs):.2f} ms)")
                same = all(same_outputs(Path(tmp) / f"zero-0-{n}", Path(tmp) / f"zero-1-{n}") for n in range(rounds))
                print(f"  samples.jsonl, rejects.jsonl and stats.json the same in both: {'yes' if same else 'NO'}")
            best = min(per_request[trees[0].name])
            alone = {}
            for client in ("lean", "httpx"):
                before = server.stats()["requests"]
                base_cpu, _, _ = trees[0].cpu([sys.executable, "-c", CLIENT_ONLY, server.url, str(requests),
                                               str(args.max_in_flight), client])
                assert server.stats()["requests"] - before == requests
                alone[client] = 1000 * base_cpu / requests
            print(f"  the teacher client alone ({requests} one-line requests, same limit, with its start-up): "
                  f"{alone['lean']:.2f} ms per request; generate / client alone: {best / alone['lean']:.2f}x; {load()}")
            print(f"  the same over httpx (the client before labgen's own): {alone['httpx']:.2f} ms per request; "
                  f"httpx / labgen's client: {alone['httpx'] / alone['lean']:.2f}x")
            if args.profile:
                trees[0].cpu(PROFILED + [args.profile] + generate_command(args, server.url, Path(tmp) / "prof",
                                                                          args.max_in_flight))
        if not args.skip_latency:
            shares: dict[tuple[str, int], list[float]] = defaultdict(list)
            for limit in (int(x) for x in args.limits.split(",")):
                for number in range(args.latency_rounds):
                    for tree in trees if number % 2 == 0 else trees[::-1]:  # take turns: load drifts alike
                        with Server(args.latency) as server:
                            out = Path(tmp) / f"lat-{limit}-{trees.index(tree)}-{number}"
                            cpu, wall, _ = tree.cpu(LABGEN + generate_command(args, server.url, out, limit))
                            stats = server.stats()
                        busy = stats["mean_in_flight_while_work_remains"]
                        shares[tree.name, limit].append(100 * busy / limit)
                        ms = 1000 * cpu / stats["requests"]
                        print(f"latency {args.latency:g} s, limit {limit}, {tree.name}: mean in flight while work "
                              f"remains {busy:.1f} ({100 * busy / limit:.0f}% of the limit; over the whole run "
                              f"{stats['mean_in_flight']:.1f}), peak {stats['max_in_flight']}; {stats['requests']} "
                              f"requests, {wall:.2f} s wall, {ms:.2f} ms CPU per request (a check "
                              f"process's included; one core would carry {args.latency / (ms / 1000):.0f} in flight at "
                              f"that); {load()}")
                if args.latency_rounds > 1:
                    print(f"  limit {limit}, share of the limit in flight by round: " + "; ".join(
                        f"{tree.name} {', '.join(f'{x:.0f}%' for x in shares[tree.name, limit])} (median "
                        f"{statistics.median(shares[tree.name, limit]):.0f}%)" for tree in trees))
    print(f"{load()} at end")
    if args.profile:
        print_profile(args.profile)


if __name__ == "__main__":
    main()
