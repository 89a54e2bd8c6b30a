"""`labgen teacher check`: one tiny request (and a logprobs probe) that says whether the teacher works."""

from __future__ import annotations

import time
from typing import Any

from labgen.errors import LabgenError
from labgen.teachers.base import ChatRequest, SamplingParams, Teacher

PROBE_MESSAGES = ({"role": "user", "content": "Reply with the single word: ready"},)


def check_teacher(teacher: Teacher, *, max_tokens: int = 8) -> dict[str, Any]:
    """Send one request and a logprobs probe; report {backend, model, context_window, latency_s, logprobs, ok,
    error}. The context window is the server's own where it says (vLLM, llama.cpp), else null. With several
    servers, `endpoints` says which of them answered /models (the request itself goes to one).

    Never raises for an unreachable or broken teacher: that is what `ok: false` and `error` say.
    """
    report: dict[str, Any] = {"backend": teacher.backend, "model": teacher.model, "context_window": None,
                              "latency_s": None,
                              "logprobs": False, "ok": False, "error": None}
    run = getattr(teacher, "run", None)
    try:
        plain = ChatRequest(PROBE_MESSAGES, SamplingParams(temperature=0.0, max_tokens=max_tokens, seed=0),
                            stage="check")
        started = time.perf_counter()
        completion = run(teacher.complete(plain)) if run else next(iter(teacher.stream([plain])))
        report["latency_s"] = round(time.perf_counter() - started, 3)
        report["model"] = completion.model or teacher.model
        if not completion.ok:
            report["error"] = completion.error or "the teacher returned no choices"
            return report
        report["ok"] = True
        report["context_window"] = getattr(teacher, "context_window", None)
        endpoint_stats = getattr(teacher, "endpoint_stats", None)
        if callable(endpoint_stats) and len(endpoint_stats()) > 1:  # which servers answered /models
            report["endpoints"] = [{key: e[key] for key in ("url", "server", "context_window", "healthy")}
                                   for e in endpoint_stats()]
        probe = ChatRequest(PROBE_MESSAGES, SamplingParams(temperature=0.0, max_tokens=1, seed=0, logprobs=True,
                                                           top_logprobs=1), stage="check_logprobs")
        answer = run(teacher.complete(probe)) if run else next(iter(teacher.stream([probe])))
        report["logprobs"] = bool(answer.ok and answer.choices[0].logprobs)
    except LabgenError as exc:
        report["error"] = exc.render()
    return report
