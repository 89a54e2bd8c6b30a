"""Client overhead of labgen's OpenAI-compatible teacher, measured against a raw openai.AsyncOpenAI loop.

Both run the same requests against the same zero-latency local server (bench/fake_openai_server.py,
in a subprocess so its CPU is not counted), in the same run. Prints requests/s, the ratio, and the
client CPU per request (process CPU time / requests); then the wall time against a 200 ms server
with 64 in flight, next to the ideal requests x latency / concurrency.
Targets: ratio >= 0.8, client CPU <= 2 ms/request, wall <= 1.1 x ideal.

    .venv/bin/python bench/teacher_overhead.py [--requests 2000] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_openai_server import FakeOpenAIServer  # noqa: E402

from labgen.teachers.base import ChatRequest, Choice, Completion, SamplingParams  # noqa: E402
from labgen.teachers.bounded import BoundedTeacher  # noqa: E402


def make_requests(count: int) -> list[ChatRequest]:
    params = SamplingParams(temperature=0.7, max_tokens=64)
    return [ChatRequest(({"role": "system", "content": "You write questions about a leaf."},
                         {"role": "user", "content": f"Write question number {i} about lighthouses."}),
                        params, stage="bench") for i in range(count)]


def measure(label: str, run: Any, count: int) -> dict[str, float]:
    cpu0, wall0 = time.process_time(), time.perf_counter()
    ok = run()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    result = {"rps": count / wall, "cpu_ms": 1000 * cpu / count, "wall_s": wall, "ok": ok}
    print(f"  {label:<28} {result['rps']:8.0f} req/s   client CPU {result['cpu_ms']:.3f} ms/req   "
          f"wall {wall:.2f} s   ok {ok}/{count}")
    return result


def raw_openai(url: str, model: str, requests: list[ChatRequest], concurrency: int, pools: int = 1) -> int:
    """The plain loop: one AsyncOpenAI client (or `pools` of them, least busy first), a semaphore, gather."""
    import httpx
    import openai

    async def main() -> int:
        size = -(-concurrency // pools) + 1
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        clients = [openai.AsyncOpenAI(base_url=url, api_key="EMPTY", max_retries=0,
                                      http_client=httpx.AsyncClient(limits=limits, timeout=60)) for _ in range(pools)]
        busy = [0] * pools
        semaphore = asyncio.Semaphore(concurrency)

        async def one(request: ChatRequest) -> bool:
            async with semaphore:
                index = busy.index(min(busy))
                busy[index] += 1
                p = request.params
                try:
                    answer = await clients[index].chat.completions.create(
                        model=model, messages=list(request.messages), temperature=p.temperature, top_p=p.top_p,
                        max_tokens=p.max_tokens)
                finally:
                    busy[index] -= 1
                return bool(answer.choices[0].message.content)

        results = await asyncio.gather(*(one(r) for r in requests))
        for client in clients:
            await client.close()
        return sum(results)

    return asyncio.run(main())


def labgen_teacher(teacher: Any, requests: list[ChatRequest]) -> int:
    ok = sum(1 for completion in teacher.stream(requests) if completion.ok)
    teacher.close()
    return ok


def direct(url: str, concurrency: int) -> Any:
    from labgen.teachers.openai_direct import OpenAITeacher
    return OpenAITeacher(base_url=url, max_in_flight=concurrency, request_timeout=60)


def langchain(url: str, concurrency: int) -> Any:
    from labgen.teachers.langchain_client import LangChainTeacher
    from labgen.teachers.retry import RetryPolicy
    return LangChainTeacher.for_openai_server(base_url=url, model=None, api_key="EMPTY", max_in_flight=concurrency,
                                              request_timeout=60, retry=RetryPolicy())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency-requests", type=int, default=1280)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency-only", action="store_true", help="only the 200 ms wall-time check")
    args = parser.parse_args()
    if args.latency_only:
        latency_check(args)
        return
    requests = make_requests(args.requests)
    results: dict[str, list[dict[str, float]]] = {}
    with FakeOpenAIServer(latency_s=0.0, record_prompts=False) as server:
        print(f"zero-latency server at {server.base_url}; {args.requests} requests, {args.concurrency} in flight")
        # import cost is paid once, outside the measurement, for every client alike
        import langchain_openai  # noqa: F401
        import openai  # noqa: F401
        runs = {
            "raw openai.AsyncOpenAI": lambda: raw_openai(server.base_url, server.model, requests, args.concurrency),
            # the same SDK loop with labgen's small pools: how much of its cost is httpcore's big pool
            "raw AsyncOpenAI, 8-conn pools": lambda: raw_openai(server.base_url, server.model, requests,
                                                                args.concurrency, pools=-(-args.concurrency // 8)),
            "labgen openai (direct)": lambda: labgen_teacher(direct(server.base_url, args.concurrency), requests),
            "labgen openai (langchain)": lambda: labgen_teacher(langchain(server.base_url, args.concurrency),
                                                                requests),
        }
        for round_ in range(args.rounds):
            print(f"round {round_ + 1}")
            for label, run in runs.items():
                results.setdefault(label, []).append(measure(label, run, args.requests))
    raw = results["raw openai.AsyncOpenAI"]
    print(f"summary over {args.rounds} rounds (ratios pair runs of the same round; CPU is the mean):")
    for label in ("labgen openai (direct)", "labgen openai (langchain)", "raw AsyncOpenAI, 8-conn pools"):
        ratios = sorted(r["rps"] / b["rps"] for r, b in zip(results[label], raw))
        cpu = statistics.mean(r["cpu_ms"] for r in results[label])
        print(f"  {label:<30} req/s ratio to raw AsyncOpenAI: median {statistics.median(ratios):.2f} "
              f"(min {ratios[0]:.2f}; target >= 0.8)   client CPU {cpu:.3f} ms/req (target <= 2)")
    print(f"  {'raw openai.AsyncOpenAI':<30} client CPU {statistics.mean(r['cpu_ms'] for r in raw):.3f} ms/req")
    latency_check(args)


def latency_check(args: argparse.Namespace) -> None:
    import httpx  # noqa: F401  (the one-time import, ~0.2 s on a busy machine, is not what is measured)

    latency = 0.2
    count = args.latency_requests
    ideal = count * latency / args.concurrency
    with FakeOpenAIServer(latency_s=latency, record_prompts=False) as server:
        result = measure("labgen direct, 200 ms server", lambda: labgen_teacher(
            direct(server.base_url, args.concurrency), make_requests(count)), count)
        stats = server.stats()
    print(f"  {count} requests x {latency} s / {args.concurrency} in flight: ideal {ideal:.2f} s, "
          f"wall {result['wall_s']:.2f} s = {result['wall_s'] / ideal:.3f} x ideal (target <= 1.1); "
          f"server saw at most {stats['max_in_flight']} in flight")
    floor = measure("same stream, no HTTP (sleep)", lambda: labgen_teacher(
        SleepingTeacher(latency, args.concurrency), make_requests(count)), count)
    print(f"  labgen's concurrency machinery alone: {floor['wall_s'] / ideal:.3f} x ideal; the rest is HTTP CPU "
          f"({result['cpu_ms']:.2f} ms/req = {result['cpu_ms'] * count / 1000:.2f} s of CPU in a {ideal:.1f} s window) "
          f"and whatever else runs on this machine (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")


class SleepingTeacher(BoundedTeacher):
    """A backend that only waits: what the bounded base costs without any HTTP."""

    backend = "sleep"

    def __init__(self, latency_s: float, max_in_flight: int) -> None:
        super().__init__(max_in_flight=max_in_flight)
        self.latency_s = latency_s

    @property
    def model(self) -> str:
        return "sleep"

    async def _complete_once(self, request: ChatRequest) -> Completion:
        await asyncio.sleep(self.latency_s)
        return Completion(request=request, choices=(Choice("ok", "stop"),))


if __name__ == "__main__":
    main()
