"""Several teacher servers behind one OpenAI teacher: routing, per-server limits, ejection, probing back in."""

from __future__ import annotations

import time

import pytest

from labgen.teachers import endpoints
from labgen.teachers.base import ChatRequest, SamplingParams
from labgen.teachers.config import build_teacher, resolve_teacher_config
from labgen.errors import ConfigError
from labgen.teachers.openai_direct import OpenAITeacher
from labgen.teachers.retry import RetryPolicy
from tests.generate.stage_server import StageServer
from tests.teachers.conftest import free_port
from tests.teachers.fault_server import FaultServer

SLOW_BACKOFF = RetryPolicy(max_retries=3, backoff_base_s=5.0, backoff_max_s=5.0)  # a wait would show in the time


def requests(count: int) -> list[ChatRequest]:
    return [ChatRequest(({"role": "user", "content": f"q{i}"},), SamplingParams(max_tokens=4), tag=i)
            for i in range(count)]


def test_each_server_keeps_its_own_limit_and_the_least_busy_gets_the_next_request() -> None:
    with StageServer(latency_s=0.3) as slow, StageServer(latency_s=0.02) as fast_a, \
            StageServer(latency_s=0.02) as fast_b:
        teacher = OpenAITeacher(base_url=[slow.base_url, fast_a.base_url, fast_b.base_url], model="m",
                                max_in_flight=2)
        assert teacher.max_in_flight == 6  # the sum of the servers' limits
        completions = list(teacher.stream(requests(60)))
        teacher.close()
    assert sorted(c.request.tag for c in completions) == list(range(60)) and all(c.ok for c in completions)
    assert max(s.max_in_flight for s in (slow, fast_a, fast_b)) == 2
    counts = [len(s.log) for s in (slow, fast_a, fast_b)]
    assert sum(counts) == 60 and counts[0] < min(counts[1:]) / 3  # the slow one holds its requests longer
    assert [e["attempts"] for e in teacher.endpoint_stats()] == counts


def test_a_server_down_at_the_start_is_left_out_by_the_probe() -> None:
    dead = f"http://127.0.0.1:{free_port()}/v1"
    with StageServer() as live:
        teacher = OpenAITeacher(base_url=[dead, live.base_url], max_in_flight=2, retry=SLOW_BACKOFF)
        assert teacher.identity()["model"] == "stage-fake"  # discovered from the one that answers
        started = time.monotonic()
        completions = list(teacher.stream(requests(10)))
        teacher.close()
    assert all(c.ok and c.retries == 0 for c in completions) and time.monotonic() - started < 4
    down, up = teacher.endpoint_stats()
    assert (down["attempts"], down["ejections"], down["healthy"]) == (0, 1, False) and up["attempts"] == 10


def test_a_failing_server_is_ejected_and_retries_go_elsewhere_at_once() -> None:
    with FaultServer(["500"] * 50) as failing, StageServer() as live:
        teacher = OpenAITeacher(base_url=[failing.base_url, live.base_url], model="m", max_in_flight=1,
                                retry=SLOW_BACKOFF)
        started = time.monotonic()
        completions = list(teacher.stream(requests(12)))
        teacher.close()
    assert all(c.ok for c in completions) and time.monotonic() - started < 4  # no 5 s backoff was waited
    bad, good = teacher.endpoint_stats()
    assert bad["ejections"] == 1 and bad["attempts"] == endpoints.EJECT_AFTER == len(failing.chat_requests)
    assert good["attempts"] == 12 and sum(c.retries for c in completions) == endpoints.EJECT_AFTER


def test_an_ejected_server_is_probed_back_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(endpoints, "EJECT_BASE_S", 0.2)
    port = free_port()
    with StageServer(latency_s=0.05) as live:
        teacher = OpenAITeacher(base_url=[f"http://127.0.0.1:{port}/v1", live.base_url], max_in_flight=2)
        teacher.probe()  # the first is down: left out
        with StageServer(latency_s=0.05, port=port) as returned:
            completions = list(teacher.stream(requests(80)))
        teacher.close()
    assert all(c.ok for c in completions)
    assert len(returned.log) > 0 and teacher.endpoint_stats()[0]["healthy"]


def test_with_every_server_down_requests_fail_after_their_retries_as_with_one() -> None:
    urls = [f"http://127.0.0.1:{free_port()}/v1" for _ in range(2)]
    teacher = OpenAITeacher(base_url=urls, model="m", retry=RetryPolicy(max_retries=2, backoff_base_s=0.01,
                                                                        backoff_max_s=0.01))
    completions = list(teacher.stream(requests(4)))
    teacher.close()
    assert all(c.error_kind == "connection" and c.retries == 2 for c in completions)


def test_urls_from_every_source() -> None:
    env = {"LABGEN_TEACHER_URL": "http://a:8000/v1, http://b:8000/v1"}
    assert resolve_teacher_config({}, env, None).urls == ("http://a:8000/v1", "http://b:8000/v1")
    cli = resolve_teacher_config({"url": ("http://c/v1", "http://d/v1")}, env, None)
    assert cli.urls == ("http://c/v1", "http://d/v1") and cli.url == "http://c/v1"
    teacher = build_teacher(resolve_teacher_config({"backend": "openai", "max_in_flight": "8"}, env, None))
    assert [e.url for e in teacher.endpoints] == ["http://a:8000/v1", "http://b:8000/v1"]
    assert teacher.max_in_flight == 16
    with pytest.raises(ConfigError, match="names the same URL twice"):
        resolve_teacher_config({"url": ("http://c/v1", "http://c/v1")}, {}, None)
    with pytest.raises(ConfigError, match="direct client"):
        build_teacher(resolve_teacher_config({"backend": "openai", "client": "langchain"}, env, None))


def test_teacher_check_lists_every_server(tmp_path) -> None:
    import json

    from click.testing import CliRunner

    from labgen.cli import cli

    dead = f"http://127.0.0.1:{free_port()}/v1"
    config = tmp_path / "labgen.yaml"
    config.write_text("teacher: {}\n")
    with StageServer() as live:
        result = CliRunner().invoke(cli, ["teacher", "check", "--teacher", "openai", "--config", str(config),
                                          "--teacher-url", live.base_url, "--teacher-url", dead])
    report = json.loads(result.output.strip().splitlines()[-1])
    assert result.exit_code == 0 and report["ok"] is True
    assert [(e["url"], e["healthy"]) for e in report["endpoints"]] == [(live.base_url, True), (dead, False)]
