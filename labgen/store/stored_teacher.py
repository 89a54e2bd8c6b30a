"""StoredTeacher: a teacher that answers from the AnswerStore first and asks the real teacher only on a miss.

It speaks the Teacher protocol, so the runner does not know it is there. Its `accounting` is the real
teacher's, so run.json counts the requests and tokens actually spent; `hits` and `misses` say how many
answers came from the store. Requests without a seed at a temperature above zero are not repeatable,
so they go to the teacher and are not stored.
"""

from __future__ import annotations

from typing import Any

from labgen.hashing import canonical_json
from labgen.store.answers import AnswerStore, request_key
from labgen.teachers.base import ChatRequest, Completion, Teacher
from labgen.teachers.bounded import BoundedTeacher


class StoredTeacher(BoundedTeacher):
    def __init__(self, teacher: Teacher, store: AnswerStore | Any, *, slot_until_stored: bool = False) -> None:
        """`store`: an AnswerStore, or a Ray worker's RemoteAnswers. `slot_until_stored`: a request keeps one
        of max_in_flight slots until its answer is stored, so answers still on their way to a remote store
        count as in flight (a worker killed at any moment loses at most max_in_flight answers). Off for a
        local store, which writes in the same step, and whose teacher may want more requests waiting than
        in flight (the embedded one routes them to the slot holding their prefix)."""
        super().__init__(max_in_flight=teacher.max_in_flight)
        self.slot_until_stored = slot_until_stored
        self.teacher = teacher
        self.store = store
        self.backend = teacher.backend
        self.accounting = teacher.accounting
        self.hits = 0
        self.misses = 0
        self._identity = teacher.identity()
        self._identity_json = canonical_json(self._identity)

    @property
    def model(self) -> str:
        return self.teacher.model

    def identity(self) -> dict[str, Any]:
        return self._identity

    def count_tokens(self, messages: Any) -> int:
        return self.teacher.count_tokens(messages)

    def __getattr__(self, name: str) -> Any:  # context_window, n_ctx... of the real teacher
        if name == "teacher":
            raise AttributeError(name)
        return getattr(self.teacher, name)

    async def complete(self, request: ChatRequest) -> Completion:
        repeatable = request.params.seed is not None or request.params.temperature == 0
        key = request_key(request, self._identity, identity_json=self._identity_json) if repeatable else None
        if key is not None:
            stored = await self.store.aget(key, request)
            if stored is not None:
                self.hits += 1
                return stored
        self.misses += 1
        if not self.slot_until_stored:
            return await self._ask(key, request)
        async with self._semaphore_for_running_loop():
            return await self._ask(key, request)

    async def _ask(self, key: str | None, request: ChatRequest) -> Completion:
        completion = await self.teacher.complete(request)
        if key is not None:
            await self.store.aput(key, completion)
        return completion

    async def aclose(self) -> None:
        await self.teacher.aclose()

    def close(self) -> None:
        super().close()  # our own stream loop, if stream() was used
        self.teacher.close()
        self.store.close()
