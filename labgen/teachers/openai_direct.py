"""The OpenAI-compatible backend's hot path: chat completions posted with httpx over small sharded pools.

It speaks the wire format itself (labgen.teachers.openai_wire) because per-request CPU matters when
hundreds of requests are in flight against `vllm serve`: LangChain's ChatOpenAI and the openai SDK
cost about three times as much per request (docs/teachers.md); ChatOpenAI stays available as
`client: langchain`.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from labgen.errors import ContextLengthError, TeacherError
from labgen.teachers.base import ChatRequest, Completion
from labgen.teachers.bounded import BoundedTeacher
from labgen.teachers.guided import guided_fields, is_refusal
from labgen.teachers.openai_wire import (MalformedResponse, chat_payload, encode_body, error_message,
                                         parse_chat_response)
from labgen.teachers.retry import (Failure, RetryPolicy, call_with_retries, context_length_limit,
                                   parse_retry_after)
from labgen.teachers.server_info import ServerInfo, fetch_server_info, fetch_server_info_sync
from labgen.tokens import estimate_tokens

if TYPE_CHECKING:
    import httpx

DEFAULT_URL = "http://127.0.0.1:8000/v1"


class OpenAITeacher(BoundedTeacher):
    """Any server speaking OpenAI's /v1/chat/completions (vllm serve, llama-cpp-python's server, ...)."""

    backend = "openai"
    client_kind = "direct"

    def __init__(self, *, base_url: str = DEFAULT_URL, model: str | None = None, api_key: str = "EMPTY",
                 max_in_flight: int = 256, request_timeout: float = 300.0,
                 retry: RetryPolicy = RetryPolicy(), guided: bool = True) -> None:
        super().__init__(max_in_flight=max_in_flight)
        self.base_url = base_url.rstrip("/")
        self.guided = guided  # send output formats as guided decoding (structured outputs / grammar)
        self._send_guided = guided  # turned off when the server refuses the field
        self.request_timeout = request_timeout
        self.retry = retry
        self._model = model
        self._api_key = api_key
        self._client: httpx.AsyncClient | None = None
        self._info: ServerInfo | None = None
        self._info_lock: asyncio.Lock | None = None

    @property
    def model(self) -> str:
        return self._model or ""

    def identity(self) -> dict[str, Any]:
        """Backend and model (and `guided: false` when turned off); asks /models first when no model was named."""
        if not self._model:
            self.probe()
        return {"backend": self.backend, "model": self._model, **({} if self.guided else {"guided": False})}

    # ----- what the server says about itself ----------------------------------------------------
    @property
    def context_window(self) -> int | None:
        """The server's context window (vLLM's max_model_len, llama.cpp's n_ctx); None when it gives none.

        Read from /models on first use (a blocking call when nothing has asked yet), never in the constructor.
        """
        return self.probe().context_window

    def probe(self) -> ServerInfo:
        """Ask the server's /models once (models, context window, kind); for synchronous callers."""
        if self._info is None:
            self._set_info(fetch_server_info_sync(self.base_url, self._api_key, self.retry,
                                                  self.request_timeout, self._model))
        assert self._info is not None
        return self._info

    async def aprobe(self) -> ServerInfo:
        """probe() from async code, over the teacher's own connections; asked once."""
        if self._info is None:
            if self._info_lock is None:
                self._info_lock = asyncio.Lock()
            async with self._info_lock:
                if self._info is None:
                    self._set_info(await fetch_server_info(self._http(), self.base_url, self.retry,
                                                           self.request_timeout, self._model))
        assert self._info is not None
        return self._info

    def _set_info(self, outcome: ServerInfo | Failure) -> None:
        if isinstance(outcome, Failure):
            if not self._model:
                raise TeacherError(f"cannot find the teacher model: {outcome.message}",
                                   hint="check --teacher-url (LABGEN_TEACHER_URL), or name the model with "
                                   "--teacher-model")
            self.notice(f"{self.base_url}: cannot read the server's /models ({outcome.message}); its context "
                        "window is unknown, so --context-window (else 4096) is used")
            outcome = ServerInfo(models=(self._model,), error=outcome.message)
        elif not self._model:
            self._model = outcome.models[0]
        self._info = outcome

    # ----- per-loop resources -----------------------------------------------------------------
    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            from labgen.teachers.http_pool import make_http_client

            self._client = make_http_client(self.max_in_flight, self.request_timeout, self._api_key,
                                            self.base_url)
        return self._client

    def _on_loop_change(self) -> None:
        self._client = None  # bound to the old loop's sockets; a new one is made on demand
        self._info_lock = None

    async def _aclose_resources(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    # ----- requests -------------------------------------------------------------------------
    async def resolve_model(self) -> str:
        """The model to ask for: the configured one, else the first that /models lists (asked once)."""
        if not self._model:
            await self.aprobe()
        return self._model or ""

    async def _complete_once(self, request: ChatRequest) -> Completion:
        info = self._info or await self.aprobe()
        model = self._model or ""
        payload = chat_payload(request, model)
        guided = guided_fields(request.params.output_format, info.kind) if self._send_guided else {}
        client = self._http()
        url = self.base_url + "/chat/completions"
        body = encode_body({**payload, **guided})

        async def attempt() -> tuple[Any, ...] | Failure:
            return await self._post(client, url, body)

        outcome, retries = await call_with_retries(attempt, self.retry)
        if guided and isinstance(outcome, Failure) and is_refusal(outcome):
            if self._send_guided:
                self._send_guided = False
                self.notice(f"{self.base_url} refused guided decoding ({', '.join(guided)}): {outcome.message}; "
                            "requests go without it from now on (the prompts still ask for the format)")
            body = encode_body(payload)
            outcome, again = await call_with_retries(attempt, self.retry)
            retries += 1 + again
        if isinstance(outcome, Failure):
            message = outcome.message
            if outcome.kind == "context_length":
                message = self._context_length_message(request, outcome.message)
            return Completion(request=request, retries=retries, error=message, model=model,
                              error_kind=outcome.kind,
                              prompt_tokens=self.count_tokens(request.messages))
        choices, prompt_tokens, completion_tokens, served_model = outcome
        if prompt_tokens is None:
            prompt_tokens = self.count_tokens(request.messages)
        if completion_tokens is None:
            completion_tokens = sum(estimate_tokens(c.text) for c in choices)
        return Completion(request=request, choices=choices, prompt_tokens=prompt_tokens,
                          completion_tokens=completion_tokens, retries=retries,
                          model=served_model or model)

    async def _post(self, client: httpx.AsyncClient, url: str, body: bytes) -> tuple[Any, ...] | Failure:
        import httpx

        try:
            async with asyncio.timeout(self.request_timeout):
                response = await client.post(url, content=body)
        except (TimeoutError, httpx.TimeoutException):
            return Failure("timeout", f"no answer from {url} within {self.request_timeout:g} s", True)
        except httpx.TransportError as exc:
            return Failure("connection", describe_transport_error(exc, url), True)
        if response.status_code == 200:
            try:
                return parse_chat_response(json.loads(response.content))
            except ValueError as exc:  # JSONDecodeError and MalformedResponse alike
                kind = "malformed JSON (truncated?)" if not isinstance(exc, MalformedResponse) else str(exc)
                return Failure("malformed", f"unreadable answer from {url}: {kind}", True)
        return classify_http_error(response, url)

    def _context_length_message(self, request: ChatRequest, server_message: str) -> str:
        limit, requested = context_length_limit(server_message) or (None, None)
        estimate = self.count_tokens(request.messages)
        error = ContextLengthError(
            f"the prompt (about {estimate} tokens by labgen's estimate"
            + (f", {requested} by the server's count" if requested is not None else "")
            + f", plus max_tokens {request.params.max_tokens}) does not fit the teacher's context window"
            + (f" of {limit} tokens" if limit is not None else "")
            + f"; server said: {server_message}",
            hint="shorten the prompt (smaller chunks, fewer seed examples) or lower max_tokens")
        return error.render()


def describe_transport_error(exc: Exception, url: str) -> str:
    import httpx

    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect to {url} ({exc or 'connection refused'}); is the server running?"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"{url} dropped the connection or sent an incomplete response ({exc})"
    return f"{type(exc).__name__} talking to {url}: {exc}"


def classify_http_error(response: httpx.Response, url: str) -> Failure:
    """Turn a non-200 answer into a Failure: 429/5xx/408 retryable, context length and other 4xx not."""
    status = response.status_code
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    message = error_message(body, response.text[:300])
    text = f"HTTP {status} from {url}: {message}"
    if status == 429:
        return Failure("rate_limited", text, True, parse_retry_after(response.headers.get("retry-after")), status)
    if status >= 500 or status == 408:
        return Failure("server_error", text, True, parse_retry_after(response.headers.get("retry-after")), status)
    if status in (400, 413, 422) and context_length_limit(message) is not None:
        return Failure("context_length", message, False, status=status)
    return Failure("http_error", text, False, status=status)


async def discover_model(client: httpx.AsyncClient, base_url: str, policy: RetryPolicy,
                         request_timeout: float) -> str:
    """The first model id that GET {base_url}/models lists; TeacherError when there is none."""
    return _first_model(await fetch_server_info(client, base_url, policy, request_timeout))


def discover_model_sync(base_url: str, api_key: str, policy: RetryPolicy, request_timeout: float) -> str:
    """discover_model for synchronous callers (identity() before the first request)."""
    return _first_model(fetch_server_info_sync(base_url, api_key, policy, request_timeout))


def _first_model(outcome: ServerInfo | Failure) -> str:
    if isinstance(outcome, Failure):
        raise TeacherError(f"cannot find the teacher model: {outcome.message}",
                           hint="check --teacher-url (LABGEN_TEACHER_URL), or name the model with --teacher-model")
    return outcome.models[0]
