"""Several OpenAI-compatible servers behind one teacher.

Each request attempt goes to the healthy endpoint with the fewest outstanding requests that is below
its own in-flight limit. An endpoint whose requests fail EJECT_AFTER times in a row (dropped or refused
connections, timeouts, 5xx, garbled answers) is ejected: nothing is routed to it until a probe (GET
/models) answers, tried after a backoff that doubles with each ejection in a row. While every endpoint
is ejected, requests still go to the one due back soonest, so the teacher's retries decide when a
request fails, exactly as with one server.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from labgen.teachers.retry import Failure
from labgen.teachers.server_info import UNKNOWN, ServerInfo

logger = logging.getLogger("labgen.teachers")

HEALTH_FAILURES = frozenset({"connection", "timeout", "server_error", "malformed"})
EJECT_AFTER = 3  # failures in a row
EJECT_BASE_S = 1.0  # first ejection; doubles with each ejection in a row
EJECT_MAX_S = 30.0
PROBE_TIMEOUT_S = 10.0


class Endpoint:
    """One server: its URL, its connections, its in-flight limit, what it said about itself, its health."""

    def __init__(self, url: str, limit: int) -> None:
        self.url = url.rstrip("/")
        self.chat_url = self.url + "/chat/completions"
        self.limit = limit
        self.outstanding = 0
        self.info: ServerInfo | None = None
        self.send_guided = True  # False once the server refused the guided-decoding field
        self.client: Any = None  # httpx.AsyncClient of the current event loop
        self.failures_in_a_row = 0
        self.ejections_in_a_row = 0
        self.ejected_until: float | None = None  # time.monotonic(); None while healthy
        self.probe_task: asyncio.Task[None] | None = None
        self.requests = 0  # attempts sent, for endpoint_stats()
        self.failed = 0
        self.ejections = 0

    @property
    def healthy(self) -> bool:
        return self.ejected_until is None

    @property
    def kind(self) -> str:
        return self.info.kind if self.info is not None else UNKNOWN

    def stats(self) -> dict[str, Any]:
        return {"url": self.url, "server": self.kind,
                "context_window": self.info.context_window if self.info else None,
                "healthy": self.healthy, "attempts": self.requests, "failed": self.failed,
                "ejections": self.ejections, "guided": self.send_guided}


class EndpointPool:
    """Routing, per-endpoint limits, ejection and probing back in. Bound to one event loop at a time."""

    def __init__(self, endpoints: Iterable[Endpoint], probe: Callable[[Endpoint], Awaitable[bool]]) -> None:
        self.endpoints = tuple(endpoints)
        self._probe = probe  # one GET /models with a short timeout: True when the endpoint answered
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def several(self) -> bool:
        return len(self.endpoints) > 1

    async def acquire(self, tried: Iterable[Endpoint] = ()) -> Endpoint:
        """An endpoint for one attempt (its outstanding count taken); waits while every one is full."""
        if not self.several:  # one server: the teacher's semaphore is its limit
            endpoint = self.endpoints[0]
            endpoint.outstanding += 1
            return endpoint
        while True:
            endpoint = self._choose(tuple(tried))
            if endpoint is not None:
                endpoint.outstanding += 1
                return endpoint
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter, self._seconds_to_next_return())
            except TimeoutError:
                pass

    def release(self, endpoint: Endpoint, outcome: Any) -> None:
        """Give the slot back and learn from the outcome (a Failure, None when abandoned, else a success)."""
        endpoint.outstanding -= 1
        endpoint.requests += 1
        if isinstance(outcome, Failure):
            if outcome.kind in HEALTH_FAILURES:
                endpoint.failed += 1
                endpoint.failures_in_a_row += 1
                if self.several and endpoint.healthy and endpoint.failures_in_a_row >= EJECT_AFTER:
                    self.eject(endpoint, outcome.message)
        elif outcome is not None:
            endpoint.failures_in_a_row = 0
            endpoint.ejections_in_a_row = 0
            if not endpoint.healthy:  # an answer from an ejected endpoint (all were ejected): it is back
                self._reinstate(endpoint)
        self._wake(1)

    def eject(self, endpoint: Endpoint, reason: str) -> None:
        endpoint.ejections += 1
        endpoint.ejections_in_a_row += 1
        endpoint.failures_in_a_row = 0
        wait = min(EJECT_MAX_S, EJECT_BASE_S * 2 ** (endpoint.ejections_in_a_row - 1))
        endpoint.ejected_until = time.monotonic() + wait
        logger.warning("labgen: teacher endpoint %s left out for %.0f s: %s",
                       endpoint.url, wait, reason)

    def has_untried_healthy(self, tried: Iterable[Endpoint]) -> bool:
        tried = tuple(tried)
        return any(e.healthy and e not in tried for e in self.endpoints)

    def close(self) -> None:
        """Forget this loop's probes and waiters (at close, or when the teacher moves to another loop)."""
        for endpoint in self.endpoints:
            task, endpoint.probe_task = endpoint.probe_task, None
            if task is not None and not task.done():
                task.cancel()
        self._waiters.clear()

    # ----- internals ------------------------------------------------------------------------
    def _choose(self, tried: tuple[Endpoint, ...]) -> Endpoint | None:
        now = time.monotonic()
        best: Endpoint | None = None
        any_healthy = False
        due_back: Endpoint | None = None
        for endpoint in self.endpoints:
            if endpoint.ejected_until is not None:
                if now >= endpoint.ejected_until:
                    self._start_probe(endpoint)
                if endpoint.outstanding < endpoint.limit and (
                        due_back is None or endpoint.ejected_until < (due_back.ejected_until or 0.0)):
                    due_back = endpoint
                continue
            any_healthy = True
            if endpoint.outstanding >= endpoint.limit:
                continue
            if best is None or (best in tried, best.outstanding) > (endpoint in tried, endpoint.outstanding):
                best = endpoint
        if best is not None:
            return best
        return None if any_healthy else due_back

    def _seconds_to_next_return(self) -> float | None:
        times = [e.ejected_until for e in self.endpoints if e.ejected_until is not None]
        return max(0.01, min(times) - time.monotonic()) if times else None

    def _start_probe(self, endpoint: Endpoint) -> None:
        if endpoint.probe_task is not None and not endpoint.probe_task.done():
            return
        endpoint.ejected_until = time.monotonic() + PROBE_TIMEOUT_S  # nothing waits on it while it is probed
        endpoint.probe_task = asyncio.ensure_future(self._probe_back(endpoint))

    async def _probe_back(self, endpoint: Endpoint) -> None:
        try:
            answered = await self._probe(endpoint)
        except Exception as exc:  # a probe must never take the run down
            answered = False
            logger.debug("probe of %s failed: %r", endpoint.url, exc)
        if endpoint.healthy:
            return
        if answered:
            self._reinstate(endpoint)
        else:
            endpoint.ejections_in_a_row += 1
            wait = min(EJECT_MAX_S, EJECT_BASE_S * 2 ** (endpoint.ejections_in_a_row - 1))
            endpoint.ejected_until = time.monotonic() + wait

    def _reinstate(self, endpoint: Endpoint) -> None:
        endpoint.ejected_until = None
        endpoint.failures_in_a_row = 0
        logger.warning("labgen: teacher endpoint %s answers again; requests go to it", endpoint.url)
        self._wake(endpoint.limit)

    def _wake(self, count: int) -> None:
        while count > 0 and self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                count -= 1
