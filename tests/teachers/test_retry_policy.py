"""Backoff with full jitter, Retry-After parsing and context-length recognition."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

from labgen.teachers.retry import RetryPolicy, context_length_limit, parse_retry_after


def test_full_jitter_stays_within_the_exponential_ceiling() -> None:
    policy = RetryPolicy(max_retries=5, backoff_base_s=0.5, backoff_max_s=4.0)
    rng = random.Random(0)
    for attempt, ceiling in enumerate([0.5, 1.0, 2.0, 4.0, 4.0, 4.0]):
        waits = [policy.backoff(attempt, rng) for _ in range(200)]
        assert all(0.0 <= w <= ceiling for w in waits)
        assert max(waits) > 0.8 * ceiling  # jitter spreads over the whole range, not a fixed wait


def test_retry_after_wins_over_backoff_and_is_capped() -> None:
    policy = RetryPolicy(backoff_base_s=0.01, backoff_max_s=0.01)
    assert policy.wait_before_retry(0, 2.5) == 2.5
    assert policy.wait_before_retry(0, 10_000) == 300.0
    assert policy.wait_before_retry(3, None) <= 0.01


def test_parse_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    later = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (parse_retry_after(later) or 0) <= 30


def test_context_length_messages_of_vllm_and_llama_cpp() -> None:
    vllm = ("This model's maximum context length is 32768 tokens. However, you requested 40000 tokens "
            "(39000 in the messages, 1000 in the completion).")
    assert context_length_limit(vllm) == (32768, 40000)
    assert context_length_limit("Requested tokens (3000) exceed context window of 2048") == (2048, 3000)
    llama_server = "request (1733 tokens) exceeds the available context size (1024 tokens), try increasing it"
    assert context_length_limit(llama_server) == (1024, 1733)
    assert context_length_limit("model 'x' not found") is None
