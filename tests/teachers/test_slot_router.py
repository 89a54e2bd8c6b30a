"""The slot router on its own (no model): which waiting request each free llama.cpp slot gets."""

from __future__ import annotations

import asyncio
import os.path

from hypothesis import given
from hypothesis import strategies as st

from labgen.teachers.slot_router import SlotRouter, prompt_key, shared_prefix

PREFIX = "rubric and the leaf's seed examples " * 40  # far longer than duplicate_chars


@given(st.text(alphabet="ab\x1e", max_size=40), st.text(alphabet="ab\x1e", max_size=40))
def test_shared_prefix_is_the_longest_common_start(a: str, b: str) -> None:
    assert shared_prefix(a, b) == len(os.path.commonprefix([a, b]))


def test_prompt_key_keeps_message_boundaries() -> None:
    one = prompt_key([{"role": "user", "content": "ab"}, {"role": "user", "content": "c"}])
    other = prompt_key([{"role": "user", "content": "a"}, {"role": "user", "content": "bc"}])
    assert one != other and one.startswith("\x1euser\x1fab")


async def _take(router: SlotRouter, key: str, log: list[tuple[str, int]]) -> int:
    slot = await router.acquire(key)
    log.append((key[-2:], slot))
    return slot


def test_siblings_wait_for_the_slot_evaluating_their_prefix_and_others_use_the_free_slots() -> None:
    async def scenario() -> tuple[list[tuple[str, int]], int]:
        router = SlotRouter(3)
        log: list[tuple[str, int]] = []
        siblings = [asyncio.create_task(_take(router, PREFIX + f"s{i}", log)) for i in range(3)]
        others = [asyncio.create_task(_take(router, f"unrelated prompt x{i}", log)) for i in range(2)]
        await asyncio.sleep(0)
        started = list(log)
        first = next(slot for key, slot in started if key == "s0")
        router.release(first)  # the first sibling has been answered: its slot holds the prefix now
        await asyncio.sleep(0)
        return started + log[len(started):], first

    log, first = asyncio.run(scenario())
    started = log[:3]
    assert [key for key, _ in started] == ["s0", "x0", "x1"]  # one sibling, and the unrelated prompts
    assert len({slot for _, slot in started}) == 3
    assert log[3] == ("s1", first)  # the next sibling reuses the slot that evaluated the prefix


def test_a_short_duplicate_is_run_at_once_on_a_free_slot() -> None:
    async def scenario() -> list[int]:
        router = SlotRouter(2, duplicate_chars=64)
        short = "short shared start "  # under 64 characters
        return [await router.acquire(short + "a"), await router.acquire(short + "b")]

    assert sorted(asyncio.run(scenario())) == [0, 1]


def test_with_every_slot_free_the_best_request_is_taken_whatever_it_costs() -> None:
    async def scenario() -> int:
        router = SlotRouter(2)
        slot = await router.acquire(PREFIX + "a")
        router.release(slot)
        other = await router.acquire(PREFIX + "b")  # the slot holding the prefix is free: it is chosen
        await router.acquire("something else")
        return other - slot

    assert asyncio.run(scenario()) == 0


def test_a_cancelled_wait_leaves_no_trace_and_a_cancelled_holder_frees_its_slot() -> None:
    async def scenario() -> tuple[int, int]:
        router = SlotRouter(1)
        held = await router.acquire("a")
        waiter = asyncio.create_task(router.acquire("b"))
        await asyncio.sleep(0)
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
        waiting_after_cancel = router.waiting
        router.release(held)
        return waiting_after_cancel, await asyncio.wait_for(router.acquire("c"), 1)

    assert asyncio.run(scenario()) == (0, 0)
