"""Coalescer: what many coroutines submit in one turn of the event loop goes out as one call.

The answer store's lookups and writes use it: a local store commits a turn's answers in one SQLite
transaction, a Ray worker sends them to the store actor in one call. Each submitter awaits its own
element of the answer, so an answer is stored (committed, or held by the actor) before the request that
wrote it returns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


class Coalescer:
    """Items submitted in one turn of the event loop go out as one `send(items)`, which returns the list
    of answers (one per item, in order) or an awaitable of it (a Ray ObjectRef); an exception from either
    reaches every submitter of the batch."""

    def __init__(self, send: Callable[[list[Any]], Any]) -> None:
        self.send = send
        self.items: list[Any] = []
        self.futures: list[asyncio.Future[Any]] = []
        self.calls: set[asyncio.Task[None]] = set()

    def submit(self, item: Any) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        if not self.items:
            loop.call_soon(self._flush)
        future: asyncio.Future[Any] = loop.create_future()
        self.items.append(item)
        self.futures.append(future)
        return future

    def _flush(self) -> None:
        items, futures = self.items, self.futures
        self.items, self.futures = [], []
        try:
            reply = self.send(items)
        except Exception as exc:  # a synchronous send failed (the store file, say): every submitter learns it
            _fail(futures, exc)
            return
        if isinstance(reply, list):
            _resolve(futures, reply)
            return
        call = asyncio.ensure_future(self._deliver(reply, futures))
        self.calls.add(call)
        call.add_done_callback(self.calls.discard)

    @staticmethod
    async def _deliver(reply: Any, futures: list[asyncio.Future[Any]]) -> None:
        try:
            answers = await reply
        except asyncio.CancelledError:
            for future in futures:
                future.cancel()
            raise
        except Exception as exc:  # the actor call failed after Ray's retries: every submitter learns it
            _fail(futures, exc)
            return
        _resolve(futures, answers)


def _resolve(futures: list[asyncio.Future[Any]], answers: list[Any]) -> None:
    for future, answer in zip(futures, answers, strict=True):
        if not future.done():
            future.set_result(answer)


def _fail(futures: list[asyncio.Future[Any]], exc: Exception) -> None:
    for future in futures:
        if not future.done():
            future.set_exception(exc)
