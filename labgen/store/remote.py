"""The answer store of a Ray run, seen from its workers: one process (a Ray actor on the head node) holds
the SQLite file and every worker's lookups and writes go to it.

Why not a store per worker on the shared folder: SQLite's WAL mode needs every process that opens the
file on one host (its index is shared memory), and its locks are unreliable over NFS, so a store written
from many nodes can be corrupted. One writer on the head keeps the run's store exactly what a local run
leaves (`labgen curate`, `labgen cache` and a rerun read it as they are) and holds every answer the
moment it arrives: a worker killed mid-run loses only its requests in flight.

A worker's requests that start in the same turn of its event loop (a stage's sibling judges, say) share
one actor call for their lookups and one for their writes.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from labgen.store.answers import AnswerStore
from labgen.store.batching import Coalescer
from labgen.teachers.base import ChatRequest, Completion

_LOOKUP = ChatRequest(messages=(), stage="store")  # answers travel without their request; the asker has it


class AnswerStoreServer:
    """The body of the store actor: an AnswerStore on the head node, asked in batches."""

    def __init__(self, path: str) -> None:
        self.store = AnswerStore(Path(path))

    def get_many(self, keys: list[str]) -> list[Completion | None]:
        found = self.store.get_many(keys, _LOOKUP)
        return [found.get(key) for key in keys]

    def put_many(self, answers: list[tuple[str, Completion]]) -> list[None]:
        self.store.put_many(answers)
        return [None] * len(answers)

    def close(self) -> None:
        self.store.close()


class RemoteAnswers:
    """What StoredTeacher awaits on a Ray worker: `aget`/`aput` answered by the store actor."""

    def __init__(self, actor: Any) -> None:
        self._gets = Coalescer(lambda keys: actor.get_many.remote(keys))
        self._puts = Coalescer(lambda answers: actor.put_many.remote(answers))

    async def aget(self, key: str, request: ChatRequest) -> Completion | None:
        stored = await self._gets.submit(key)
        return None if stored is None else replace(stored, request=request)

    async def aput(self, key: str, completion: Completion) -> None:
        if completion.ok:  # the messages stay here: the store keeps the stage, tokens and choices
            request = ChatRequest(messages=(), params=completion.request.params, stage=completion.request.stage)
            await self._puts.submit((key, replace(completion, request=request)))

    def close(self) -> None:
        """The store is the actor's to close (the head does, after the last leaf)."""
