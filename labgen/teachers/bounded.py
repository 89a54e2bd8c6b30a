"""The machinery every backend shares: bounded concurrency, accounting, and streaming.

A backend subclasses BoundedTeacher and implements `_complete_once(request) -> Completion`; the base
bounds how many run at once (an asyncio.Semaphore of max_in_flight), times them, records each
completion exactly once in `accounting`, and builds `stream`/`astream` on top of `complete`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import replace
from typing import Any

from labgen.errors import ConfigError, TeacherError
from labgen.teachers.base import Accounting, ChatRequest, Completion, Message
from labgen.tokens import estimate_message_tokens

logger = logging.getLogger("labgen.teachers")


class Slots:
    """An asyncio semaphore, first come first served, whose release hands the slot to the next waiter at
    once. CPython 3.11's Semaphore leaves woken waiters at the head of its queue until they run, so with
    hundreds waiting every release of a loop turn scans the ones woken before it: a cost per request that
    grows with the requests waiting."""

    def __init__(self, slots: int) -> None:
        self.free = slots
        self.waiters: deque[asyncio.Future[None]] = deque()

    async def __aenter__(self) -> None:
        if self.free > 0 and not self.waiters:
            self.free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # granted the slot just as it was cancelled
                self.release()
            raise

    async def __aexit__(self, *exc: object) -> None:
        self.release()

    def release(self) -> None:
        waiters = self.waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():  # a cancelled waiter left its future behind: skip it
                waiter.set_result(None)
                return
        self.free += 1


class BoundedTeacher:
    """Base class of the backends: subclasses set `backend` and implement `_complete_once`."""

    backend = "abstract"

    def __init__(self, *, max_in_flight: int) -> None:
        if max_in_flight < 1:
            raise ConfigError(f"max_in_flight must be at least 1, got {max_in_flight}",
                              hint="set --max-in-flight to a positive integer")
        self.max_in_flight = max_in_flight
        self.accounting = Accounting()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._semaphore: Slots | None = None
        self._stream_loop: asyncio.AbstractEventLoop | None = None
        self.notices: list[str] = []  # one-line messages for the user, each given once

    # ----- what backends provide -------------------------------------------------------------
    @property
    def model(self) -> str:
        raise NotImplementedError

    def identity(self) -> dict[str, Any]:
        return {"backend": self.backend, "model": self.model}

    async def _complete_once(self, request: ChatRequest) -> Completion:
        """Answer one request (retries included); per-request failures come back as `error`."""
        raise NotImplementedError

    def count_tokens(self, messages: Iterable[Message]) -> int:
        return estimate_message_tokens(messages)

    def notice(self, text: str) -> None:
        """Tell the user something once per teacher (a logging warning, shown on stderr by default)."""
        if text not in self.notices:
            self.notices.append(text)
            logger.warning("labgen: %s", text)

    def _on_loop_change(self) -> None:
        """Drop per-loop resources (HTTP clients, locks) when called from a new event loop."""

    async def _aclose_resources(self) -> None:
        """Release what the backend holds (clients, executors, models)."""

    # ----- the shared entry points -------------------------------------------------------------
    async def complete(self, request: ChatRequest) -> Completion:
        """Answer one request, waiting for a free slot first; records the completion once."""
        slots = self._admission()
        async with nullcontext() if slots is None else slots:  # None: the backend keeps the limit itself
            started = time.perf_counter()
            completion = await self._complete_once(request)
            elapsed = time.perf_counter() - started
        if completion.latency_s == 0.0:
            completion = replace(completion, latency_s=elapsed)
        self.accounting.record(completion)
        return completion

    async def astream(self, requests: Iterable[ChatRequest]) -> AsyncIterator[Completion]:
        """Yield completions as they finish. Keeps a bounded window of tasks, so a long iterable is fine."""
        window = max(2 * self.max_in_flight, 8)
        done: asyncio.Queue[asyncio.Task[Completion]] = asyncio.Queue()
        pending: set[asyncio.Task[Completion]] = set()
        source = iter(requests)
        exhausted = False

        def refill() -> None:
            nonlocal exhausted
            while not exhausted and len(pending) < window:
                try:
                    request = next(source)
                except StopIteration:
                    exhausted = True
                    return
                task = asyncio.ensure_future(self.complete(request))
                pending.add(task)
                task.add_done_callback(done.put_nowait)

        try:
            refill()
            while pending:
                task = await done.get()
                pending.discard(task)
                completion = task.result()  # a teacher-wide failure (TeacherError) propagates
                refill()
                yield completion
        finally:
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)

    def stream(self, requests: Iterable[ChatRequest]) -> Iterator[Completion]:
        """The synchronous face of `astream`: for callers with no event loop of their own."""
        loop = self._private_loop()
        agen = self.astream(requests).__aiter__()
        try:
            while True:
                try:
                    completion = loop.run_until_complete(agen.__anext__())
                except StopAsyncIteration:
                    return
                yield completion
        finally:
            loop.run_until_complete(agen.aclose())

    def run(self, coroutine: Any) -> Any:
        """Run a coroutine on the teacher's private loop (the one `stream` uses); for sync callers."""
        return self._private_loop().run_until_complete(coroutine)

    async def aclose(self) -> None:
        await self._aclose_resources()

    def close(self) -> None:
        """Release clients, threads and models; resources of an event loop other than ours are dropped."""
        loop = self._stream_loop
        if loop is None or loop.is_closed() or self._loop is not loop:
            if self._loop is not None:
                self._on_loop_change()
            asyncio.run(self._aclose_resources())
        else:
            loop.run_until_complete(self._aclose_resources())
        if loop is not None and not loop.is_closed():
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
        self._stream_loop = None
        self._loop = None
        self._semaphore = None

    def __enter__(self) -> BoundedTeacher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> BoundedTeacher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ----- loop bookkeeping -----------------------------------------------------------------
    def _private_loop(self) -> asyncio.AbstractEventLoop:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise TeacherError("stream() and run() cannot be called from inside a running event loop",
                               hint="use `async for c in teacher.astream(requests)` or `await teacher.complete(r)`")
        if self._stream_loop is None or self._stream_loop.is_closed():
            self._stream_loop = asyncio.new_event_loop()
        return self._stream_loop

    def _admission(self) -> Slots | None:
        """What a request waits on for a slot (None: the backend limits its requests in flight itself)."""
        return self._semaphore_for_running_loop()

    def _semaphore_for_running_loop(self) -> Slots:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._semaphore is None:
            if self._loop is not None:
                self._on_loop_change()
            self._loop = loop
            self._semaphore = Slots(self.max_in_flight)
        return self._semaphore
