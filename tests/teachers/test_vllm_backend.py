"""The in-process vLLM backend, without vLLM: a clear error when missing; chunking and mapping via a fake."""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass, field
from typing import Any

import pytest

from labgen.errors import TeacherError
from labgen.teachers.base import ChatRequest, SamplingParams
from labgen.teachers.vllm_engine import VLLMTeacher, to_vllm_sampling


def test_missing_vllm_gives_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vllm", None)  # makes `import vllm` raise ImportError
    teacher = VLLMTeacher(model="some/model")
    with pytest.raises(TeacherError, match=r"pip install 'labgen\[vllm\]'"):
        list(teacher.stream([ChatRequest(({"role": "user", "content": "hi"},))]))


@dataclass
class FakeLogprob:
    logprob: float
    rank: int
    decoded_token: str


@dataclass
class FakeOutput:
    text: str
    token_ids: list[int]
    finish_reason: str
    logprobs: Any = None


@dataclass
class FakeRequestOutput:
    outputs: list[FakeOutput]
    prompt_token_ids: list[int] = field(default_factory=lambda: [1, 2, 3, 4])


def fake_vllm() -> types.ModuleType:
    module = types.ModuleType("vllm")
    module.engines = []  # type: ignore[attr-defined]

    class SamplingParams:
        def __init__(self, **kwargs: Any) -> None:
            self.kwargs = kwargs

    class LLM:
        def __init__(self, **kwargs: Any) -> None:
            self.kwargs = kwargs
            self.calls: list[tuple[list[Any], list[SamplingParams]]] = []
            module.engines.append(self)  # type: ignore[attr-defined]

        def chat(self, conversations: list[Any], sampling: list[SamplingParams], use_tqdm: bool = True) -> list[Any]:
            self.calls.append((conversations, sampling))
            outputs = []
            for conversation, params in zip(conversations, sampling):
                want = params.kwargs["logprobs"]
                logprobs = [{7: FakeLogprob(-0.1, 1, "ok"), 8: FakeLogprob(-2.5, 2, "no")}] if want is not None else None
                outputs.append(FakeRequestOutput([FakeOutput("echo " + conversation[-1]["content"], [7],
                                                             "stop", logprobs)]))
            return outputs

    module.SamplingParams = SamplingParams  # type: ignore[attr-defined]
    module.LLM = LLM  # type: ignore[attr-defined]
    return module


def test_requests_are_fed_in_chunks_with_prefix_caching(monkeypatch: pytest.MonkeyPatch) -> None:
    module = fake_vllm()
    monkeypatch.setitem(sys.modules, "vllm", module)
    teacher = VLLMTeacher(model="org/model", max_in_flight=1000, chunk_size=256)
    requests = [ChatRequest(({"role": "user", "content": f"q{i}"},), stage="gen", tag=i) for i in range(600)]
    completions = list(teacher.stream(requests))
    assert sorted(c.request.tag for c in completions) == list(range(600))
    assert all(c.text == f"echo q{c.request.tag}" for c in completions)
    engine = module.engines[0]  # type: ignore[attr-defined]
    assert engine.kwargs == {"model": "org/model", "enable_prefix_caching": True}
    sizes = [len(conversations) for conversations, _ in engine.calls]
    assert sum(sizes) == 600 and max(sizes) == 256 and len(sizes) >= 3
    assert completions[0].prompt_tokens == 4 and completions[0].completion_tokens == 1
    assert teacher.accounting.stages["gen"].requests == 600


def test_sampling_params_and_logprobs_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    module = fake_vllm()
    params = SamplingParams(temperature=0.2, top_p=0.8, max_tokens=9, stop=("###",), seed=5, n=1,
                            logprobs=True, top_logprobs=3)
    mapped = to_vllm_sampling(module, params).kwargs
    assert mapped == {"n": 1, "temperature": 0.2, "top_p": 0.8, "max_tokens": 9, "stop": ["###"], "seed": 5,
                      "logprobs": 3}
    assert to_vllm_sampling(module, SamplingParams()).kwargs["logprobs"] is None
    monkeypatch.setitem(sys.modules, "vllm", module)
    teacher = VLLMTeacher(model="m")
    completion = teacher.run(teacher.complete(ChatRequest(({"role": "user", "content": "x"},), params)))
    (token,) = completion.choices[0].logprobs or ()
    assert (token.token, token.logprob, token.top) == ("ok", -0.1, (("no", -2.5),))
