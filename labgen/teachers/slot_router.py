"""Which llama.cpp slot answers a request: the one whose cached prompt shares the longest start with it.

Every slot of llama.cpp's server keeps the KV cache of its last prompt, and a prefix evaluated in one
slot is of no use to another. Left to itself the server starts a leaf's sibling requests (five judge
prompts that differ only in their last lines) on four slots at once, so each slot evaluates the same
leaf-constant prefix; on a CPU, prompt evaluation is most of a run's time. The router keeps requests
in a queue in front of the slots and hands a free slot the waiting request that reuses most of what
the slot holds, but never one whose prefix another slot already holds (or is evaluating right now):
that request waits for the slot that has it, and the first request of a prefix group evaluates the
prefix before its siblings start. Costs are counted in characters of the rendered messages, which
track tokens closely enough to choose by.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# Evaluating again a prefix that another slot holds is worth it only when it is this short: a token of
# prompt costs about as much CPU as a generated token, and waiting for the other slot costs nothing
# but a little decoding overlap (measured in bench/embedded_speed.py).
DEFAULT_DUPLICATE_CHARS = 256


def prompt_key(messages: Iterable[dict[str, Any]]) -> str:
    """The text a request's prompt starts with, message by message, as the slots compare it."""
    return "".join(f"\x1e{m.get('role', '')}\x1f{m.get('content', '')}" for m in messages)


def shared_prefix(a: str, b: str) -> int:
    """Length of the longest common start of two strings (binary search over C-level comparisons)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


@dataclass
class _Waiting:
    key: str
    order: int
    future: asyncio.Future[int]


@dataclass
class _Slot:
    held: str = ""  # the prompt its cache holds once its current request has been evaluated
    busy: bool = False


@dataclass
class SlotRouter:
    """A queue in front of `slots` llama.cpp slots (asyncio; one event loop)."""

    slots: int
    duplicate_chars: int = DEFAULT_DUPLICATE_CHARS
    _slots: list[_Slot] = field(default_factory=list)
    _waiting: list[_Waiting] = field(default_factory=list)
    _counter: int = 0

    def __post_init__(self) -> None:
        self._slots = [_Slot() for _ in range(max(1, self.slots))]

    async def acquire(self, key: str) -> int:
        """Wait for a slot chosen for this prompt; the caller must `release` it when answered."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._counter += 1
        self._waiting.append(_Waiting(key, self._counter, future))
        self._dispatch()
        try:
            return await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release(future.result())
            else:
                self._waiting = [w for w in self._waiting if w.future is not future]
            raise

    def release(self, slot: int) -> None:
        self._slots[slot].busy = False
        self._dispatch()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def _dispatch(self) -> None:
        while self._waiting:
            choice = self._best_assignment()
            if choice is None:
                return
            slot, waiting = choice
            self._waiting.remove(waiting)
            self._slots[slot].busy = True
            self._slots[slot].held = waiting.key
            waiting.future.set_result(slot)

    def _best_assignment(self) -> tuple[int, _Waiting] | None:
        """The (free slot, waiting request) pair that reuses most, among those that evaluate again no
        more than `duplicate_chars` of a prefix some other slot holds; None to leave free slots idle.

        When every slot is free nothing can be waited for, so the best pair is taken whatever it costs.
        """
        free = [i for i, slot in enumerate(self._slots) if not slot.busy]
        if not free:
            return None
        all_free = len(free) == len(self._slots)
        best: tuple[tuple[int, int], int, _Waiting] | None = None
        for waiting in self._waiting:
            shared = [shared_prefix(waiting.key, slot.held) for slot in self._slots]
            held_elsewhere = max(shared)
            for index in free:
                again = held_elsewhere - shared[index]
                if again > self.duplicate_chars and not all_free:
                    continue
                rank = (shared[index] - again, -waiting.order)
                if best is None or rank > best[0]:
                    best = (rank, index, waiting)
        return None if best is None else (best[1], best[2])
