"""Any LangChain chat model behind the Teacher interface: answers, retries on provider errors, accounting."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models.fake_chat_models import FakeListChatModel

from labgen.teachers.base import ChatRequest, SamplingParams
from labgen.teachers.langchain_client import LangChainTeacher
from labgen.teachers.retry import RetryPolicy

FAST = RetryPolicy(max_retries=2, backoff_base_s=0.0, backoff_max_s=0.0)


class ProviderError(Exception):
    """Shaped like the openai SDK's APIStatusError: a status_code and a message."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


class FlakyChatModel(FakeListChatModel):
    failures: list[Any] = []

    async def _agenerate(self, *args: Any, **kwargs: Any) -> Any:
        if self.failures:
            raise self.failures.pop(0)
        return await super()._agenerate(*args, **kwargs)


def requests(count: int) -> list[ChatRequest]:
    return [ChatRequest(({"role": "system", "content": "Be brief."}, {"role": "user", "content": f"q{i}"}),
                        SamplingParams(max_tokens=5), stage="lc", tag=i) for i in range(count)]


def test_wraps_any_chat_model() -> None:
    teacher = LangChainTeacher(FakeListChatModel(responses=["alpha", "beta", "gamma"]), max_in_flight=2,
                               backend="fake-provider", retry=FAST)
    completions = list(teacher.stream(requests(3)))
    assert sorted(c.text for c in completions) == ["alpha", "beta", "gamma"]
    assert teacher.backend == "fake-provider"
    assert all(c.completion_tokens > 0 and c.prompt_tokens > 0 for c in completions)  # estimated: no usage given
    assert teacher.accounting.stages["lc"].requests == 3


def test_provider_5xx_is_retried_and_400_context_is_not() -> None:
    model = FlakyChatModel(responses=["ok"], failures=[ProviderError(503, "overloaded")])
    teacher = LangChainTeacher(model, retry=FAST)
    completion = teacher.run(teacher.complete(requests(1)[0]))
    assert completion.ok and completion.retries == 1

    context = ProviderError(400, "This model's maximum context length is 4096 tokens. However, you requested 9000 tokens")
    model = FlakyChatModel(responses=["never"], failures=[context])
    teacher = LangChainTeacher(model, retry=FAST)
    completion = teacher.run(teacher.complete(requests(1)[0]))
    assert completion.error_kind == "context_length" and completion.retries == 0
    assert teacher.accounting.total().failures == 1
