"""When and how long to wait before retrying a teacher request: exponential backoff with full jitter."""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TypeVar

T = TypeVar("T")

RETRY_AFTER_CAP_S = 300.0


@dataclass(frozen=True)
class RetryPolicy:
    """max_retries extra attempts after the first; waits drawn uniformly in [0, min(cap, base * 2**n)]."""

    max_retries: int = 5
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """The wait before retry number `attempt` (0-based), full jitter."""
        ceiling = min(self.backoff_max_s, self.backoff_base_s * (2 ** attempt))
        return (rng or random).uniform(0.0, ceiling)

    def wait_before_retry(self, attempt: int, retry_after_s: float | None) -> float:
        """Honour a server's Retry-After (at least that long); otherwise the jittered backoff."""
        if retry_after_s is not None:
            return min(max(retry_after_s, 0.0), RETRY_AFTER_CAP_S)
        return self.backoff(attempt)


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After is either delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max((when - datetime.now(timezone.utc)).total_seconds(), 0.0)


_MAX_CONTEXT = re.compile(r"maximum context length is (\d+)", re.IGNORECASE)
_LLAMA_CPP_CONTEXT = re.compile(r"exceed context window of (\d+)|exceeds the available context size \((\d+)",
                                re.IGNORECASE)
_REQUESTED = re.compile(r"(?:you requested|your request has|requested tokens \(|request \()\s*(\d+)",
                        re.IGNORECASE)


def context_length_limit(message: str) -> tuple[int | None, int | None] | None:
    """If a server's 400 message is a context-length error, return (limit, requested); else None.

    Knows vLLM/OpenAI ("This model's maximum context length is N tokens. However, you requested M
    tokens ..."), llama-cpp-python's server ("Requested tokens (M) exceed context window of N") and
    llama.cpp's own server ("request (M tokens) exceeds the available context size (N tokens)").
    """
    limit = _MAX_CONTEXT.search(message) or _LLAMA_CPP_CONTEXT.search(message)
    if limit is None and "context length" not in message.lower():
        return None
    requested = _REQUESTED.search(message)
    limit_value = next((int(group) for group in limit.groups() if group), None) if limit else None
    return (limit_value, int(requested.group(1)) if requested else None)


@dataclass(frozen=True)
class Failure:
    """One failed attempt: what kind, a message for the user, and whether a retry can help."""

    kind: str  # timeout, connection, rate_limited, server_error, malformed, context_length, http_error
    message: str
    retryable: bool
    retry_after_s: float | None = None
    status: int | None = None  # the HTTP status, when the server answered


async def call_with_retries(attempt: Callable[[], Awaitable[T | Failure]],
                            policy: RetryPolicy) -> tuple[T | Failure, int]:
    """Call `attempt` until it succeeds, fails for good, or retries run out. Returns (outcome, retries)."""
    retries = 0
    while True:
        outcome = await attempt()
        if not isinstance(outcome, Failure) or not outcome.retryable or retries >= policy.max_retries:
            return outcome, retries
        await asyncio.sleep(policy.wait_before_retry(retries, outcome.retry_after_s))
        retries += 1
