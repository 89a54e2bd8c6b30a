"""The shared base: bounded concurrency, streaming in completion order, accounting exactly once."""

from __future__ import annotations

import asyncio

import pytest

from labgen.errors import TeacherError
from labgen.teachers.base import ChatRequest, Choice, Completion, SamplingParams, Teacher
from labgen.teachers.bounded import BoundedTeacher


class SleepyTeacher(BoundedTeacher):
    """Answers after `delay(request)` seconds; tracks how many run at once."""

    backend = "test"

    def __init__(self, max_in_flight: int, fail_on: int | None = None) -> None:
        super().__init__(max_in_flight=max_in_flight)
        self.running = 0
        self.peak = 0
        self.fail_on = fail_on

    @property
    def model(self) -> str:
        return "sleepy"

    async def _complete_once(self, request: ChatRequest) -> Completion:
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            await asyncio.sleep(request.tag["delay"])
            if request.tag.get("id") == self.fail_on:
                raise TeacherError("the teacher is gone")
        finally:
            self.running -= 1
        return Completion(request=request, choices=(Choice(f"answer {request.tag['id']}", "stop"),),
                          prompt_tokens=3, completion_tokens=2)


def request(i: int, delay: float, stage: str = "s") -> ChatRequest:
    return ChatRequest(({"role": "user", "content": str(i)},), SamplingParams(), stage=stage,
                       tag={"id": i, "delay": delay})


def test_it_is_a_teacher() -> None:
    assert isinstance(SleepyTeacher(2), Teacher)


def test_stream_yields_in_completion_order_and_bounds_concurrency() -> None:
    teacher = SleepyTeacher(max_in_flight=3)
    requests = [request(0, 0.3), request(1, 0.01), request(2, 0.1), request(3, 0.02), request(4, 0.0)]
    order = [c.request.tag["id"] for c in teacher.stream(requests)]
    assert sorted(order) == [0, 1, 2, 3, 4]
    assert order[-1] == 0 and order[0] == 1
    assert teacher.peak == 3


def test_accounting_records_each_completion_once_per_stage() -> None:
    teacher = SleepyTeacher(max_in_flight=4)
    requests = [request(i, 0.0, stage="a" if i % 3 else "b") for i in range(30)]
    assert len(list(teacher.stream(requests))) == 30
    stats = teacher.accounting.as_dict()
    assert stats["stages"]["a"]["requests"] == 20 and stats["stages"]["b"]["requests"] == 10
    assert stats["total"]["requests"] == 30 and stats["total"]["prompt_tokens"] == 90
    assert stats["total"]["completion_tokens"] == 60


def test_stream_consumes_a_lazy_iterable_with_a_bounded_window() -> None:
    teacher = SleepyTeacher(max_in_flight=2)
    pulled = 0

    def generate():  # type: ignore[no-untyped-def]
        nonlocal pulled
        for i in range(100):
            pulled += 1
            yield request(i, 0.0)

    stream = teacher.stream(generate())
    next(stream)
    assert pulled <= 10  # window of 2 * max_in_flight (at least 8), not the whole iterable
    assert len(list(stream)) == 99


def test_complete_from_many_tasks_is_still_bounded() -> None:
    teacher = SleepyTeacher(max_in_flight=2)

    async def main() -> list[Completion]:
        return await asyncio.gather(*(teacher.complete(request(i, 0.02)) for i in range(8)))

    results = asyncio.run(main())
    assert [c.text for c in results] == [f"answer {i}" for i in range(8)]
    assert teacher.peak == 2 and all(c.latency_s > 0 for c in results)
    # A second event loop gets a fresh semaphore and still works.
    assert len(asyncio.run(main())) == 8 and teacher.accounting.total().requests == 16


def test_teacher_wide_error_propagates_out_of_stream() -> None:
    teacher = SleepyTeacher(max_in_flight=2, fail_on=1)
    with pytest.raises(TeacherError, match="the teacher is gone"):
        list(teacher.stream([request(0, 0.0), request(1, 0.0), request(2, 0.5)]))


def test_stream_inside_a_running_loop_says_to_use_astream() -> None:
    teacher = SleepyTeacher(max_in_flight=1)

    async def main() -> list[str]:
        with pytest.raises(TeacherError, match="astream"):
            next(teacher.stream([request(0, 0.0)]))
        return [c.text async for c in teacher.astream([request(0, 0.0), request(1, 0.0)])]

    assert sorted(asyncio.run(main())) == ["answer 0", "answer 1"]
    teacher.close()


def test_slots_serve_waiters_in_order_and_lose_none_to_cancellation() -> None:
    from labgen.teachers.bounded import Slots

    async def scenario() -> tuple[list[int], int]:
        slots = Slots(2)
        order: list[int] = []
        gate = asyncio.Event()

        async def user(i: int) -> None:
            async with slots:
                order.append(i)
                await gate.wait()

        tasks = [asyncio.create_task(user(i)) for i in range(6)]
        await asyncio.sleep(0)
        assert order == [0, 1] and len(slots.waiters) == 4
        tasks[2].cancel()  # a waiter cancelled while waiting takes no slot
        await asyncio.sleep(0)
        tasks[0].cancel()  # a holder cancelled gives its slot back: the next waiter (3) is woken...
        tasks[3].cancel()  # ...and cancelled before it ran: it hands the slot on
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        gate.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        return order, slots.free

    order, free = asyncio.run(scenario())
    assert order == [0, 1, 4, 5]
    assert free == 2  # every slot back
