"""Request bodies: the messages spliced in from the request's cached JSON decode to what the plain payload
does; a lone surrogate (a teacher's "\\ud800" fed back into a prompt) still makes a valid body."""

from __future__ import annotations

import json

from labgen.store.answers import request_key
from labgen.teachers.base import ChatRequest, SamplingParams
from labgen.teachers.openai_wire import chat_payload, encode_body


def _request(text: str) -> ChatRequest:
    return ChatRequest(messages=({"role": "system", "content": "Be brief."}, {"role": "user", "content": text}),
                       params=SamplingParams(temperature=0.0, max_tokens=9, stop=("\n",), seed=4))


def test_spliced_messages_decode_to_the_plain_payload() -> None:
    for text in ('Say "é" and \\ then a tab\t.', "x" * 5000, "日本語"):
        request = _request(text)
        body = encode_body(chat_payload(request, "mixtral", messages=False), request)
        assert json.loads(body) == chat_payload(request, "mixtral")
        assert body.decode("utf-8")  # UTF-8 as sent


def test_a_lone_surrogate_is_escaped_and_still_keyed() -> None:
    request = _request("broken \ud800 text")
    body = encode_body(chat_payload(request, "m", messages=False), request)
    assert json.loads(body)["messages"][1]["content"] == "broken \ud800 text"
    assert b"\\ud800" in body
    assert len(request_key(request, {"backend": "openai"})) == 64
