"""The OpenAI-compatible backend's hot path: chat completions posted by labgen's own lean HTTP/1.1 client
(plain http; httpx over small sharded pools for https and proxies).

It speaks the wire format itself (labgen.teachers.openai_wire) because per-request CPU matters when
hundreds of requests are in flight against `vllm serve`: LangChain's ChatOpenAI and the openai SDK
cost several times as much per request (docs/teachers.md); ChatOpenAI stays available as
`client: langchain`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from labgen.errors import ConfigError, ContextLengthError, TeacherError
from labgen.teachers.base import ChatRequest, Completion
from labgen.teachers.bounded import BoundedTeacher
from labgen.teachers.guided import guided_fields, is_refusal
from labgen.teachers.openai_wire import (MalformedResponse, chat_payload, encode_body, error_message,
                                         parse_chat_response)
from labgen.teachers.retry import (Failure, RetryPolicy, call_with_retries, context_length_limit,
                                   parse_retry_after)
from labgen.teachers.endpoints import PROBE_TIMEOUT_S, Endpoint, EndpointPool
from labgen.teachers.server_info import ServerInfo, fetch_all, fetch_server_info, fetch_server_info_sync
from labgen.tokens import estimate_tokens

if TYPE_CHECKING:
    import httpx

DEFAULT_URL = "http://127.0.0.1:8000/v1"


class OpenAITeacher(BoundedTeacher):
    """Any server speaking OpenAI's /v1/chat/completions (vllm serve, llama.cpp's server, ...), or several.

    With several `base_url`s each gets `max_in_flight` requests at most (the teacher's `max_in_flight` is
    their sum) and routing, ejection and probing follow labgen.teachers.endpoints.
    """

    backend = "openai"
    client_kind = "direct"

    def __init__(self, *, base_url: str | Sequence[str] = DEFAULT_URL, model: str | None = None,
                 api_key: str = "EMPTY", max_in_flight: int = 256, request_timeout: float = 300.0,
                 retry: RetryPolicy = RetryPolicy(), guided: bool = True) -> None:
        urls = (base_url,) if isinstance(base_url, str) else tuple(base_url)
        if not urls:
            raise ConfigError("the openai backend needs at least one server URL", hint="pass --teacher-url")
        super().__init__(max_in_flight=max_in_flight * len(urls))
        self.endpoints = tuple(Endpoint(url, max_in_flight) for url in urls)
        self.base_url = self.endpoints[0].url
        self.guided = guided  # send output formats as guided decoding (structured outputs / grammar)
        self.request_timeout = request_timeout
        self.retry = retry
        self._model = model
        self._api_key = api_key
        self._pool = EndpointPool(self.endpoints, self._probe_endpoint)
        self._info: ServerInfo | None = None
        self._info_lock: asyncio.Lock | None = None

    @property
    def model(self) -> str:
        return self._model or ""

    def identity(self) -> dict[str, Any]:
        """Backend and model (and `guided: false` when turned off); asks /models first when no model was named.

        The URLs are not part of it: the same model on other servers gives the same answers.
        """
        if not self._model:
            self.probe()
        return {"backend": self.backend, "model": self._model, **({} if self.guided else {"guided": False})}

    # ----- what the servers say about themselves ------------------------------------------------
    @property
    def context_window(self) -> int | None:
        """The server's context window (vLLM's max_model_len, llama.cpp's n_ctx), the smallest of several;
        None when none gives one. Read from /models on first use (a blocking call when nothing has asked
        yet), never in the constructor."""
        return self.probe().context_window

    def endpoint_stats(self) -> list[dict[str, Any]]:
        """Per server: kind, window, health, attempts, failed attempts, ejections, whether guided is sent."""
        return [endpoint.stats() for endpoint in self.endpoints]

    def probe(self) -> ServerInfo:
        """Ask every server's /models once (models, context window, kind); for synchronous callers."""
        if self._info is None:
            outcomes = fetch_server_info_sync([e.url for e in self.endpoints], self._api_key, self.retry,
                                              self.request_timeout, self._model)
            self._set_info(outcomes)
        assert self._info is not None
        return self._info

    async def aprobe(self) -> ServerInfo:
        """probe() from async code, over the teacher's own connections; asked once."""
        if self._info is None:
            if self._info_lock is None:
                self._info_lock = asyncio.Lock()
            async with self._info_lock:
                if self._info is None:
                    outcomes = await fetch_all(
                        [(self._http(e), e.url) for e in self.endpoints], self.retry, self.request_timeout,
                        self._model)
                    self._set_info(outcomes)
        assert self._info is not None
        return self._info

    def _set_info(self, outcomes: list[ServerInfo | Failure]) -> None:
        answered = [o for o in outcomes if isinstance(o, ServerInfo)]
        if not answered:
            failure = next(o for o in outcomes if isinstance(o, Failure))
            if not self._model:
                raise TeacherError(f"cannot find the teacher model: {failure.message}",
                                   hint="check --teacher-url (LABGEN_TEACHER_URL), or name the model with "
                                   "--teacher-model")
            self.notice(f"{self.base_url}: cannot read the server's /models ({failure.message}); its context "
                        "window is unknown, so --context-window (else 4096) is used")
            self._info = ServerInfo(models=(self._model,), error=failure.message)
            return
        for endpoint, outcome in zip(self.endpoints, outcomes):
            if isinstance(outcome, ServerInfo):
                endpoint.info = outcome
            elif self._pool.several:  # down at the start: probed again after the backoff
                self._pool.eject(endpoint, outcome.message)
        if not self._model:
            self._model = answered[0].models[0]
        windows = [o.context_window for o in answered if o.context_window]
        self._info = ServerInfo(models=answered[0].models, context_window=min(windows) if windows else None,
                                kind=answered[0].kind)

    async def _probe_endpoint(self, endpoint: Endpoint) -> bool:
        """One GET /models with a short timeout (the pool's probe of an ejected endpoint)."""
        outcome = await fetch_server_info(self._http(endpoint), endpoint.url, RetryPolicy(max_retries=0),
                                          min(self.request_timeout, PROBE_TIMEOUT_S), self._model)
        if isinstance(outcome, ServerInfo):
            endpoint.info = endpoint.info or outcome
            return True
        return False

    # ----- per-loop resources -----------------------------------------------------------------
    def _http(self, endpoint: Endpoint) -> Any:
        """The endpoint's client of this loop: the lean one for plain http, httpx otherwise (http_lean)."""
        if endpoint.client is None:
            from labgen.teachers.http_lean import make_chat_client

            # One server: its client keeps the in-flight limit and hands a freed slot to the next request
            # as the answer is read (several: the pool routes each request, see endpoints.py).
            endpoint.client = make_chat_client(endpoint.limit, self.request_timeout, self._api_key, endpoint.url,
                                               dispatch=not self._pool.several)
        return endpoint.client

    def _admission(self) -> Any:
        slots = super()._admission()  # first: a new event loop drops the old loop's clients
        if not self._pool.several and getattr(self._http(self.endpoints[0]), "dispatching", False):
            return None  # the client admits requests itself (LeanClient's limit)
        return slots

    def _on_loop_change(self) -> None:
        for endpoint in self.endpoints:
            endpoint.client = None  # bound to the old loop's sockets; a new one is made on demand
        self._pool.close()
        self._info_lock = None

    async def _aclose_resources(self) -> None:
        self._pool.close()
        for endpoint in self.endpoints:
            client, endpoint.client = endpoint.client, None
            if client is not None:
                await client.aclose()

    # ----- requests -------------------------------------------------------------------------
    async def resolve_model(self) -> str:
        """The model to ask for: the configured one, else the first that /models lists (asked once)."""
        if not self._model:
            await self.aprobe()
        return self._model or ""

    async def _complete_once(self, request: ChatRequest) -> Completion:
        if self._info is None:
            await self.aprobe()
        model = self._model or ""
        payload = chat_payload(request, model, messages=False)
        output_format = request.params.output_format if self.guided else None
        bodies: dict[str, bytes] = {}  # by guided field name ("" for none): encoded once each
        tried: list[Endpoint] = []
        retries = budget = 0
        started, waited = time.perf_counter(), [0.0]  # waited: for a dispatching client's slot (not latency)
        while True:
            endpoint = await self._pool.acquire(tried)
            guided = guided_fields(output_format, endpoint.kind) if endpoint.send_guided else {}
            key = next(iter(guided), "")
            body = bodies.get(key)
            if body is None:
                body = bodies[key] = encode_body({**payload, **guided}, request)
            outcome: tuple[Any, ...] | Failure | None = None
            try:
                outcome = await self._post(self._http(endpoint), endpoint.chat_url, body, waited)
            finally:
                self._pool.release(endpoint, outcome)
            if not isinstance(outcome, Failure):
                break
            if guided and is_refusal(outcome):
                self._guided_refused(endpoint, key, outcome)
                retries += 1  # asked again at once without the field; not counted against max_retries
                continue
            if not outcome.retryable or budget >= self.retry.max_retries:
                break
            tried.append(endpoint)
            if not self._pool.has_untried_healthy(tried):  # another server may answer at once
                await asyncio.sleep(self.retry.wait_before_retry(budget, outcome.retry_after_s))
                tried.clear()
            retries += 1
            budget += 1
        if isinstance(outcome, Failure):
            message = outcome.message
            if outcome.kind == "context_length":
                message = self._context_length_message(request, outcome.message)
            return Completion(request=request, retries=retries, error=message, model=model,
                              error_kind=outcome.kind, latency_s=_latency(started, waited),
                              prompt_tokens=self.count_tokens(request.messages))
        choices, prompt_tokens, completion_tokens, served_model = outcome
        if prompt_tokens is None:
            prompt_tokens = self.count_tokens(request.messages)
        if completion_tokens is None:
            completion_tokens = sum(estimate_tokens(c.text) for c in choices)
        return Completion(request=request, choices=choices, prompt_tokens=prompt_tokens,
                          completion_tokens=completion_tokens, retries=retries,
                          model=served_model or model, latency_s=_latency(started, waited))

    def _guided_refused(self, endpoint: Endpoint, field: str, failure: Failure) -> None:
        if endpoint.send_guided:
            endpoint.send_guided = False
            self.notice(f"{endpoint.url} refused guided decoding ({field}): {failure.message}; requests go "
                        "without it from now on (the prompts still ask for the format)")

    async def _post(self, client: Any, url: str, body: bytes, waited: list[float]) -> tuple[Any, ...] | Failure:
        import httpx

        try:
            if getattr(client, "dispatching", False):  # times the request itself, from its write
                response = await client.post(url, content=body)
            else:
                async with asyncio.timeout(self.request_timeout):
                    response = await client.post(url, content=body)
        except (TimeoutError, httpx.TimeoutException):
            return Failure("timeout", f"no answer from {url} within {self.request_timeout:g} s", True)
        except httpx.TransportError as exc:
            return Failure("connection", describe_transport_error(exc, url), True)
        waited[0] += getattr(response, "queued_s", 0.0)
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


def _latency(started: float, waited: list[float]) -> float:
    """Seconds from the first attempt to the answer, less what the request waited for a slot (at least
    a microsecond, so that BoundedTeacher keeps it)."""
    return max(time.perf_counter() - started - waited[0], 1e-6)


def describe_transport_error(exc: Exception, url: str) -> str:
    import httpx

    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect to {url} ({exc or 'connection refused'}); is the server running?"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"{url} dropped the connection or sent an incomplete response ({exc})"
    return f"{type(exc).__name__} talking to {url}: {exc}"


def classify_http_error(response: Any, url: str) -> Failure:
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
    return _first_model(fetch_server_info_sync([base_url], api_key, policy, request_timeout)[0])


def _first_model(outcome: ServerInfo | Failure) -> str:
    if isinstance(outcome, Failure):
        raise TeacherError(f"cannot find the teacher model: {outcome.message}",
                           hint="check --teacher-url (LABGEN_TEACHER_URL), or name the model with --teacher-model")
    return outcome.models[0]
