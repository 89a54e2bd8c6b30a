"""The OpenAI-compatible backend against a server that injects faults: retries, waits and failures."""

from __future__ import annotations

import pytest

from tests.teachers.fault_server import FaultServer
from labgen.teachers.base import ChatRequest, SamplingParams
from labgen.teachers.openai_direct import OpenAITeacher
from labgen.teachers.retry import RetryPolicy

FAST_RETRY = RetryPolicy(max_retries=3, backoff_base_s=0.01, backoff_max_s=0.02)
REQUEST = ChatRequest(({"role": "user", "content": "Say something."},), SamplingParams(max_tokens=8), stage="gen")


def teacher_for(server: FaultServer, *, timeout: float = 5.0, retry: RetryPolicy = FAST_RETRY) -> OpenAITeacher:
    return OpenAITeacher(base_url=server.base_url, max_in_flight=4, request_timeout=timeout, retry=retry)


@pytest.mark.parametrize("fault", ["500", "drop", "malformed", "truncated", "no_choices"])
def test_transient_fault_is_retried_then_succeeds(fault: str) -> None:
    with FaultServer([fault]) as server, teacher_for(server) as teacher:
        completion = teacher.run(teacher.complete(REQUEST))
    assert completion.ok, completion.error
    assert completion.text == "fine answer"
    assert completion.retries == 1
    assert len(server.chat_requests) == 2
    totals = teacher.accounting.total()
    assert (totals.requests, totals.retries, totals.failures) == (1, 1, 0)
    assert teacher.accounting.stages["gen"].prompt_tokens == 11


def test_slow_answer_times_out_and_is_retried() -> None:
    with FaultServer([("slow", 2.0)]) as server, teacher_for(server, timeout=0.3) as teacher:
        completion = teacher.run(teacher.complete(REQUEST))
    assert completion.ok and completion.retries == 1


def test_persistent_fault_becomes_a_recorded_failure_not_an_exception() -> None:
    retry = RetryPolicy(max_retries=2, backoff_base_s=0.01, backoff_max_s=0.01)
    with FaultServer(["500"] * 3) as server, teacher_for(server, retry=retry) as teacher:
        completion = teacher.run(teacher.complete(REQUEST))
    assert not completion.ok
    assert completion.error_kind == "server_error" and "HTTP 500" in (completion.error or "")
    assert completion.retries == 2 and len(server.chat_requests) == 3
    assert teacher.accounting.total().failures == 1


def test_timeouts_until_retries_run_out_are_a_timeout_failure() -> None:
    retry = RetryPolicy(max_retries=1, backoff_base_s=0.01, backoff_max_s=0.01)
    with FaultServer([("slow", 1.0), ("slow", 1.0)]) as server, teacher_for(server, timeout=0.2, retry=retry) as teacher:
        completion = teacher.run(teacher.complete(REQUEST))
    assert completion.error_kind == "timeout" and completion.retries == 1


def test_429_retry_after_is_honoured() -> None:
    with FaultServer([("429", 0.4)]) as server, teacher_for(server) as teacher:
        completion = teacher.run(teacher.complete(REQUEST))
    assert completion.ok and completion.retries == 1
    waited = server.arrivals[1] - server.arrivals[0]
    assert waited >= 0.4


def test_context_length_is_reported_not_retried() -> None:
    with FaultServer(["context_length"]) as server, teacher_for(server) as teacher:
        completion = teacher.run(teacher.complete(REQUEST))
    assert len(server.chat_requests) == 1
    assert completion.retries == 0 and completion.error_kind == "context_length"
    assert "4096" in completion.error and "5120" in completion.error  # server's limit and the prompt's size
    assert "max_tokens 8" in completion.error


def test_stream_returns_every_request_despite_faults() -> None:
    requests = [ChatRequest(REQUEST.messages, REQUEST.params, stage="s", tag=i) for i in range(12)]
    with FaultServer(["500", "drop", "malformed", "truncated"]) as server, teacher_for(server) as teacher:
        completions = list(teacher.stream(requests))
    assert sorted(c.request.tag for c in completions) == list(range(12))
    assert all(c.ok for c in completions)
    stage = teacher.accounting.stages["s"]
    assert stage.requests == 12 and stage.retries == 4 and stage.failures == 0


def test_model_is_discovered_and_sampling_params_are_sent() -> None:
    params = SamplingParams(temperature=0.1, top_p=0.9, max_tokens=7, stop=("END",), seed=3, logprobs=True,
                            top_logprobs=2)
    with FaultServer() as server, teacher_for(server) as teacher:
        completion = teacher.run(teacher.complete(ChatRequest(REQUEST.messages, params)))
    sent = server.chat_requests[0]
    assert teacher.model == "fault-model" and completion.model == "fault-model"
    assert sent["model"] == "fault-model"
    assert (sent["temperature"], sent["top_p"], sent["max_tokens"], sent["stop"], sent["seed"]) == (0.1, 0.9, 7, ["END"], 3)
    assert sent["logprobs"] is True and sent["top_logprobs"] == 2


def test_identity_names_the_discovered_model_before_any_request() -> None:
    with FaultServer() as server, teacher_for(server) as teacher:
        assert teacher.identity() == {"backend": "openai", "model": "fault-model"}
        assert server.chat_requests == []


def test_one_server_gets_at_most_max_in_flight_and_latency_leaves_out_the_wait() -> None:
    """One plain-http server: the client keeps the limit itself (a freed slot goes to the next request as
    the answer is read); the latency recorded is the server's, not the time a request waited for a slot."""
    from tests.generate.stage_server import StageServer

    with StageServer(latency_s=0.05) as server:
        teacher = OpenAITeacher(base_url=server.base_url, model="stage-fake", max_in_flight=4)
        requests = [ChatRequest(({"role": "user", "content": f"Question {i}?"},), SamplingParams(seed=i), tag=i)
                    for i in range(40)]
        completions = list(teacher.stream(requests))
        teacher.close()
        stats = server.stats()
    assert all(c.ok for c in completions) and sorted(c.request.tag for c in completions) == list(range(40))
    assert stats["max_in_flight"] == 4 and stats["requests"] == 40
    mean = teacher.accounting.total().as_dict()["mean_latency_s"]
    assert 0.045 <= mean < 0.2  # 40 requests through 4 slots wait up to 0.45 s; the answer takes 0.05 s
