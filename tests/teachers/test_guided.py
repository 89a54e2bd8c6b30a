"""Guided decoding: the field each server kind gets, refusal handled by one retry and a notice, --no-guided,
and llama.cpp's server enforcing the formats on the embedded model."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
import sys
import types
from typing import Any

import pytest
from click.testing import CliRunner

from labgen.generate.parsing import parse_list, parse_qa_pairs
from labgen.teachers.base import ChatRequest, ListFormat, OutputFormat, SamplingParams
from labgen.teachers.config import build_teacher, resolve_teacher_config
from labgen.teachers.guided import guided_fields, is_refusal
from labgen.teachers.openai_direct import OpenAITeacher
from labgen.teachers.retry import Failure, RetryPolicy
from labgen.teachers.server_info import LLAMA_CPP, UNKNOWN, VLLM
from labgen.teachers.vllm_engine import to_vllm_sampling
from tests.teachers.fault_server import FaultServer

FAST = RetryPolicy(max_retries=2, backoff_base_s=0.01, backoff_max_s=0.01)
VERDICT = OutputFormat("Verdict", ("YES", "NO"), reason_chars=80)
VLLM_MODELS = {"object": "list", "data": [{"id": "mixtral", "owned_by": "vllm", "max_model_len": 32768}]}
LLAMA_MODELS = {"object": "list", "data": [{"id": "x.gguf", "owned_by": "llamacpp", "meta": {"n_ctx": 2048}}]}
# What OpenAI's API says about a field it does not know, and what llama.cpp says about a grammar it cannot parse.
OPENAI_REFUSAL = "Unrecognized request argument supplied: structured_outputs"
GRAMMAR_REFUSAL = "Failed to initialize samplers: failed to parse grammar"


def judged(fmt: OutputFormat | ListFormat | None = VERDICT, tag: Any = None) -> ChatRequest:
    return ChatRequest(({"role": "user", "content": "Is this fine?"},),
                       SamplingParams(max_tokens=16, output_format=fmt), stage="judge", tag=tag)


def test_each_server_kind_gets_its_field() -> None:
    assert guided_fields(VERDICT, VLLM) == {"structured_outputs": {"regex": VERDICT.regex()}}
    assert guided_fields(VERDICT, UNKNOWN) == {"structured_outputs": {"regex": VERDICT.regex()}}
    assert guided_fields(ListFormat(3), LLAMA_CPP) == {"grammar": ListFormat(3).gbnf()}
    assert guided_fields(None, VLLM) == {}


def test_refusals_are_told_from_other_bad_requests() -> None:
    assert is_refusal(Failure("http_error", f"HTTP 400 from u: {OPENAI_REFUSAL}", False, status=400))
    assert is_refusal(Failure("http_error", "HTTP 422 from u: extra inputs are not permitted", False, status=422))
    assert is_refusal(Failure("http_error", f"HTTP 400 from u: {GRAMMAR_REFUSAL}", False, status=400))
    assert not is_refusal(Failure("http_error", "HTTP 400 from u: temperature must be positive", False, status=400))
    assert not is_refusal(Failure("http_error", "HTTP 401 from u: invalid grammar of api key", False, status=401))
    assert not is_refusal(Failure("server_error", "HTTP 500 from u: regex engine crashed", True, status=500))


def test_vllm_gets_structured_outputs_and_plain_requests_get_nothing() -> None:
    with FaultServer(models=VLLM_MODELS) as server, OpenAITeacher(base_url=server.base_url, retry=FAST) as teacher:
        assert teacher.run(teacher.complete(judged())).ok
        assert teacher.run(teacher.complete(judged(None))).ok
    guided, plain = server.chat_requests
    assert guided["structured_outputs"] == {"regex": VERDICT.regex()} and "grammar" not in guided
    assert "structured_outputs" not in plain and "grammar" not in plain


def test_llama_cpp_gets_a_grammar() -> None:
    with FaultServer(models=LLAMA_MODELS) as server, OpenAITeacher(base_url=server.base_url, retry=FAST) as teacher:
        assert teacher.run(teacher.complete(judged(ListFormat(2, ("Question", "Answer"))))).ok
    (sent,) = server.chat_requests
    assert sent["grammar"] == ListFormat(2, ("Question", "Answer")).gbnf() and "structured_outputs" not in sent


def test_a_refused_field_costs_one_retry_and_one_notice(caplog: pytest.LogCaptureFixture) -> None:
    requests = [judged(tag=i) for i in range(6)]
    with caplog.at_level(logging.WARNING, logger="labgen.teachers"):
        with FaultServer(refuse={"structured_outputs": OPENAI_REFUSAL}) as server, \
                OpenAITeacher(base_url=server.base_url, retry=FAST, max_in_flight=1) as teacher:
            first = teacher.run(teacher.complete(requests[0]))
            rest = list(teacher.stream(requests[1:]))
    assert first.ok and first.retries == 1
    assert all(c.ok and c.retries == 0 for c in rest)  # the field is no longer sent to that server
    assert [("structured_outputs" in r) for r in server.chat_requests] == [True] + [False] * 6
    assert len(teacher.notices) == 1 and "refused guided decoding (structured_outputs)" in teacher.notices[0]
    assert [r.getMessage() for r in caplog.records].count("labgen: " + teacher.notices[0]) == 1


def test_refusal_under_concurrency_still_completes_every_request() -> None:
    with FaultServer(refuse={"grammar": GRAMMAR_REFUSAL}, models=LLAMA_MODELS) as server, \
            OpenAITeacher(base_url=server.base_url, retry=FAST, max_in_flight=8) as teacher:
        completions = list(teacher.stream([judged(tag=i) for i in range(20)]))
    assert sorted(c.request.tag for c in completions) == list(range(20)) and all(c.ok for c in completions)
    assert len(teacher.notices) == 1 and teacher.accounting.total().failures == 0


def test_other_400s_are_not_retried_without_the_field() -> None:
    with FaultServer(refuse={"messages": "temperature must be positive"}) as server, \
            OpenAITeacher(base_url=server.base_url, retry=FAST) as teacher:
        completion = teacher.run(teacher.complete(judged()))
    assert completion.error_kind == "http_error" and len(server.chat_requests) == 1 and not teacher.notices


def test_no_guided_sends_nothing_and_is_part_of_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    with FaultServer(models=VLLM_MODELS) as server:
        config = resolve_teacher_config({"backend": "openai", "url": server.base_url, "guided": False}, {}, None)
        teacher = build_teacher(config)
        assert teacher.run(teacher.complete(judged())).ok
        assert teacher.identity() == {"backend": "openai", "model": "mixtral", "guided": False}
        teacher.close()
    assert "structured_outputs" not in server.chat_requests[0]
    assert resolve_teacher_config({}, {"LABGEN_TEACHER_GUIDED": "off"}, None).guided is False
    assert resolve_teacher_config({}, {}, None).guided is True


def test_the_cli_flag_reaches_the_config(tmp_path: Any) -> None:
    import click

    from labgen.cli.teacher_options import teacher_config_from_cli, teacher_options

    seen: list[Any] = []

    @click.command()
    @teacher_options
    def show(**kwargs: Any) -> None:
        seen.append(teacher_config_from_cli(kwargs).guided)

    config = tmp_path / "labgen.yaml"
    config.write_text("teacher:\n  guided: false\n")
    for args in (["--no-guided"], ["--guided", "--config", str(config)], ["--config", str(config)]):
        assert CliRunner().invoke(show, args).exit_code == 0
    assert seen == [False, True, False]


def test_in_process_vllm_gets_structured_outputs(monkeypatch: pytest.MonkeyPatch) -> None:
    vllm = types.ModuleType("vllm")
    submodule = types.ModuleType("vllm.sampling_params")

    class Params:
        def __init__(self, **kwargs: Any) -> None:
            self.kwargs = kwargs

    vllm.SamplingParams = Params  # type: ignore[attr-defined]
    submodule.StructuredOutputsParams = Params  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "vllm", vllm)
    monkeypatch.setitem(sys.modules, "vllm.sampling_params", submodule)
    mapped = to_vllm_sampling(vllm, judged().params).kwargs
    assert mapped["structured_outputs"].kwargs == {"regex": VERDICT.regex()}
    assert "structured_outputs" not in to_vllm_sampling(vllm, judged().params, guided=False).kwargs


@pytest.mark.slow
def test_llama_cpp_server_enforces_every_format_on_the_embedded_model(llama_server: str) -> None:
    """Off-format prompts, so only the grammar can make the answers parse."""
    prompt = ({"role": "user", "content": "Write a limerick about a cat."},)
    formats: list[OutputFormat | ListFormat] = [OutputFormat("Verdict", ("YES", "NO"), reason_chars=40),
                                                OutputFormat("Score", ("1", "2", "3"), reason_chars=40),
                                                ListFormat(3, item_chars=24),
                                                ListFormat(2, ("Question", "Answer"), item_chars=24)]
    requests = [ChatRequest(prompt, SamplingParams(temperature=0.0, max_tokens=96, seed=1, output_format=fmt),
                            tag=i) for i, fmt in enumerate(formats)]
    with OpenAITeacher(base_url=llama_server, max_in_flight=2) as teacher:
        completions = sorted(teacher.stream(requests), key=lambda c: c.request.tag)
    with OpenAITeacher(base_url=llama_server, guided=False) as plain:  # the control: same prompt, no grammar
        unguided = plain.run(plain.complete(replace(requests[0], params=replace(requests[0].params, max_tokens=8))))
    assert all(c.ok and c.finish_reason == "stop" for c in completions) and not teacher.notices
    verdict, score, numbered, blocks = (c.text for c in completions)
    assert re.fullmatch(formats[0].regex(), verdict), verdict
    assert re.fullmatch(formats[1].regex(), score), score
    assert re.fullmatch(formats[2].regex(), numbered) and 1 <= len(parse_list(numbered).items) <= 3, numbered
    assert re.fullmatch(formats[3].regex(), blocks) and 1 <= len(parse_qa_pairs(blocks).pairs) <= 2, blocks
    assert unguided.ok and not unguided.text.startswith("Reason:")  # the grammar made the difference
