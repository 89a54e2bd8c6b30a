"""The server's context window and kind, read from /models: parsing, the probe's timing, the CLI's use of it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from labgen.cli import cli
from labgen.cli.generate_cmd import _with_teacher_context_window
from labgen.generate.config import GenerateConfig
from labgen.teachers.base import ChatRequest, SamplingParams
from labgen.teachers.openai_direct import OpenAITeacher
from labgen.teachers.retry import RetryPolicy
from labgen.teachers.server_info import LLAMA_CPP, UNKNOWN, VLLM, parse_models_listing
from tests.teachers.fault_server import FaultServer

FAST = RetryPolicy(max_retries=1, backoff_base_s=0.01, backoff_max_s=0.01)
# What `vllm serve` returns (vLLM's ModelCard), trimmed to the fields labgen reads and a few it ignores.
VLLM_MODELS = {"object": "list", "data": [
    {"id": "mistralai/Mixtral-8x7B-Instruct-v0.1", "object": "model", "created": 0, "owned_by": "vllm",
     "root": "mistralai/Mixtral-8x7B-Instruct-v0.1", "parent": None, "max_model_len": 32768, "permission": []},
    {"id": "my-lora", "object": "model", "owned_by": "vllm", "parent": "mistralai/Mixtral-8x7B-Instruct-v0.1",
     "max_model_len": 16384}]}
REQUEST = ChatRequest(({"role": "user", "content": "hi"},), SamplingParams(max_tokens=4))


def test_vllm_listing_gives_max_model_len_of_the_named_model() -> None:
    assert parse_models_listing(VLLM_MODELS).context_window == 32768
    info = parse_models_listing(VLLM_MODELS, "my-lora")
    assert (info.kind, info.context_window, info.models[0]) == (VLLM, 16384, "mistralai/Mixtral-8x7B-Instruct-v0.1")


def test_llama_cpp_listing_gives_n_ctx_and_plain_listings_give_nothing() -> None:
    llama = {"object": "list", "data": [{"id": "/models/x.gguf", "owned_by": "llamacpp",
                                         "meta": {"n_ctx": 4096, "n_ctx_train": 8192}}]}
    assert (parse_models_listing(llama).kind, parse_models_listing(llama).context_window) == (LLAMA_CPP, 4096)
    plain = parse_models_listing({"data": [{"id": "gpt-x", "owned_by": "someone"}]})
    assert (plain.kind, plain.context_window, plain.models) == (UNKNOWN, None, ("gpt-x",))
    assert parse_models_listing({"data": [{"id": "m", "max_model_len": "lots"}]}).context_window is None
    with pytest.raises(ValueError):
        parse_models_listing({"object": "list", "data": []})


def test_the_window_is_read_on_first_use_never_in_the_constructor() -> None:
    with FaultServer(models=VLLM_MODELS) as server:
        teacher = OpenAITeacher(base_url=server.base_url, model="my-lora", retry=FAST)
        assert server.model_listings == 0
        assert teacher.context_window == 16384
        assert teacher.context_window == 16384 and server.model_listings == 1  # asked once
        completion = teacher.run(teacher.complete(REQUEST))  # the first request does not ask again
        teacher.close()
    assert completion.ok and server.model_listings == 1 and server.chat_requests[0]["model"] == "my-lora"


def test_the_first_request_probes_when_nothing_asked_before() -> None:
    with FaultServer(models=VLLM_MODELS) as server, OpenAITeacher(base_url=server.base_url, retry=FAST) as teacher:
        teacher.run(teacher.complete(REQUEST))
        assert (teacher.model, teacher.context_window) == ("mistralai/Mixtral-8x7B-Instruct-v0.1", 32768)
        assert server.model_listings == 1


def test_an_unreadable_listing_with_a_named_model_is_a_notice_not_a_failure() -> None:
    with FaultServer(models={"detail": "Not Found"}) as server:
        with OpenAITeacher(base_url=server.base_url, model="m", retry=FAST) as teacher:
            assert teacher.context_window is None
            assert teacher.run(teacher.complete(REQUEST)).ok
    assert len(teacher.notices) == 1 and "context window is unknown" in teacher.notices[0]


class _Windowed:
    def __init__(self, window: int | None) -> None:
        self.context_window = window


def test_generate_uses_the_servers_window_over_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    config = replace(GenerateConfig(), context_window=8192)
    assert _with_teacher_context_window(config, _Windowed(32768)).context_window == 32768
    assert "--context-window 8192 is not used" in capsys.readouterr().err
    assert _with_teacher_context_window(config, _Windowed(None)).context_window == 8192  # the fallback
    assert _with_teacher_context_window(GenerateConfig(), _Windowed(None)).context_window is None


@pytest.mark.slow
def test_llama_cpp_server_window_and_teacher_check(llama_server: str, tmp_path: Path) -> None:
    with OpenAITeacher(base_url=llama_server) as teacher:
        assert teacher.context_window == 1024  # the fixture's per-slot n_ctx
        assert teacher.probe().kind == LLAMA_CPP
    config = tmp_path / "labgen.yaml"
    config.write_text("teacher: {}\n")
    result = CliRunner().invoke(cli, ["teacher", "check", "--teacher", "openai", "--teacher-url", llama_server,
                                      "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1])["context_window"] == 1024
