"""An OpenAI-compatible test server that answers every labgen stage plausibly (tests/fakes.py's answers).

The stage of a request is recognised from its first message, whose opening text is fixed by the stage's
template. A fixed latency per request and a log of (stage, messages, start, end) let tests and the bench
measure concurrency and prompt prefixes. A raw asyncio HTTP/1.1 server on its own loop in a daemon
thread (thousands of requests/s, so it is never the bottleneck); use it as a context manager, or run it
as a process (`python -m tests.generate.stage_server PORT [LATENCY_S]`, GET /stats for its counts).
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from typing import Any

from labgen.prompts import all_template_ids, get_template
from labgen.teachers.base import ChatRequest, SamplingParams
from tests.fakes import plausible_answer


def _literal_openings() -> list[tuple[str, str]]:
    """(opening text of the first message, template id), longest first."""
    out = []
    for template_id in all_template_ids():
        source = get_template(template_id).messages[0][1]
        literal = re.split(r"\{[{%]", source, maxsplit=1)[0].strip()
        out.append((literal, template_id))
    return sorted(out, key=lambda item: -len(item[0]))


def _http(status: str, payload: dict[str, Any]) -> bytes:
    body = json.dumps(payload).encode()
    return (f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
            "connection: keep-alive\r\n\r\n").encode() + body


class StageServer:
    def __init__(self, *, latency_s: float = 0.0, model: str = "stage-fake", port: int = 0,
                 answers: Any = plausible_answer) -> None:
        self.latency_s = latency_s
        self.model = model
        self.requested_port = port
        self.answers = answers  # request -> answer text (tests/fakes.py)
        self.log: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        # Time-weighted in-flight count (requests x seconds), for the mean in flight that /stats reports.
        self.area = 0.0
        self.area_at_last_start = 0.0
        self.first_start: float | None = None
        self.last_start = 0.0
        self.last_end = 0.0
        self._last_change = 0.0
        self.openings = _literal_openings()
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def stage_of(self, messages: list[dict[str, str]]) -> str:
        first = (messages[0].get("content") or "").strip() if messages else ""
        for opening, template_id in self.openings:
            if opening and first.startswith(opening):
                return template_id
        return "unknown"

    def answer(self, body: dict[str, Any]) -> tuple[str, str]:
        messages = body.get("messages") or []
        stage = self.stage_of(messages)
        request = ChatRequest(messages=tuple(messages), params=SamplingParams(seed=body.get("seed")), stage=stage)
        return stage, self.answers(request)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _count_in_flight(self, now: float, step: int) -> None:
        self.area += self.in_flight * (now - self._last_change)
        self._last_change = now
        self.in_flight += step

    def stats(self) -> dict[str, Any]:
        """Requests, in flight now and at most, and the mean in flight over the serving span and while work
        remained (first request to the last request's start)."""
        start = self.first_start or 0.0
        return {"requests": len(self.log), "in_flight": self.in_flight, "max_in_flight": self.max_in_flight,
                "mean_in_flight": self.area / max(self.last_end - start, 1e-9) if self.log else 0.0,
                "mean_in_flight_while_work_remains":
                    self.area_at_last_start / max(self.last_start - start, 1e-9) if self.log else 0.0,
                "serving_s": max(self.last_end - start, 0.0)}

    def _chat(self, body: bytes, reply: Any) -> None:
        started = time.monotonic()
        payload = json.loads(body or b"{}")
        stage, text = self.answer(payload)
        if self.first_start is None:
            self.first_start = self._last_change = started
        self._count_in_flight(started, +1)
        self.area_at_last_start, self.last_start = self.area, started
        self.max_in_flight = max(self.max_in_flight, self.in_flight)

        def finish() -> None:
            self.last_end = time.monotonic()
            self._count_in_flight(self.last_end, -1)
            self.log.append({"stage": stage, "messages": payload.get("messages"), "start": started,
                             "end": time.monotonic()})
            words = len(text.split())
            reply(_http("200 OK", {
                "id": "chatcmpl-stage", "object": "chat.completion", "created": 0, "model": self.model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                             "finish_reason": "stop", "logprobs": None}],
                "usage": {"prompt_tokens": 100, "completion_tokens": words, "total_tokens": 100 + words}}))

        assert self._loop is not None
        self._loop.call_later(self.latency_s, finish)

    def __enter__(self) -> StageServer:
        server = self
        ready = threading.Event()

        class Protocol(asyncio.Protocol):
            def __init__(self) -> None:
                self.buffer = b""
                self.transport: Any = None

            def connection_made(self, transport: Any) -> None:
                self.transport = transport

            def reply(self, data: bytes) -> None:
                if not self.transport.is_closing():
                    self.transport.write(data)

            def data_received(self, data: bytes) -> None:
                self.buffer += data
                while True:
                    end = self.buffer.find(b"\r\n\r\n")
                    if end < 0:
                        return
                    head = self.buffer[:end].decode("latin-1")
                    length = 0
                    for line in head.split("\r\n")[1:]:
                        name, _, value = line.partition(":")
                        if name.strip().lower() == "content-length":
                            length = int(value.strip())
                    if len(self.buffer) < end + 4 + length:
                        return
                    body = self.buffer[end + 4:end + 4 + length]
                    self.buffer = self.buffer[end + 4 + length:]
                    method, path = head.split(" ", 2)[:2]
                    if method == "POST" and path.endswith("/chat/completions"):
                        server._chat(body, self.reply)
                    elif path.endswith("/stats"):
                        self.reply(_http("200 OK", server.stats()))
                    else:
                        self.reply(_http("200 OK", {"object": "list",
                                                    "data": [{"id": server.model, "object": "model"}]}))

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            listener = loop.run_until_complete(loop.create_server(Protocol, "127.0.0.1", self.requested_port,
                                                                  backlog=4096))
            self.port = listener.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            listener.close()
            loop.run_until_complete(listener.wait_closed())
            loop.close()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(5)


def main() -> None:
    """Serve on a fixed port until SIGTERM/SIGINT (tests run it as a subprocess they can kill and restart).

        python -m tests.generate.stage_server PORT [LATENCY_S]
    """
    import signal
    import sys

    port, latency = int(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with StageServer(latency_s=latency, port=port) as server:
        print(server.base_url, flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
