"""A deterministic fake teacher for the critic's tests: answers keyed by the request's stage."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from labgen.teachers.base import Accounting, ChatRequest, Choice, Completion, TokenLogprob


class FakeJudgeTeacher:
    """Answers each request with reply(request) -> text; streams in reverse order to test tag matching."""

    backend = "fake"
    max_in_flight = 4

    def __init__(self, reply: Callable[[ChatRequest], str],
                 logprobs: Callable[[str], tuple[TokenLogprob, ...] | None] | None = None) -> None:
        self.reply = reply
        self.logprobs = logprobs
        self.history: list[ChatRequest] = []
        self.accounting = Accounting()
        self.closed = False

    @property
    def model(self) -> str:
        return "fake-judge"

    def identity(self) -> dict[str, Any]:
        return {"backend": self.backend, "model": self.model}

    def _complete(self, request: ChatRequest) -> Completion:
        self.history.append(request)
        text = self.reply(request)
        tokens = self.logprobs(text) if self.logprobs else None
        return Completion(request=request, choices=(Choice(text, "stop", tokens),), model=self.model)

    async def complete(self, request: ChatRequest) -> Completion:
        return self._complete(request)

    def stream(self, requests: Iterable[ChatRequest]) -> Iterator[Completion]:
        done = [self._complete(r) for r in requests]
        yield from reversed(done)

    def count_tokens(self, messages: Iterable[dict[str, str]]) -> int:
        return sum(len(m.get("content", "").split()) for m in messages)

    def close(self) -> None:
        self.closed = True
