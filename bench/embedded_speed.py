"""The embedded teacher's runtime: xllamacpp (prebuilt llama.cpp server in process) against today's baseline.

Prints, in one run on the same model file and prompts:
- tokens/s of labgen's embedded teacher with 1 request at a time and with N in flight (llama.cpp slots);
- prompt tokens evaluated per second, the shipped Q4_1 weights against labgen's Q8_0 copy;
- the same prompts through llama-cpp-python's `create_chat_completion`, the runtime labgen used before
  (skipped with a note when it is not installed: it compiles from source, so the lock leaves it out);
- whether each runtime enforces a grammar and returns logprobs;
- with --main-job (or --main-job-only): `labgen generate taxonomy/` on the example taxonomy, idle and
  beside a competing process that keeps one core busy: wall and CPU seconds, the load average before it,
  llama.cpp's prompt tokens evaluated and taken from a slot's cache, and kept/generated per leaf kind;
  --no-routing runs it with llama.cpp choosing each request's slot itself (before prefix routing).

    .venv/bin/python bench/embedded_speed.py [--parallel 4] [--max-tokens 96] [--rounds 2] [--main-job]
    .venv/bin/python bench/embedded_speed.py --main-job-only [--idle-only] [--no-routing]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labgen.teachers.base import ChatRequest, OutputFormat, SamplingParams  # noqa: E402
from labgen.teachers.embedded import (DEFAULT_PARALLEL, EmbeddedTeacher, default_threads,  # noqa: E402
                                      embedded_model_path, usable_cores)

PROMPTS = [
    "Write a haiku about autumn rain.",
    "Explain in two sentences why the sky is blue.",
    "List three uses of a lighthouse.",
    "Write a polite email declining a meeting invitation.",
    "What is compost made of?",
    "Rewrite in the active voice: The ball was thrown by the boy.",
    "Name four planets and one fact about each.",
    "Describe a market square at dawn.",
]
VERDICT = OutputFormat("Verdict", ("YES", "NO"), reason_chars=60)


def requests(max_tokens: int) -> list[ChatRequest]:
    return [ChatRequest(({"role": "user", "content": p},), SamplingParams(temperature=0.0, max_tokens=max_tokens,
                                                                        seed=0), tag=i)
            for i, p in enumerate(PROMPTS)]


def labgen_rate(parallel: int, threads: int | None, max_tokens: int, rounds: int) -> tuple[float, float]:
    """(tokens/s, CPU seconds per 100 tokens) of the embedded teacher with `parallel` requests in flight."""
    teacher = EmbeddedTeacher(threads=threads, n_ctx=1024, parallel=parallel)
    teacher.load()
    tokens, start, cpu = 0, time.perf_counter(), time.process_time()
    for _ in range(rounds):
        tokens += sum(c.completion_tokens for c in teacher.stream(requests(max_tokens)))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    teacher.close()
    return tokens / wall, 100 * cpu / max(tokens, 1)


def labgen_features(threads: int) -> tuple[bool, bool]:
    teacher = EmbeddedTeacher(threads=threads, n_ctx=1024, parallel=1)
    grammar = teacher.run(teacher.complete(ChatRequest(
        ({"role": "user", "content": "Write a limerick about a cat."},),
        SamplingParams(temperature=0.0, max_tokens=40, output_format=VERDICT))))
    scored = teacher.run(teacher.complete(ChatRequest(
        ({"role": "user", "content": "Name a fruit."},),
        SamplingParams(temperature=0.0, max_tokens=4, logprobs=True, top_logprobs=2))))
    teacher.close()
    return bool(re.fullmatch(VERDICT.regex(), grammar.text)), bool(scored.choices and scored.choices[0].logprobs)


def prompt_eval_rates(threads: int, rounds: int = 3) -> dict[str, float]:
    """Prompt tokens evaluated per second, the shipped Q4_1 file against its Q8_0 copy, taking turns on
    the same ~900-token judge prompt with a different first line each time (nothing from the cache)."""
    template = (ROOT / "prompts" / "judge_instruction.yaml").read_text()
    teachers = {"Q4_1 (shipped)": EmbeddedTeacher(threads=threads, n_ctx=2048, parallel=1, fast_weights=False),
                "Q8_0 (labgen's copy)": EmbeddedTeacher(threads=threads, n_ctx=2048, parallel=1)}
    spent = dict.fromkeys(teachers, 0.0)
    for teacher in teachers.values():
        teacher.load()
    for n in range(rounds):
        for name, teacher in teachers.items():
            request = ChatRequest(({"role": "user", "content": f"Round {n}.\n{template}"},),
                                  SamplingParams(temperature=0.0, max_tokens=1))
            start = time.perf_counter()
            teacher.run(teacher.complete(request))
            spent[name] += time.perf_counter() - start
    rates = {name: teacher.prompt_cache.evaluated / spent[name] for name, teacher in teachers.items()}
    for teacher in teachers.values():
        teacher.close()
    return rates


def llama_cpp_python(threads: int, max_tokens: int, rounds: int) -> dict[str, Any] | None:
    """Today's baseline: llama-cpp-python, one request at a time; None when it is not installed."""
    try:
        from llama_cpp import Llama, LlamaGrammar
    except ImportError:
        return None
    path = str(embedded_model_path())
    llm = Llama(model_path=path, n_ctx=1024, n_threads=threads, n_threads_batch=threads, verbose=False)
    tokens, start, cpu = 0, time.perf_counter(), time.process_time()
    for _ in range(rounds):
        for prompt in PROMPTS:
            result = llm.create_chat_completion(messages=[{"role": "user", "content": prompt}], temperature=0.0,
                                                max_tokens=max_tokens, seed=0)
            tokens += int(result["usage"]["completion_tokens"])
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    grammar = llm.create_chat_completion(messages=[{"role": "user", "content": "Write a limerick about a cat."}],
                                         temperature=0.0, max_tokens=40,
                                         grammar=LlamaGrammar.from_string(VERDICT.gbnf(), verbose=False))
    llm.close()
    # Logprobs need a second instance with logits_all=True in llama-cpp-python (about 8x slower decoding).
    scored = Llama(model_path=path, n_ctx=1024, n_threads=threads, logits_all=True, verbose=False)
    start = time.perf_counter()
    result = scored.create_chat_completion(messages=[{"role": "user", "content": PROMPTS[1]}], temperature=0.0,
                                           max_tokens=max_tokens, logprobs=True, top_logprobs=1, seed=0)
    logprob_rate = int(result["usage"]["completion_tokens"]) / (time.perf_counter() - start)
    scored.close()
    return {"rate": tokens / wall, "cpu_per_100": 100 * cpu / max(tokens, 1),
            "grammar": bool(re.fullmatch(VERDICT.regex(), grammar["choices"][0]["message"]["content"] or "")),
            "logprob_rate": logprob_rate}


def busy_core(stop: Any) -> None:
    while not stop.is_set():
        sum(range(10_000))


def main_job(load: bool, routing: bool = True) -> dict[str, Any]:
    """The out-of-the-box main job in a child process (`labgen generate taxonomy/ --out OUT`'s library
    path with no options), idle or beside a process keeping one core busy: wall and CPU seconds of the
    child, llama.cpp's prompt tokens evaluated and taken from the cache, and yield per leaf kind."""
    stop = multiprocessing.Event()
    competitor = multiprocessing.Process(target=busy_core, args=(stop,), daemon=True) if load else None
    if competitor:
        competitor.start()
        time.sleep(0.5)
    command = [sys.executable, __file__, "--child-main-job"] + ([] if routing else ["--no-routing"])
    load_average = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as out:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command + [out], cwd=ROOT, capture_output=True, text=True,
                              env={k: v for k, v in os.environ.items() if not k.startswith("LABGEN_")})
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if competitor:
        stop.set()
        competitor.join()
    if done.returncode != 0:
        raise SystemExit(f"labgen generate failed:\n{done.stderr[-2000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report.update(wall=wall, cpu=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
                  load_average=load_average)
    return report


def child_main_job(out: str, routing: bool) -> None:
    """What `labgen generate taxonomy/ --out OUT` runs, with its defaults; prints one JSON line."""
    from labgen.cli.teacher_options import teacher_from_cli
    from labgen.config import find_config_file
    from labgen.generate import generate
    from labgen.generate.config import config_from_file, teacher_defaults
    from labgen.taxonomy.walk import load_taxonomy

    teacher = teacher_from_cli({})
    assert isinstance(teacher, EmbeddedTeacher), "the out-of-the-box teacher is the embedded one"
    config = config_from_file(find_config_file(None), teacher_defaults(teacher.backend)).validated()
    teacher.route_by_prefix = routing
    try:
        result = generate(Path("taxonomy"), Path(out), teacher, config)
    finally:
        teacher.close()
    kinds = {r.leaf.path: r.leaf.kind for r in load_taxonomy(Path("taxonomy")) if r.leaf is not None}
    per_kind: dict[str, list[int]] = {}
    for path, counts in result.leaves.items():
        tally = per_kind.setdefault(kinds[path], [0, 0])
        tally[0] += counts.kept
        tally[1] += counts.generated
    accounting = teacher.accounting.total()
    print(json.dumps({"prompt_cache": teacher.prompt_cache.as_dict(), "threads": teacher.threads,
                      "prompt_tokens": accounting.prompt_tokens, "completion_tokens": accounting.completion_tokens,
                      "yield": per_kind}))


def describe_main_job(name: str, job: dict[str, Any]) -> str:
    cache = job["prompt_cache"]
    kinds = ", ".join(f"{kind} {kept}/{generated}" for kind, (kept, generated) in sorted(job["yield"].items()))
    return (f"main job {name}: {job['wall']:.0f} s wall, {job['cpu']:.0f} CPU s (load average before "
            f"{job['load_average']:.2f}, {job['threads']} thread(s)); {cache['requests']} requests, prompt "
            f"tokens evaluated {cache['prompt_tokens_evaluated']}, from the cache {cache['prompt_tokens_cached']} "
            f"(share {cache['cache_share']:.2f}), completion tokens {job['completion_tokens']}; kept/generated: "
            f"{kinds}\n  by stage (requests, prompt tokens evaluated, generated): " +
            ", ".join(f"{stage} {c['requests']}/{c['evaluated']}/{c['generated']}"
                      for stage, c in cache.get("by_stage", {}).items()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--threads", type=int, default=usable_cores())
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--main-job", action="store_true", help="also time labgen generate on taxonomy/")
    parser.add_argument("--main-job-only", action="store_true", help="time the main job only (idle and loaded)")
    parser.add_argument("--idle-only", action="store_true", help="the main job idle only, not beside a load")
    parser.add_argument("--no-routing", action="store_true",
                        help="main job with llama.cpp choosing slots itself (the runtime before prefix routing)")
    parser.add_argument("--child-main-job", metavar="OUT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_main_job:
        child_main_job(args.child_main_job, routing=not args.no_routing)
        return
    if args.main_job_only:
        run_main_jobs(routing=not args.no_routing, idle_only=args.idle_only)
        return
    print(f"{len(PROMPTS)} prompts x {args.rounds} rounds, max_tokens {args.max_tokens}, {args.threads} threads, "
          f"temperature 0, load average {os.getloadavg()[0]:.1f}")
    single, single_cpu = labgen_rate(1, args.threads, args.max_tokens, args.rounds)
    batched, batched_cpu = labgen_rate(args.parallel, args.threads, args.max_tokens, args.rounds)
    grammar, logprobs = labgen_features(args.threads)
    print(f"xllamacpp (labgen local): 1 at a time {single:.1f} tokens/s ({single_cpu:.2f} CPU s/100 tokens); "
          f"{args.parallel} in flight {batched:.1f} tokens/s ({batched_cpu:.2f} CPU s/100 tokens), "
          f"x{batched / single:.2f}; grammar {'yes' if grammar else 'NO'}; logprobs "
          f"{'yes, same instance' if logprobs else 'NO'}")
    stop = multiprocessing.Event()
    competitor = multiprocessing.Process(target=busy_core, args=(stop,), daemon=True)
    competitor.start()
    time.sleep(0.5)
    fixed, _ = labgen_rate(args.parallel, args.threads, args.max_tokens, args.rounds)
    chosen = default_threads()
    auto, _ = labgen_rate(args.parallel, None, args.max_tokens, args.rounds)
    stop.set()
    competitor.join()
    print(f"beside a process using one core, {args.parallel} in flight: {args.threads} threads {fixed:.1f} tokens/s; "
          f"default ({chosen} thread(s), one per idle core) {auto:.1f} tokens/s, x{auto / fixed:.2f}")
    rates = prompt_eval_rates(args.threads)
    print("prompt evaluation, " + ", ".join(f"{name} {rate:.0f} tokens/s" for name, rate in rates.items()) +
          f" ({args.threads} threads, taking turns)")
    baseline = llama_cpp_python(args.threads, args.max_tokens, args.rounds)
    if baseline is None:
        print("llama-cpp-python: not installed (it compiles from source; `pip install llama-cpp-python` to "
              "compare)")
    else:
        print(f"llama-cpp-python (before): 1 at a time {baseline['rate']:.1f} tokens/s "
              f"({baseline['cpu_per_100']:.2f} CPU s/100 tokens); no batching; grammar "
              f"{'yes' if baseline['grammar'] else 'NO'}; logprobs only with logits_all: "
              f"{baseline['logprob_rate']:.1f} tokens/s")
        print(f"ratio xllamacpp/llama-cpp-python: 1 at a time {single / baseline['rate']:.2f}, "
              f"{args.parallel} in flight {batched / baseline['rate']:.2f}")
    if args.main_job:
        run_main_jobs(routing=not args.no_routing)


def machine_floor(job: dict[str, Any], threads: int) -> str:
    """What this machine's llama.cpp rates make of the job's work: its evaluated prompt tokens at the Q8_0
    prompt rate plus its generated tokens at the 4-in-flight decoding rate, a floor on its wall time that
    compares machines (the work itself does not depend on the machine)."""
    prompt_rate = prompt_eval_rates(threads, rounds=2)["Q8_0 (labgen's copy)"]
    decode_rate, _ = labgen_rate(DEFAULT_PARALLEL, threads, 96, 1)
    evaluated, generated = job["prompt_cache"]["prompt_tokens_evaluated"], job["completion_tokens"]
    floor = evaluated / prompt_rate + generated / decode_rate
    return (f"this machine ({cpu_model()}), {threads} thread(s): prompt evaluation {prompt_rate:.0f} tokens/s, decoding "
            f"{decode_rate:.0f} tokens/s with {DEFAULT_PARALLEL} in flight; the idle job's {evaluated} evaluated "
            f"and {generated} generated tokens need at least {floor:.0f} s here ({job['wall'] / floor:.2f}x of it "
            f"measured)")


def cpu_model() -> str:
    """The CPU's name and its vector extensions llama.cpp's CPU kernels use: they set the prompt rate more
    than the core count does (one 2-core machine evaluated 127 prompt tokens/s, another with AMX 480)."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "cpu unknown"
    name = re.search(r"^model name\s*:\s*(.+)$", info, re.M)
    flags = set((re.search(r"^flags\s*:\s*(.+)$", info, re.M) or re.search("(.*)", "")).group(1).split())
    wanted = [f for f in ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8") if f in flags]
    return f"{name.group(1).strip() if name else 'cpu'}; {' '.join(wanted) or 'no avx2'}"


def run_main_jobs(routing: bool, idle_only: bool = False) -> None:
    idle = main_job(load=False, routing=routing)
    print(describe_main_job("idle", idle) + " (target <= 180 s)")
    print(machine_floor(idle, idle["threads"]))
    if idle_only:
        return
    busy = main_job(load=True, routing=routing)
    print(describe_main_job("beside a process using one core", busy) +
          f"; x{busy['wall'] / idle['wall']:.2f} of idle (target <= 360 s)")


if __name__ == "__main__":
    main()
