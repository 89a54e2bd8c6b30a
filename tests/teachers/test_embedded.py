"""The embedded teacher on real generation (SmolLM2-135M via llama.cpp's server in process), short outputs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from labgen.cli import cli
from labgen.teachers.base import ChatRequest, SamplingParams
from labgen.teachers.embedded import EmbeddedTeacher, embedded_model_path

TEACHER_VARIABLES = [name for name in os.environ if name.startswith("LABGEN_TEACHER")]
MESSAGES = ({"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Name one colour of the rainbow."})


def test_model_file_ships_in_the_package() -> None:
    path = embedded_model_path()
    assert path.suffix == ".gguf" and path.stat().st_size > 50_000_000


def test_generation_text_finish_reason_usage_and_seed(embedded_teacher: EmbeddedTeacher) -> None:
    request = ChatRequest(MESSAGES, SamplingParams(temperature=0.9, max_tokens=12, seed=42), stage="gen")
    first, second = embedded_teacher.stream([request, request])
    assert first.ok and first.text.strip()
    assert first.finish_reason in ("stop", "length")
    assert 0 < first.completion_tokens <= 12
    assert first.prompt_tokens == embedded_teacher.count_tokens(MESSAGES)  # exact once loaded
    assert first.text == second.text  # same seed, same text
    assert embedded_teacher.accounting.stages["gen"].requests == 2


def test_logprobs_come_from_the_same_server(embedded_teacher: EmbeddedTeacher) -> None:
    server = embedded_teacher.load()
    request = ChatRequest(MESSAGES, SamplingParams(temperature=0.0, max_tokens=3, logprobs=True, top_logprobs=2))
    completion = embedded_teacher.run(embedded_teacher.complete(request))
    logprobs = completion.choices[0].logprobs
    assert embedded_teacher.load() is server  # no second model instance for logprobs
    assert logprobs and len(logprobs) == completion.completion_tokens
    assert all(t.logprob <= 0 and len(t.top) <= 2 for t in logprobs)
    assert logprobs[0].top and logprobs[0].top[0][1] >= logprobs[0].logprob  # the best alternative comes first


def test_parallel_requests_decode_together_and_give_the_same_text(embedded_teacher: EmbeddedTeacher) -> None:
    prompts = ["Name a fruit.", "Name a city.", "Name a river.", "Name a tree.", "Name a bird."]
    requests = [ChatRequest(({"role": "user", "content": p},), SamplingParams(temperature=0.0, max_tokens=8, seed=3),
                            tag=i) for i, p in enumerate(prompts)]
    together = {c.request.tag: c.text for c in embedded_teacher.stream(requests)}
    alone = EmbeddedTeacher(n_ctx=1024, parallel=1, threads=embedded_teacher.threads)
    one_by_one = {c.request.tag: c.text for c in alone.stream(requests)}
    alone.close()
    assert embedded_teacher.max_in_flight == embedded_teacher.parallel > 1
    assert together == one_by_one and all(together.values())


def test_n_choices_in_one_request(embedded_teacher: EmbeddedTeacher) -> None:
    request = ChatRequest(MESSAGES, SamplingParams(temperature=1.0, max_tokens=6, seed=5, n=3))
    completion = embedded_teacher.run(embedded_teacher.complete(request))
    assert completion.ok and len(completion.choices) == 3


def test_context_overflow_is_a_recorded_context_length_failure() -> None:
    teacher = EmbeddedTeacher(n_ctx=64)
    long_prompt = ({"role": "user", "content": "word " * 200},)
    completion = teacher.run(teacher.complete(ChatRequest(long_prompt, SamplingParams(max_tokens=4))))
    teacher.close()
    assert completion.error_kind == "context_length" and "64" in (completion.error or "")


def test_teacher_check_with_no_options_uses_the_embedded_model(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no stray labgen.yaml; no LABGEN_TEACHER* settings either
    result = CliRunner().invoke(cli, ["teacher", "check"], env={name: None for name in TEACHER_VARIABLES})
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["ok"] is True and report["backend"] == "local" and report["logprobs"] is True
    assert report["model"] == "SmolLM2-135M-Instruct" and report["error"] is None


def test_one_thread_per_idle_core(monkeypatch: pytest.MonkeyPatch) -> None:
    from labgen.teachers import embedded

    monkeypatch.setattr(embedded, "usable_cores", lambda: 2)
    for idle, threads in ((0.1, 1), (1.2, 1), (1.6, 2), (3.9, 2)):
        monkeypatch.setattr(embedded, "idle_cores", lambda idle=idle: idle)
        assert embedded.default_threads() == threads
    assert 0 <= embedded.idle_cores(0.05) <= (os.cpu_count() or 1)
    assert EmbeddedTeacher().threads is None  # chosen when the server starts, not in the constructor


def test_siblings_sharing_a_prefix_evaluate_it_once() -> None:
    """Four slots, six requests that differ only after a long shared start: routed by prefix, the start is
    evaluated by the first request alone and every sibling takes it from that slot's cache."""
    shared = "You judge instructions written for a task. " + " ".join(
        f"Example {i}: write two lines about the number {i} and the sea." for i in range(12))
    requests = [ChatRequest(({"role": "user", "content": f"{shared}\nNow judge instruction {k}."},),
                            SamplingParams(temperature=0.0, max_tokens=2, seed=1), tag=k) for k in range(6)]
    teacher = EmbeddedTeacher(n_ctx=1024, parallel=4)
    completions = list(teacher.stream(requests))
    stats = teacher.prompt_cache
    prompt_tokens = completions[0].prompt_tokens
    teacher.close()
    assert all(c.ok for c in completions) and stats.requests == 6
    assert stats.evaluated + stats.cached == sum(c.prompt_tokens for c in completions)
    # one full evaluation, then only the few tokens after the shared start for each sibling
    assert stats.evaluated < prompt_tokens + 5 * 16
    assert stats.cached >= 5 * (prompt_tokens - 16)
    # the same, counted for the requests' stage, with the tokens each generated
    assert stats.as_dict()["by_stage"] == {"default": {
        "requests": 6, "evaluated": stats.evaluated, "cached": stats.cached,
        "generated": sum(c.completion_tokens for c in completions)}}


def test_the_shipped_weights_run_as_q8_0_and_a_model_path_runs_as_it_is(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    default = EmbeddedTeacher(n_ctx=512, parallel=1)
    identity = default.identity()
    copy = default._weights_path()
    assert identity["weights"] == "q8_0" and copy.parent == tmp_path / "cache" / "labgen" / "models"
    assert copy.name.endswith(".q8_0.gguf") and identity["model_sha256"][:16] in copy.name
    request = ChatRequest(MESSAGES, SamplingParams(temperature=0.0, max_tokens=6))
    assert default.run(default.complete(request)).text.strip()
    default.close()
    as_given = EmbeddedTeacher(model_path=embedded_model_path(), n_ctx=512, parallel=1)
    assert "weights" not in as_given.identity() and as_given._weights_path() == embedded_model_path()
    assert as_given.identity()["model_sha256"] == identity["model_sha256"]  # the same source file
