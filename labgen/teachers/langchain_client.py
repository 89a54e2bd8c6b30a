"""A teacher over any LangChain chat model (`client: langchain`), for users who bring another provider.

Same interface, concurrency bound, retries and accounting as the direct client; slower per request
(LangChain's callbacks and message objects; see docs/teachers.md). For an OpenAI-compatible server it
builds `langchain_openai.ChatOpenAI` with the library's own retries off and a pooled httpx client.
LangChain's token counting (tiktoken, which downloads encodings) is never called.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from labgen.teachers.base import ChatRequest, Choice, Completion
from labgen.teachers.bounded import BoundedTeacher
from labgen.teachers.openai_wire import optional_sampling_fields, parse_logprobs
from labgen.teachers.retry import Failure, RetryPolicy, call_with_retries, context_length_limit, parse_retry_after
from labgen.tokens import estimate_tokens

_ROLES = {"system": "SystemMessage", "user": "HumanMessage", "assistant": "AIMessage"}


class LangChainTeacher(BoundedTeacher):
    """Wraps a LangChain BaseChatModel (given, or made on first use by `factory(model_name)`)."""

    backend = "openai"
    client_kind = "langchain"

    def __init__(self, chat_model: Any = None, *, factory: Callable[[str], Any] | None = None,
                 model: str | None = None, discover: Callable[[], Any] | None = None,
                 max_in_flight: int = 256, request_timeout: float = 300.0,
                 retry: RetryPolicy = RetryPolicy(), backend: str | None = None,
                 max_tokens_in_body: bool = False, discover_sync: Callable[[], str] | None = None,
                 server_info: Callable[[], Any] | None = None) -> None:
        super().__init__(max_in_flight=max_in_flight)
        if backend:
            self.backend = backend
        self._chat_model = chat_model
        self._factory = factory
        self._discover = discover
        self._discover_sync = discover_sync
        self._server_info = server_info  # () -> ServerInfo | Failure, asked once by context_window
        self._info: Any = None
        self._model = model or (getattr(chat_model, "model_name", None) or getattr(chat_model, "model", None))
        self.request_timeout = request_timeout
        self.retry = retry
        self._lock: asyncio.Lock | None = None
        # ChatOpenAI renames max_tokens to max_completion_tokens, which vLLM < 0.6 and llama-cpp-python's
        # server ignore; for OpenAI-compatible servers the classic field goes in the body as is.
        self._max_tokens_in_body = max_tokens_in_body

    @classmethod
    def for_openai_server(cls, *, base_url: str, model: str | None, api_key: str, max_in_flight: int,
                          request_timeout: float, retry: RetryPolicy) -> LangChainTeacher:
        """ChatOpenAI against `base_url`, the model discovered from /models when not named."""
        base_url = base_url.rstrip("/")

        def factory(model_name: str) -> Any:
            from langchain_openai import ChatOpenAI

            from labgen.teachers.http_pool import make_http_client

            return ChatOpenAI(model=model_name, base_url=base_url, api_key=api_key, max_retries=0,
                              timeout=request_timeout,
                              http_async_client=make_http_client(max_in_flight, request_timeout, api_key, base_url))

        async def discover() -> str:
            from labgen.teachers.http_pool import make_http_client
            from labgen.teachers.openai_direct import discover_model

            client = make_http_client(4, request_timeout, api_key, base_url)
            try:
                return await discover_model(client, base_url, retry, request_timeout)
            finally:
                await client.aclose()

        def discover_sync() -> str:
            from labgen.teachers.openai_direct import discover_model_sync

            return discover_model_sync(base_url, api_key, retry, request_timeout)

        def server_info() -> Any:
            from labgen.teachers.server_info import fetch_server_info_sync

            return fetch_server_info_sync([base_url], api_key, retry, request_timeout, model)[0]

        return cls(factory=factory, model=model, discover=discover, max_in_flight=max_in_flight,
                   request_timeout=request_timeout, retry=retry, max_tokens_in_body=True,
                   discover_sync=discover_sync, server_info=server_info)

    @property
    def model(self) -> str:
        return self._model or ""

    def identity(self) -> dict[str, Any]:
        """Backend and model; asks the server's /models first when no model was named (a blocking call)."""
        if not self._model and self._discover_sync is not None:
            self._model = self._discover_sync()
        return {"backend": self.backend, "model": self.model}

    @property
    def context_window(self) -> int | None:
        """The server's context window from its /models (asked once, on first use); None when unknown."""
        if self._server_info is None:
            return None
        if self._info is None:
            from labgen.teachers.retry import Failure

            self._info = self._server_info()
            if isinstance(self._info, Failure):
                self.notice(f"cannot read the server's /models ({self._info.message}); its context window "
                            "is unknown")
        return getattr(self._info, "context_window", None)

    def _on_loop_change(self) -> None:
        self._lock = None
        if self._factory is not None:
            self._chat_model = None  # its HTTP client belongs to the old loop

    async def _chat(self) -> Any:
        if self._chat_model is not None:
            return self._chat_model
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._chat_model is None:
                if not self._model and self._discover is not None:
                    self._model = await self._discover()
                assert self._factory is not None
                self._chat_model = self._factory(self._model or "")
        return self._chat_model

    async def _complete_once(self, request: ChatRequest) -> Completion:
        chat = await self._chat()
        messages = to_langchain_messages(request)
        params = request.params
        kwargs: dict[str, Any] = {"temperature": params.temperature, "top_p": params.top_p}
        if self._max_tokens_in_body:
            kwargs["extra_body"] = {"max_tokens": params.max_tokens}
        else:
            kwargs["max_tokens"] = params.max_tokens
        kwargs.update(optional_sampling_fields(params))

        async def attempt() -> Any:
            try:
                async with asyncio.timeout(self.request_timeout):
                    return await chat.agenerate([messages], stop=list(params.stop) or None, **kwargs)
            except Exception as exc:  # provider errors differ; classify them by shape
                return classify_exception(exc, self.request_timeout)

        outcome, retries = await call_with_retries(attempt, self.retry)
        if isinstance(outcome, Failure):
            return Completion(request=request, retries=retries, error=outcome.message, model=self.model,
                              error_kind=outcome.kind, prompt_tokens=self.count_tokens(request.messages))
        return self._completion(request, outcome, retries)

    def _completion(self, request: ChatRequest, result: Any, retries: int) -> Completion:
        generations = result.generations[0]
        choices = []
        usage: dict[str, Any] = {}
        for generation in generations:
            info = dict(generation.generation_info or {})
            meta = dict(getattr(generation.message, "response_metadata", {}) or {})
            logprobs = parse_logprobs(info.get("logprobs") or meta.get("logprobs"))
            choices.append(Choice(text=str(generation.message.content or ""),
                                  finish_reason=info.get("finish_reason") or meta.get("finish_reason"),
                                  logprobs=logprobs))
            usage = getattr(generation.message, "usage_metadata", None) or usage
        token_usage = (result.llm_output or {}).get("token_usage") or {}
        prompt_tokens = usage.get("input_tokens") or token_usage.get("prompt_tokens")
        completion_tokens = usage.get("output_tokens") or token_usage.get("completion_tokens")
        return Completion(
            request=request, choices=tuple(choices), retries=retries, model=self.model,
            prompt_tokens=int(prompt_tokens) if prompt_tokens else self.count_tokens(request.messages),
            completion_tokens=int(completion_tokens) if completion_tokens
            else sum(estimate_tokens(c.text) for c in choices))


def to_langchain_messages(request: ChatRequest) -> list[Any]:
    from langchain_core import messages as lc

    out = []
    for message in request.messages:
        kind = getattr(lc, _ROLES.get(message.get("role", "user"), "HumanMessage"))
        out.append(kind(content=message.get("content") or ""))
    return out


def classify_exception(exc: Exception, timeout: float) -> Failure:
    """A Failure from whatever a LangChain provider raised (openai SDK, httpx, parse errors)."""
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    response = getattr(exc, "response", None)
    if status is None and response is not None:
        status = getattr(response, "status_code", None)
    message = str(getattr(exc, "message", None) or exc)
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        message = body["message"]
    if isinstance(exc, TimeoutError) or "Timeout" in name:
        return Failure("timeout", f"no answer within {timeout:g} s ({name})", True)
    if isinstance(status, int):
        headers = getattr(response, "headers", {}) or {}
        text = f"HTTP {status}: {message}"
        if status == 429:
            return Failure("rate_limited", text, True, parse_retry_after(headers.get("retry-after")))
        if status >= 500 or status == 408:
            return Failure("server_error", text, True, parse_retry_after(headers.get("retry-after")))
        if context_length_limit(message) is not None:
            return Failure("context_length", message, False)
        return Failure("http_error", text, False)
    if "Connection" in name or "Protocol" in name or "Transport" in name or isinstance(exc, OSError):
        return Failure("connection", f"{name}: {message}", True)
    if isinstance(exc, (ValueError, KeyError, TypeError, json.JSONDecodeError)) or "Validation" in name:
        return Failure("malformed", f"unreadable answer ({name}: {message})", True)
    raise exc
