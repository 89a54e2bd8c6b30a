"""The OpenAI-compatible backends against a real server: llama.cpp's own, serving the embedded model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from labgen.cli import cli
from labgen.teachers.base import ChatRequest, SamplingParams
from labgen.teachers.langchain_client import LangChainTeacher
from labgen.teachers.openai_direct import OpenAITeacher
from labgen.teachers.retry import RetryPolicy

from tests.teachers.conftest import free_port

MESSAGES = ({"role": "user", "content": "Name a fruit."},)


def test_discovery_completion_usage_and_logprobs(llama_server: str) -> None:
    with OpenAITeacher(base_url=llama_server, max_in_flight=4) as teacher:
        plain = teacher.run(teacher.complete(ChatRequest(MESSAGES, SamplingParams(max_tokens=8, seed=1))))
        scored = teacher.run(teacher.complete(ChatRequest(MESSAGES, SamplingParams(
            max_tokens=2, temperature=0.0, logprobs=True, top_logprobs=2))))
    assert teacher.model.endswith(".gguf")  # llama.cpp's server lists the model by its path
    assert plain.ok and plain.text.strip() and plain.finish_reason in ("stop", "length")
    assert plain.prompt_tokens > 0 and 0 < plain.completion_tokens <= 8
    logprobs = scored.choices[0].logprobs
    assert logprobs and all(t.logprob <= 0 and t.top for t in logprobs)


def test_stream_returns_all_results(llama_server: str) -> None:
    requests = [ChatRequest(MESSAGES, SamplingParams(max_tokens=4, seed=i), stage="s", tag=i) for i in range(4)]
    with OpenAITeacher(base_url=llama_server, max_in_flight=4) as teacher:
        completions = list(teacher.stream(requests))
    assert sorted(c.request.tag for c in completions) == [0, 1, 2, 3]
    assert all(c.ok for c in completions) and teacher.accounting.stages["s"].requests == 4


def test_langchain_client_through_the_same_interface(llama_server: str) -> None:
    teacher = LangChainTeacher.for_openai_server(base_url=llama_server, model=None, api_key="EMPTY", max_in_flight=2,
                                                 request_timeout=60, retry=RetryPolicy(max_retries=1))
    completion = teacher.run(teacher.complete(ChatRequest(MESSAGES, SamplingParams(max_tokens=4, seed=1))))
    teacher.close()
    assert completion.ok and completion.text.strip()
    assert completion.prompt_tokens > 0 and 0 < completion.completion_tokens <= 4
    assert teacher.accounting.total().requests == 1


def test_context_length_from_a_real_server(llama_server: str) -> None:
    request = ChatRequest(({"role": "user", "content": "word " * 1500},), SamplingParams(max_tokens=16))
    with OpenAITeacher(base_url=llama_server) as teacher:
        completion = teacher.run(teacher.complete(request))
    assert completion.error_kind == "context_length" and completion.retries == 0
    assert "context window of 1024 tokens" in (completion.error or "")


def test_teacher_check_cli_against_the_server(llama_server: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["teacher", "check", "--teacher", "openai", "--teacher-url", llama_server,
                                      "--config", str(empty_config(tmp_path))])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["ok"] is True and report["backend"] == "openai" and report["logprobs"] is True


def empty_config(tmp_path: Path) -> Path:
    path = tmp_path / "labgen.yaml"
    path.write_text("teacher: {}\n")
    return path


def test_teacher_check_connection_refused_is_a_clean_failure(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    labgen = str(Path(sys.executable).parent / "labgen")  # the installed entry point
    out = subprocess.run([labgen, "teacher", "check", "--config", str(empty_config(tmp_path)), "--teacher", "openai",
                          "--teacher-url", url, "--max-retries", "0"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["ok"] is False and "cannot connect" in report["error"] and url in report["error"]
    assert "Traceback" not in out.stderr
