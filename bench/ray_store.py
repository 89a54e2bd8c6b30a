"""The cost of the Ray answer-store actor per request, seen from a worker (labgen/store/remote.py).

A local Ray cluster (2 CPUs), the store actor on it, and `RemoteAnswers` in this process as a Ray worker
would use it: a lookup and a write one request at a time (two actor calls), then lookups that start in
one turn of the event loop (16 and 256 at once), which go as one call. Printed: wall and this process's
CPU per lookup, and lookups per second.

    .venv/bin/python bench/ray_store.py                       # about 20 s on 2 cores
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
import time

from labgen.store.remote import AnswerStoreServer, RemoteAnswers
from labgen.teachers.base import ChatRequest, Choice, Completion, SamplingParams


def request(i: int) -> ChatRequest:
    return ChatRequest(messages=({"role": "user", "content": f"question {i} " * 20},), params=SamplingParams(seed=i),
                       stage="judge_pair")


async def measure(actor: object, count: int = 1000) -> None:
    store = RemoteAnswers(actor)
    await store.aget("warm-up", request(0))
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(count):
        await store.aput(f"k{i}", Completion(request=request(i), prompt_tokens=100, completion_tokens=8, model="m",
                                             choices=(Choice(text="Reason: fine.\nScore: 3", finish_reason="stop"),)))
        await store.aget(f"k{i}", request(i))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"one at a time: {1000 * wall / count:.2f} ms wall per lookup and write, {1000 * cpu / count:.2f} ms CPU")
    for width in (16, 256):
        rounds = 4000 // width
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(rounds):
            await asyncio.gather(*[store.aget(f"k{j % count}", request(j)) for j in range(width)])
        wall, cpu, done = time.perf_counter() - wall, time.process_time() - cpu, rounds * width
        print(f"{width} lookups per loop turn: {1e6 * wall / done:.0f} us wall, {1e6 * cpu / done:.0f} us CPU per "
              f"lookup, {done / wall:.0f} lookups/s")


def main() -> None:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    import ray

    print(f"load average at start: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})")
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            actor = ray.remote(AnswerStoreServer).options(num_cpus=0).remote(os.path.join(tmp, "answers.sqlite"))
            asyncio.run(measure(actor))
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
