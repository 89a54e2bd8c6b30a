"""A fast, local, fake OpenAI-compatible server for benches: fixed latency, canned answers, counters.

    from fake_openai_server import FakeOpenAIServer
    with FakeOpenAIServer(latency_s=0.2) as server:      # a subprocess on a free loopback port
        ...  # point a client at server.base_url ("http://127.0.0.1:PORT/v1")
        server.stats()    # {"requests", "in_flight", "max_in_flight"}
        server.prompts()  # the `messages` of every chat request, in arrival order

It runs in a subprocess by default so its CPU time is not charged to the client being measured
(`in_thread=True` runs it in a daemon thread instead). Raw asyncio protocol, no framework: one
process serves well over 10,000 requests/s, so it is not the bottleneck of a Python client.
Endpoints: GET /v1/models, POST /v1/chat/completions, GET /stats, GET /prompts, POST /reset.
Run directly: python bench/fake_openai_server.py --port 8000 --latency 0.2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
from typing import Any

DEFAULT_REPLY = "This is a canned answer from the fake teacher."


class _State:
    def __init__(self, latency_s: float, reply: str, model: str, record_prompts: bool) -> None:
        self.latency_s = latency_s
        self.model = model
        self.record_prompts = record_prompts
        self.requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.prompts: list[Any] = []
        words = max(len(reply.split()), 1)
        self.chat_body = json.dumps({
            "id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply},
                         "finish_reason": "stop", "logprobs": None}],
            "usage": {"prompt_tokens": 10, "completion_tokens": words, "total_tokens": 10 + words},
        }).encode()
        self.models_body = json.dumps({"object": "list", "data": [{"id": model, "object": "model"}]}).encode()


def _response(status: str, body: bytes) -> bytes:
    return (f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
            "connection: keep-alive\r\n\r\n").encode() + body


class _HttpProtocol(asyncio.Protocol):
    """Minimal HTTP/1.1 keep-alive: request line, headers, Content-Length body."""

    def __init__(self, state: _State) -> None:
        self.state = state
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if len(self.buffer) < head_end + 4 + length:
                return
            body = self.buffer[head_end + 4:head_end + 4 + length]
            self.buffer = self.buffer[head_end + 4 + length:]
            method, path = head.split(" ", 2)[:2]
            self.handle(method, path, body)

    def handle(self, method: str, path: str, body: bytes) -> None:
        state = self.state
        if path.endswith("/chat/completions"):
            state.requests += 1
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
            if state.record_prompts:
                try:
                    state.prompts.append(json.loads(body).get("messages"))
                except ValueError:
                    state.prompts.append(None)
            if state.latency_s > 0:
                asyncio.get_running_loop().call_later(state.latency_s, self.finish_chat)
            else:
                self.finish_chat()
        elif path.endswith("/models"):
            self.send(_response("200 OK", state.models_body))
        elif path == "/stats":
            self.send(_response("200 OK", json.dumps({"requests": state.requests, "in_flight": state.in_flight,
                                                     "max_in_flight": state.max_in_flight}).encode()))
        elif path == "/prompts":
            self.send(_response("200 OK", json.dumps(state.prompts).encode()))
        elif path == "/reset" and method == "POST":
            state.requests = state.max_in_flight = 0
            state.prompts.clear()
            self.send(_response("200 OK", b"{}"))
        else:
            self.send(_response("404 Not Found", b'{"error": {"message": "not found"}}'))

    def finish_chat(self) -> None:
        self.state.in_flight -= 1
        self.send(_response("200 OK", self.state.chat_body))

    def send(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)


async def serve(port: int, state: _State, ready: Any = None) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _HttpProtocol(state), "127.0.0.1", port, backlog=4096)
    bound = server.sockets[0].getsockname()[1]
    if ready is not None:
        ready(bound)
    async with server:
        await server.serve_forever()


class FakeOpenAIServer:
    """Start on a free loopback port; a context manager; counts in-flight requests and records prompts."""

    def __init__(self, *, latency_s: float = 0.0, reply: str = DEFAULT_REPLY, model: str = "fake-teacher",
                 record_prompts: bool = True, in_thread: bool = False, port: int = 0) -> None:
        self.latency_s = latency_s
        self.reply = reply
        self.model = model
        self.record_prompts = record_prompts
        self.in_thread = in_thread
        self.port = port
        self._process: subprocess.Popen[str] | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeOpenAIServer:
        if self.in_thread:
            self._start_thread()
        else:
            self._start_process()
        return self

    def _start_process(self) -> None:
        command = [sys.executable, os.path.abspath(__file__), "--port", str(self.port), "--latency",
                   str(self.latency_s), "--reply", self.reply, "--model", self.model]
        if not self.record_prompts:
            command.append("--no-record")
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"fake server did not start: {line!r}")
        self.port = int(line.split()[1])

    def _start_thread(self) -> None:
        state = _State(self.latency_s, self.reply, self.model, self.record_prompts)
        ready = threading.Event()

        def on_ready(port: int) -> None:
            self.port = port
            ready.set()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            try:
                self._loop.run_until_complete(serve(self.port, state, on_ready))
            except (asyncio.CancelledError, RuntimeError):
                pass

        self._thread = threading.Thread(target=run, daemon=True, name="fake-openai-server")
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake server did not start within 10 s")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._process = None
        if self._loop is not None:
            loop = self._loop
            for task in asyncio.all_tasks(loop) if not loop.is_closed() else ():
                loop.call_soon_threadsafe(task.cancel)
            self._loop = None

    def _get(self, path: str, method: str = "GET") -> Any:
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=b"" if method == "POST" else None)
            return json.loads(connection.getresponse().read())
        finally:
            connection.close()

    def stats(self) -> dict[str, int]:
        return self._get("/stats")  # type: ignore[no-any-return]

    def prompts(self) -> list[Any]:
        return self._get("/prompts")  # type: ignore[no-any-return]

    def reset(self) -> None:
        self._get("/reset", method="POST")

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake OpenAI-compatible server for benches.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each chat answer")
    parser.add_argument("--reply", default=DEFAULT_REPLY)
    parser.add_argument("--model", default="fake-teacher")
    parser.add_argument("--no-record", action="store_true", help="do not keep the prompts")
    args = parser.parse_args()
    state = _State(args.latency, args.reply, args.model, not args.no_record)

    def ready(port: int) -> None:
        print(f"PORT {port}", flush=True)

    try:
        asyncio.run(serve(args.port, state, ready))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
