"""An OpenAI-compatible test server that answers every labgen stage plausibly (tests/fakes.py's answers).

The stage of a request is recognised from its first message, whose opening text is fixed by the stage's
template. A fixed latency per request and a log of (stage, messages, start, end) let tests and the bench
measure concurrency and prompt prefixes. Runs in a daemon thread; use as a context manager.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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


class StageServer:
    def __init__(self, *, latency_s: float = 0.0, model: str = "stage-fake") -> None:
        self.latency_s = latency_s
        self.model = model
        self.log: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.openings = _literal_openings()
        self._server: ThreadingHTTPServer | None = None
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
        return stage, plausible_answer(request)

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> StageServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                self._send({"object": "list", "data": [{"id": server.model, "object": "model"}]})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                started = time.monotonic()
                with server.lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    stage, text = server.answer(body)
                    if server.latency_s:
                        time.sleep(server.latency_s)
                finally:
                    with server.lock:
                        server.in_flight -= 1
                        server.log.append({"stage": stage, "messages": body.get("messages"), "start": started,
                                           "end": time.monotonic()})
                words = len(text.split())
                self._send({"id": "chatcmpl-stage", "object": "chat.completion", "created": 0, "model": server.model,
                            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                         "finish_reason": "stop", "logprobs": None}],
                            "usage": {"prompt_tokens": 100, "completion_tokens": words,
                                      "total_tokens": 100 + words}})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.request_queue_size = 1024
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
