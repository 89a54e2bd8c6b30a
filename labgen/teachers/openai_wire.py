"""The OpenAI chat-completions wire format: request bodies out, Choices in. Pure functions, no I/O."""

from __future__ import annotations

import json
from typing import Any

from labgen.teachers.base import ChatRequest, Choice, SamplingParams, TokenLogprob


class MalformedResponse(ValueError):
    """The server answered 200 with a body that is not a chat completion (retryable)."""


def chat_payload(request: ChatRequest, model: str, *, messages: bool = True) -> dict[str, Any]:
    """The JSON body of POST /chat/completions for one request (without "messages" if not `messages`:
    encode_body adds them, encoded once per request)."""
    params = request.params
    body: dict[str, Any] = {
        "model": model,
        **({"messages": list(request.messages)} if messages else {}),
        "temperature": params.temperature,
        "top_p": params.top_p,
        "max_tokens": params.max_tokens,
    }
    if params.stop:
        body["stop"] = list(params.stop)
    body.update(optional_sampling_fields(params))
    return body


_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)  # what json.dumps would make per call


def encode_body(payload: dict[str, Any], request: ChatRequest) -> bytes:
    """A request body as compact UTF-8 JSON: `payload` (chat_payload without messages) and the request's
    messages as the JSON it already holds (ChatRequest.messages_json, which its store key is made of too)."""
    try:
        head = _COMPACT.encode(payload)
        return f'{head[:-1]},"messages":{request.messages_json}}}'.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (from a teacher's "\ud800"): escaped, as JSON allows
        return json.dumps({**payload, "messages": list(request.messages)}, separators=(",", ":")).encode("ascii")


def optional_sampling_fields(params: SamplingParams) -> dict[str, Any]:
    """seed, n and logprobs fields of a chat request, present only when they differ from the default."""
    fields: dict[str, Any] = {}
    if params.seed is not None:
        fields["seed"] = params.seed
    if params.n != 1:
        fields["n"] = params.n
    if params.logprobs:
        fields["logprobs"] = True
        if params.top_logprobs:
            fields["top_logprobs"] = params.top_logprobs
    return fields


def parse_logprobs(raw: Any) -> tuple[TokenLogprob, ...] | None:
    """`choices[i].logprobs` of the chat format ({"content": [{token, logprob, top_logprobs}]})."""
    if not isinstance(raw, dict):
        return None
    content = raw.get("content")
    if not isinstance(content, list):
        return None
    tokens = []
    for item in content:
        if not isinstance(item, dict) or "logprob" not in item:
            raise MalformedResponse("a logprobs entry lacks 'logprob'")
        top = tuple((str(alt.get("token", "")), float(alt["logprob"]))
                    for alt in item.get("top_logprobs") or () if isinstance(alt, dict) and "logprob" in alt)
        tokens.append(TokenLogprob(token=str(item.get("token", "")), logprob=float(item["logprob"]), top=top))
    return tuple(tokens)


def parse_chat_response(body: Any) -> tuple[tuple[Choice, ...], int | None, int | None, str | None]:
    """(choices, prompt_tokens, completion_tokens, model) from a chat-completion body.

    Raises MalformedResponse when the body is not one (no choices, no message content).
    """
    if not isinstance(body, dict):
        raise MalformedResponse("response body is not a JSON object")
    raw_choices = body.get("choices")
    if not isinstance(raw_choices, list) or not raw_choices:
        raise MalformedResponse("response has no 'choices'")
    choices = []
    ordered = raw_choices if len(raw_choices) == 1 else sorted(
        raw_choices, key=lambda c: c.get("index", 0) if isinstance(c, dict) else 0)
    for raw in ordered:
        if not isinstance(raw, dict) or not isinstance(raw.get("message"), dict):
            raise MalformedResponse("a choice has no 'message'")
        content = raw["message"].get("content")
        if content is not None and not isinstance(content, str):
            raise MalformedResponse("a choice's message content is not text")
        try:
            logprobs = parse_logprobs(raw.get("logprobs"))
        except (TypeError, ValueError, KeyError) as exc:
            raise MalformedResponse(f"unreadable logprobs: {exc}") from None
        choices.append(Choice(text=content or "", finish_reason=raw.get("finish_reason"), logprobs=logprobs))
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    prompt_tokens = usage.get("prompt_tokens")
    completion_tokens = usage.get("completion_tokens")
    model = body.get("model") if isinstance(body.get("model"), str) else None
    return (tuple(choices), prompt_tokens if isinstance(prompt_tokens, int) else None,
            completion_tokens if isinstance(completion_tokens, int) else None, model)


def error_message(body: Any, fallback: str) -> str:
    """The human message inside an OpenAI-style error body ({"error": {"message": ...}} and variants)."""
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return err["message"]
        if isinstance(err, str):
            return err
        if isinstance(body.get("message"), str):
            return body["message"]
        if isinstance(body.get("detail"), str):
            return body["detail"]
    return fallback
