"""What an OpenAI-compatible server says about itself in GET /models: its models, its context window, its kind.

vLLM lists each model with `max_model_len` and `owned_by: "vllm"`; llama.cpp's server puts the per-slot
window in `meta.n_ctx` and says `owned_by: "llamacpp"`. Other servers give neither, and labgen falls
back to `--context-window` (or 4096). Parsing is pure; the request itself is in `fetch_server_info`.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from labgen.teachers.retry import Failure, RetryPolicy, call_with_retries

VLLM, LLAMA_CPP, UNKNOWN = "vllm", "llama.cpp", "unknown"


@dataclass(frozen=True)
class ServerInfo:
    models: tuple[str, ...] = ()
    context_window: int | None = None  # tokens of prompt plus completion one request may use
    kind: str = UNKNOWN  # VLLM, LLAMA_CPP or UNKNOWN: decides how guided decoding is asked for
    error: str | None = None  # why /models could not be read, when it could not (the rest is then empty)

    def describe(self) -> dict[str, Any]:
        return {"server": self.kind, "context_window": self.context_window}


def _positive_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def parse_models_listing(body: Any, model: str | None = None) -> ServerInfo:
    """ServerInfo from a /models body; the window is the named model's entry's (else the first entry's).

    Raises ValueError when the body lists no model.
    """
    data = body.get("data") if isinstance(body, dict) else None
    entries = [entry for entry in data or () if isinstance(entry, dict) and isinstance(entry.get("id"), str)]
    if not entries:
        raise ValueError("no model listed")
    chosen = next((e for e in entries if model is not None and model in (e["id"], *(e.get("aliases") or ()))),
                  entries[0])
    meta = chosen.get("meta") if isinstance(chosen.get("meta"), dict) else {}
    owner = str(chosen.get("owned_by") or "").lower()
    if "max_model_len" in chosen or owner == "vllm":
        kind, window = VLLM, _positive_int(chosen.get("max_model_len"))
    elif "n_ctx" in meta or owner == "llamacpp":
        kind, window = LLAMA_CPP, _positive_int(meta.get("n_ctx"))
    else:
        kind, window = UNKNOWN, None
    return ServerInfo(models=tuple(e["id"] for e in entries), context_window=window, kind=kind)


async def fetch_server_info(client: Any, base_url: str, policy: RetryPolicy,
                            request_timeout: float, model: str | None = None) -> ServerInfo | Failure:
    """GET {base_url}/models (with retries) and parse it; a Failure when it cannot be read."""
    import httpx

    from labgen.teachers.openai_direct import classify_http_error, describe_transport_error

    url = base_url + "/models"

    async def attempt() -> ServerInfo | Failure:
        try:
            async with asyncio.timeout(request_timeout):
                response = await client.get(url)
        except (TimeoutError, httpx.TimeoutException):
            return Failure("timeout", f"no answer from {url} within {request_timeout:g} s", True)
        except httpx.TransportError as exc:
            return Failure("connection", describe_transport_error(exc, url), True)
        if response.status_code != 200:
            return classify_http_error(response, url)
        try:
            return parse_models_listing(json.loads(response.content), model)
        except ValueError:
            return Failure("malformed", f"{url} did not list any model", True)

    outcome, _ = await call_with_retries(attempt, policy)
    return outcome


async def fetch_all(clients: list[tuple[Any, str]], policy: RetryPolicy, request_timeout: float,
                    model: str | None = None) -> list[ServerInfo | Failure]:
    """Every (client, base_url)'s ServerInfo, asked together: one try each, and only when none answers,
    again with `policy`'s retries (so one server down at the start costs no backoff when others answer)."""
    once = RetryPolicy(max_retries=0)
    outcomes = await asyncio.gather(*(fetch_server_info(c, url, once, request_timeout, model) for c, url in clients))
    if all(isinstance(o, Failure) for o in outcomes) and policy.max_retries > 0:
        await asyncio.sleep(policy.wait_before_retry(0, None))
        retry = RetryPolicy(policy.max_retries - 1, policy.backoff_base_s, policy.backoff_max_s)
        outcomes = await asyncio.gather(*(fetch_server_info(c, url, retry, request_timeout, model)
                                          for c, url in clients))
    return list(outcomes)


def fetch_server_info_sync(base_urls: list[str], api_key: str, policy: RetryPolicy, request_timeout: float,
                           model: str | None = None) -> list[ServerInfo | Failure]:
    """fetch_all for synchronous callers, on a thread of its own (so a running loop is no obstacle)."""
    import threading

    result: list[ServerInfo | Failure] = []
    errors: list[BaseException] = []

    async def main() -> None:
        from labgen.teachers.http_lean import make_chat_client

        clients = [make_chat_client(4, request_timeout, api_key, url) for url in base_urls]
        try:
            result.extend(await fetch_all(list(zip(clients, base_urls)), policy, request_timeout, model))
        finally:
            for client in clients:
                await client.aclose()

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=run, name="labgen-server-probe")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result
