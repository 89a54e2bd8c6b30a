"""The teacher-answer store: keys, hits, logprobs, stats, prune, and a real kill -9 of a writing process."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from labgen.hashing import canonical_json, content_hash
from labgen.store import AnswerStore, StoredTeacher, request_key
from labgen.store.answers import STORE_FORMAT
from labgen.teachers.base import (ChatRequest, Choice, Completion, ListFormat, OutputFormat, SamplingParams, TokenLogprob,
                                  params_json)
from tests.fakes import FakeTeacher


def _request(text: str = "hello", seed: int | None = 7, stage: str = "freeform_response") -> ChatRequest:
    return ChatRequest(messages=({"role": "user", "content": text},),
                       params=SamplingParams(temperature=0.7, max_tokens=64, seed=seed), stage=stage)


def test_key_covers_what_the_teacher_sees_and_nothing_else() -> None:
    teacher = {"backend": "fake", "model": "m"}
    base = request_key(_request(), teacher)
    assert request_key(_request(stage="other_stage"), teacher) == base  # the call site is not sent
    assert request_key(ChatRequest(messages=_request().messages, params=_request().params, tag=("u", 1)),
                       teacher) == base
    assert request_key(_request("hello!"), teacher) != base
    assert request_key(_request(seed=8), teacher) != base
    assert request_key(_request(), {"backend": "fake", "model": "n"}) != base


def test_key_is_the_content_hash_of_the_documented_fields() -> None:
    """Stores written before the key was assembled from the request's cached JSON stay readable: the key is
    the content hash of {format, messages, params, teacher}, a pinned example included."""
    teacher = {"backend": "fake", "model": "m", "options": {"b": [1, 2], "a": "é"}}
    request = ChatRequest(messages=({"role": "system", "content": 'Say "ok".'}, {"role": "user", "content": "é\n"}),
                          params=SamplingParams(temperature=0.0, max_tokens=8, stop=("\n",), seed=None))
    expected = content_hash({"format": STORE_FORMAT, "messages": list(request.messages),
                             "params": request.params.as_dict(), "teacher": teacher})
    assert request_key(request, teacher) == expected
    assert request_key(request, teacher) == expected  # the request's JSON is cached; the teacher's is not
    assert request_key(request, {**teacher, "model": "n"}) != expected
    # the key the code before this change gave this request:
    assert request_key(_request(), {"backend": "fake", "model": "m"}) == (
        "f5a379f064117f2e7a420138ceb43a29f9b130428213890427f2cd146544edb0")



@settings(max_examples=300, deadline=None)
@given(temperature=st.floats(0, 2), max_tokens=st.integers(1, 4096), stop=st.lists(st.text(max_size=3), max_size=2),
       seed=st.one_of(st.none(), st.integers(-2**63, 2**63)), n=st.integers(1, 3), logprobs=st.booleans(),
       fmt=st.one_of(st.none(), st.builds(OutputFormat, st.text(max_size=8), st.lists(st.text(max_size=5), max_size=3).map(tuple)),
                     st.builds(ListFormat, st.integers(1, 9), st.lists(st.text(max_size=5), max_size=2).map(tuple))))
def test_the_parameters_json_made_once_per_set_is_their_canonical_json(temperature: float, max_tokens: int,
                                                                        stop: list[str], seed: int | None, n: int,
                                                                        logprobs: bool, fmt: object) -> None:
    """The store key's parameters are encoded once per set and the seed put in: the same text as encoding
    them whole, whatever the values (labels with quotes, a "seed" inside a stop string, no seed)."""
    params = SamplingParams(temperature=temperature, max_tokens=max_tokens, stop=tuple(stop), seed=seed, n=n,
                            logprobs=logprobs, output_format=fmt)  # type: ignore[arg-type]
    for _ in range(2):  # made, then from the cache
        assert params_json(params) == canonical_json(params.as_dict())


async def _write_and_read(store: AnswerStore, count: int) -> list[str | None]:
    request = _request()
    answers = [Completion(request=request, choices=(Choice(f"answer {i}", "stop"),)) for i in range(count)]
    await asyncio.gather(*(store.aput(f"k{i}", answer) for i, answer in enumerate(answers)))
    found = await asyncio.gather(*(store.aget(f"k{i}", request) for i in range(count + 1)))
    return [None if got is None else got.text for got in found]


def test_one_turns_writes_share_a_commit_and_each_is_stored_when_awaited(tmp_path: Path) -> None:
    store = AnswerStore(tmp_path / "answers.sqlite")
    commits: list[int] = []
    original = store._put_rows
    store._put_rows = lambda conn, answers: (commits.append(len(answers)), original(conn, answers))[1]  # type: ignore[method-assign]
    assert asyncio.run(_write_and_read(store, 20)) == [f"answer {i}" for i in range(20)] + [None]
    assert commits == [20]  # twenty writes of one turn: one transaction
    reopened = AnswerStore(tmp_path / "answers.sqlite")
    assert reopened.stats().answers == 20


def test_a_large_turn_goes_in_a_few_statements_and_a_repeated_key_keeps_its_first_answer(tmp_path: Path) -> None:
    """Rows are inserted many per statement (each SQLite step lets go of the GIL and takes it back), with
    what one INSERT OR IGNORE per row would keep."""
    store = AnswerStore(tmp_path / "answers.sqlite")
    request = _request()
    answers = [(f"k{i}", Completion(request=request, choices=(Choice(f"answer {i}", "stop"),), prompt_tokens=i))
               for i in range(150)]
    answers.insert(70, ("k3", Completion(request=request, choices=(Choice("a later answer", "stop"),))))
    conn = store._open()
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    store._put_rows(conn, answers)
    conn.set_trace_callback(None)
    assert sum(1 for sql in statements if sql.startswith("INSERT")) == 3  # 151 rows: 64, 64 and 23
    found = store.get_many([f"k{i}" for i in range(150)], request)
    assert [found[f"k{i}"].text for i in range(150)] == [f"answer {i}" for i in range(150)]
    assert found["k149"].prompt_tokens == 149 and store.stats().answers == 150
    # an answer already stored is kept too, as before
    store._put_rows(conn, [("k5", Completion(request=request, choices=(Choice("again", "stop"),)))])
    assert store.get("k5", request).text == "answer 5"
    conn.close()


def test_the_event_loop_runs_on_while_a_commit_waits_for_the_disk(tmp_path: Path) -> None:
    """A commit (and the checkpoint fsync SQLite may do in it) runs in the store's writer thread: the loop
    that feeds the teacher keeps running; the writer still returns only once its answer is committed."""
    store = AnswerStore(tmp_path / "answers.sqlite")
    disk = threading.Event()
    original = store._put_rows
    threads: list[str] = []

    def slow_disk(conn: sqlite3.Connection, answers: list[tuple[str, Completion]]) -> None:
        threads.append(threading.current_thread().name)
        assert disk.wait(10), "the event loop did not run while the commit waited"
        original(conn, answers)

    store._put_rows = slow_disk  # type: ignore[method-assign]

    async def run() -> str:
        request = _request()
        write = asyncio.ensure_future(store.aput("k", Completion(request=request, choices=(Choice("a", "stop"),))))
        await asyncio.sleep(0.05)  # the loop runs on while the commit is held
        assert not write.done()
        disk.set()
        await write
        stored = await store.aget("k", request)
        return stored.text if stored is not None else "missing"

    assert asyncio.run(run()) == "a"
    assert threads and threads[0] != threading.main_thread().name
    store.close()
    assert AnswerStore(tmp_path / "answers.sqlite").stats().answers == 1


def test_a_failing_batch_write_reaches_every_writer(tmp_path: Path) -> None:
    store = AnswerStore(tmp_path / "answers.sqlite")

    def broken(conn: sqlite3.Connection, answers: list[tuple[str, Completion]]) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    store._put_rows = broken  # type: ignore[method-assign]

    async def write() -> list[BaseException | None]:
        request = _request()
        return await asyncio.gather(*(store.aput(f"k{i}", Completion(request=request, choices=(Choice("a", "stop"),)))
                                      for i in range(3)), return_exceptions=True)

    outcomes = asyncio.run(write())
    assert [type(outcome) for outcome in outcomes] == [sqlite3.OperationalError] * 3


def test_rerun_spends_no_requests(tmp_path: Path) -> None:
    fake = FakeTeacher(default="an answer")
    teacher = StoredTeacher(fake, AnswerStore(tmp_path / "answers.sqlite"))
    requests = [_request(f"q{i}") for i in range(5)]
    first = [c.text for c in teacher.stream(requests)]
    assert len(fake.history) == 5 and teacher.misses == 5
    again = StoredTeacher(FakeTeacher(default="never asked"), AnswerStore(tmp_path / "answers.sqlite"))
    second = sorted(c.text for c in again.stream(requests))
    assert second == sorted(first) and again.hits == 5 and again.misses == 0
    assert again.accounting.total().requests == 0
    again.close()
    teacher.close()


def test_failures_and_unseeded_requests_are_not_stored(tmp_path: Path) -> None:
    from tests.fakes import FakeFailure

    store = AnswerStore(tmp_path / "answers.sqlite")
    teacher = StoredTeacher(FakeTeacher(keyed={"bad": FakeFailure()}, default="ok"), store)
    asyncio.run(teacher.complete(_request("bad")))
    asyncio.run(teacher.complete(_request("free", seed=None)))
    assert store.stats().answers == 0
    teacher.close()


def test_logprobs_round_trip(tmp_path: Path) -> None:
    store = AnswerStore(tmp_path / "answers.sqlite")
    request = _request()
    lp = (TokenLogprob("Score", -0.1, (("Score", -0.1), ("X", -3.0))), TokenLogprob(": 3", -0.5))
    store.put("k", Completion(request=request, choices=(Choice("Score: 3", "stop", lp),), prompt_tokens=3,
                              completion_tokens=2, model="m"))
    got = store.get("k", request)
    assert got is not None and got.choices[0].logprobs == lp and got.completion_tokens == 2
    assert store.get("missing", request) is None


def test_stats_and_prune(tmp_path: Path) -> None:
    store = AnswerStore(tmp_path / "answers.sqlite")
    for i, model in enumerate(["a", "a", "b"]):
        store.put(f"k{i}", Completion(request=_request(), choices=(Choice("t", "stop"),), prompt_tokens=10,
                                      completion_tokens=1, model=model))
    stats = store.stats()
    assert stats.answers == 3 and stats.prompt_tokens == 30 and stats.by_model == {"a": 2, "b": 1}
    assert store.prune(model="b") == 1
    assert store.prune(unused_for_s=3600) == 0  # all used just now
    assert store.stats().answers == 2


WRITER = """
import sys
from labgen.store import AnswerStore
from labgen.teachers.base import ChatRequest, Choice, Completion
store = AnswerStore(sys.argv[1])
request = ChatRequest(messages=({"role": "user", "content": "x"},))
i = 0
while True:
    store.put(f"{sys.argv[2]}-{i}", Completion(request=request, choices=(Choice("answer " + str(i) * 50, "stop"),),
                                         model="m"))
    i += 1
    if i == 200:
        print("ready", flush=True)
"""


def test_kill_9_loses_no_committed_answer(tmp_path: Path) -> None:
    """Two writer processes at once; both are killed with SIGKILL mid-stream. The store opens, every row
    is whole, and writing goes on."""
    path = tmp_path / "answers.sqlite"
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), name], stdout=subprocess.PIPE, env=env)
               for name in ("a", "b")]
    try:
        for writer in writers:
            assert writer.stdout is not None and writer.stdout.readline().strip() == b"ready"
        time.sleep(0.2)
    finally:  # a writer that failed must not leave the other writing forever
        for writer in writers:
            if writer.poll() is None:
                os.kill(writer.pid, signal.SIGKILL)
            writer.wait()
    assert all(writer.returncode == -signal.SIGKILL for writer in writers)
    store = AnswerStore(path)
    stats = store.stats()
    assert stats.answers >= 400
    assert store._connection().execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    request = _request()
    for name in ("a", "b"):
        got = store.get(f"{name}-199", request)
        assert got is not None and got.text == "answer " + "199" * 50
    store.put("after", Completion(request=request, choices=(Choice("t", "stop"),)))
    assert store.stats().answers == stats.answers + 1


def test_one_turns_lookups_of_one_key_each_get_their_own_request(tmp_path: Path) -> None:
    store = AnswerStore(tmp_path / "answers.sqlite")
    first = _request(stage="judge_pair")
    store.put("k", Completion(request=first, choices=(Choice("stored", "stop"),)))
    twins = [ChatRequest(messages=first.messages, params=first.params, stage=f"s{i}", tag=i) for i in range(3)]

    async def look() -> list[Completion | None]:
        return await asyncio.gather(*(store.aget("k", request) for request in twins))

    found = asyncio.run(look())
    assert [c.text if c else None for c in found] == ["stored"] * 3
    assert [c.request.tag if c else None for c in found] == [0, 1, 2]


def test_switching_a_new_store_to_wal_waits_out_another_process_doing_the_same() -> None:
    """SQLite answers "database is locked" at once (no busy wait) when two processes switch one new file
    to WAL together; that answer is tried again until the busy timeout, any other error is raised."""
    from labgen.store.answers import _enable_wal

    class Connection:
        def __init__(self, errors: list[str]) -> None:
            self.errors, self.calls = errors, 0

        def execute(self, sql: str) -> None:
            self.calls += 1
            if self.errors:
                raise sqlite3.OperationalError(self.errors.pop(0))

    locked_twice = Connection(["database is locked", "database is locked"])
    _enable_wal(locked_twice, time.monotonic() + 5)  # type: ignore[arg-type]
    assert locked_twice.calls == 3
    other = Connection(["disk I/O error"])
    try:
        _enable_wal(other, time.monotonic() + 5)  # type: ignore[arg-type]
    except sqlite3.OperationalError as exc:
        assert "disk I/O" in str(exc) and other.calls == 1
    else:
        raise AssertionError("a disk error must not be retried")
    always = Connection(["database is locked"] * 1000)
    try:
        _enable_wal(always, time.monotonic() + 0.05)  # type: ignore[arg-type]
    except sqlite3.OperationalError:
        assert 1 < always.calls < 1000  # tried again, then gave up at the deadline
    else:
        raise AssertionError("a store locked past the deadline must be an error")


OPENER = """
import sys
from labgen.store import AnswerStore
print(AnswerStore(sys.argv[1]).stats().answers)
"""


def test_processes_opening_one_new_store_at_once_all_open_it(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    for round_ in range(8):
        path = tmp_path / f"answers-{round_}.sqlite"
        openers = [subprocess.Popen([sys.executable, "-c", OPENER, str(path)], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env=env) for _ in range(3)]
        outcomes = [opener.communicate(timeout=60) for opener in openers]
        assert [out.strip() for out, _ in outcomes] == [b"0"] * 3, [err[-300:] for _, err in outcomes]
