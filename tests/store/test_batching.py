"""Coalescer: one turn's submissions in one send, each submitter getting its own answer."""

from __future__ import annotations

import asyncio

from labgen.store.batching import Coalescer


def test_a_turn_is_one_send_and_the_next_turn_another() -> None:
    sent: list[list[str]] = []

    def send(items: list[str]) -> list[str]:
        sent.append(items)
        return [item.upper() for item in items]

    async def run() -> list[str]:
        batches = Coalescer(send)
        first = await asyncio.gather(*(batches.submit(c) for c in "abc"))
        second = await batches.submit("d")
        return [*first, second]

    assert asyncio.run(run()) == ["A", "B", "C", "D"]
    assert sent == [["a", "b", "c"], ["d"]]
