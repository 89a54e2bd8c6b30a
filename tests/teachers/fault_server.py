"""A small OpenAI-compatible test server that injects faults from a script, one per chat request.

    with FaultServer(["500", ("429", 0.3), "ok"]) as server:   # then "ok" for every later request
        ... server.base_url, server.arrivals (time of each chat request), server.chat_requests

`models=` sets the body of GET /models (default: one model, "fault-model", and nothing else); `refuse=`
maps body fields to the 400 error message any chat request carrying one of them gets (before the script).

Faults: "ok", ("slow", seconds), "500", ("429", retry_after_seconds), "drop" (close the socket
mid-response), "malformed" (200 with a body that is not JSON), "truncated" (200 whose body stops
before its Content-Length), "no_choices" (valid JSON, not a completion), "context_length" (vLLM's 400).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

CONTEXT_MESSAGE = ("This model's maximum context length is 4096 tokens. However, you requested 5120 tokens "
                   "(4608 in the messages, 512 in the completion). Please reduce the length of the messages "
                   "or completion.")


def _completion(text: str = "fine answer") -> bytes:
    return json.dumps({"id": "x", "object": "chat.completion", "model": "fault-model",
                       "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                    "finish_reason": "stop"}],
                       "usage": {"prompt_tokens": 11, "completion_tokens": 2, "total_tokens": 13}}).encode()


def _http(status: str, body: bytes, extra: str = "", length: int | None = None) -> bytes:
    return (f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body) if length is None else length}\r\n{extra}\r\n").encode() + body


MODELS = {"object": "list", "data": [{"id": "fault-model"}]}


class FaultServer:
    def __init__(self, script: list[Any] | None = None, *, models: dict[str, Any] | None = None,
                 refuse: dict[str, str] | None = None) -> None:
        self.script = list(script or [])
        self.refuse = dict(refuse or {})  # body field -> the 400 error message a request carrying it gets
        self.models_body = json.dumps(MODELS if models is None else models).encode()
        self.model_listings = 0  # GET /models requests answered
        self.arrivals: list[float] = []
        self.chat_requests: list[dict[str, Any]] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> FaultServer:
        ready = threading.Event()

        async def main() -> None:
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            async with self._server:
                try:
                    await self._server.serve_forever()
                except asyncio.CancelledError:
                    pass

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(main())

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        assert ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        if self._thread is not None:
            self._thread.join(5)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path = lines[0].split(" ")[:2]
                length = next((int(l.split(":", 1)[1]) for l in lines[1:] if l.lower().startswith("content-length")), 0)
                body = await reader.readexactly(length) if length else b""
                if path.endswith("/models"):
                    self.model_listings += 1
                    writer.write(_http("200 OK", self.models_body))
                    await writer.drain()
                    continue
                self.arrivals.append(time.monotonic())
                self.chat_requests.append(json.loads(body))
                refused = [message for name, message in self.refuse.items() if name in self.chat_requests[-1]]
                if refused:
                    writer.write(_http("400 Bad Request", json.dumps({"error": {"message": refused[0]}}).encode()))
                    await writer.drain()
                    continue
                fault = self.script.pop(0) if self.script else "ok"
                if not await self._answer(fault, writer):
                    writer.close()
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def _answer(self, fault: Any, writer: asyncio.StreamWriter) -> bool:
        """Write the scripted answer; False when the connection must be closed."""
        name, arg = (fault if isinstance(fault, tuple) else (fault, None))
        if name == "slow":
            await asyncio.sleep(arg)
            name = "ok"
        if name == "ok":
            writer.write(_http("200 OK", _completion()))
        elif name == "500":
            writer.write(_http("500 Internal Server Error", b'{"error":{"message":"boom"}}'))
        elif name == "429":
            writer.write(_http("429 Too Many Requests", b'{"error":{"message":"slow down"}}',
                               extra=f"retry-after: {arg}\r\n"))
        elif name == "drop":
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n")
            await writer.drain()
            return False
        elif name == "malformed":
            writer.write(_http("200 OK", b"<html>this is not json"))
        elif name == "truncated":
            body = _completion()
            writer.write(_http("200 OK", body[: len(body) // 2], length=len(body)))
            await writer.drain()
            return False
        elif name == "no_choices":
            writer.write(_http("200 OK", b'{"object":"chat.completion","choices":[]}'))
        elif name == "context_length":
            writer.write(_http("400 Bad Request", json.dumps({"error": {"message": CONTEXT_MESSAGE,
                                                                        "code": "context_length_exceeded"}}).encode()))
        else:
            raise AssertionError(f"unknown fault {fault!r}")
        await writer.drain()
        return True
