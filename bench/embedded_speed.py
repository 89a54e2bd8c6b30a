"""Tokens/s of labgen's embedded teacher against a direct llama-cpp-python loop on the same prompts.

Same model file, same threads, same n_ctx, same max_tokens, temperature 0, a handful of prompts; both
sides load their model before timing starts. Target: ratio >= 0.9.

    .venv/bin/python bench/embedded_speed.py [--max-tokens 96] [--threads N] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

from labgen.teachers.base import ChatRequest, SamplingParams
from labgen.teachers.embedded import EmbeddedTeacher, embedded_model_path

PROMPTS = [
    "Write a haiku about autumn rain.",
    "Explain in two sentences why the sky is blue.",
    "List three uses of a lighthouse.",
    "Write a polite email declining a meeting invitation.",
    "What is compost made of?",
    "Rewrite in the active voice: The ball was thrown by the boy.",
]


def direct_one(llm: Any, prompt: str, max_tokens: int) -> int:
    result = llm.create_chat_completion(messages=[{"role": "user", "content": prompt}], temperature=0.0,
                                        max_tokens=max_tokens, seed=0)
    return int(result["usage"]["completion_tokens"])


def labgen_one(teacher: EmbeddedTeacher, prompt: str, max_tokens: int) -> int:
    request = ChatRequest(({"role": "user", "content": prompt},), SamplingParams(temperature=0.0,
                                                                              max_tokens=max_tokens, seed=0))
    return next(iter(teacher.stream([request]))).completion_tokens


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from llama_cpp import Llama

    llm = Llama(model_path=str(embedded_model_path()), n_ctx=2048, n_threads=args.threads,
                n_threads_batch=args.threads, verbose=False)
    teacher = EmbeddedTeacher(threads=args.threads, n_ctx=2048)
    teacher.load()
    # Interleaved prompt by prompt, alternating who goes first, so load changes hit both sides alike.
    totals = {"direct": [0, 0.0], "labgen": [0, 0.0]}
    runs: dict[str, Callable[[str], int]] = {"direct": lambda p: direct_one(llm, p, args.max_tokens),
                                             "labgen": lambda p: labgen_one(teacher, p, args.max_tokens)}
    print(f"{len(PROMPTS)} prompts x {args.rounds} rounds, max_tokens {args.max_tokens}, {args.threads} threads, "
          "temperature 0")
    for round_ in range(args.rounds):
        for index, prompt in enumerate(PROMPTS):
            order = ("direct", "labgen") if (index + round_) % 2 == 0 else ("labgen", "direct")
            for name in order:
                start = time.perf_counter()
                totals[name][0] += runs[name](prompt)
                totals[name][1] += time.perf_counter() - start
    rates = {name: tokens / seconds for name, (tokens, seconds) in totals.items()}
    for name, (tokens, seconds) in totals.items():
        print(f"  {name:<7} {tokens} tokens in {seconds:.2f} s = {rates[name]:.1f} tokens/s")
    teacher.close()
    print(f"direct llama-cpp-python {rates['direct']:.1f} tokens/s, labgen embedded {rates['labgen']:.1f} "
          f"tokens/s, ratio {rates['labgen'] / rates['direct']:.2f} (target >= 0.9)")


if __name__ == "__main__":
    main()
