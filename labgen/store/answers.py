"""AnswerStore: teacher answers in one SQLite file (WAL mode), content-addressed by the request.

The key hashes only what the teacher sees: the rendered messages, every sampling parameter (the seed
included) and the teacher's identity. Nothing the teacher does not see (critic thresholds, check code,
the system prompt of the training rows, dedup, mix) enters it, so changing those reuses every answer.
SQLite gives atomic, crash-safe commits (a `kill -9` loses at most the requests still in flight), many
concurrent writers (each process its own connection, waiting on a busy timeout) and rows on disk, not
in memory.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from labgen.errors import OutputError
from labgen.hashing import canonical_json, sha256_text
from labgen.store.batching import Coalescer
from labgen.teachers.base import ChatRequest, Choice, Completion, TokenLogprob

STORE_FORMAT = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    stage TEXT NOT NULL,
    created REAL NOT NULL,
    last_used REAL NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    payload TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS answers_last_used ON answers(last_used);
"""
_TOUCH_AFTER_S = 3600.0  # a hit refreshes last_used at most this often (reads stay reads)
_BATCH = 500  # keys per lookup of get_many (SQLite allows 32766 parameters)
_PAYLOAD = json.JSONEncoder(ensure_ascii=False)  # json.dumps(..., ensure_ascii=False), its encoder made once


def request_key(request: ChatRequest, teacher_identity: dict[str, Any], *, identity_json: str | None = None) -> str:
    """The content address of a request: messages, sampling parameters (seed included), teacher.

    It is the content hash of {"format", "messages", "params", "teacher"}, put together from the request's
    canonical JSON (encoded once per request, however many times its key is asked for) and the teacher's
    (`identity_json`: canonical_json(teacher_identity), for a caller that keys many requests)."""
    if identity_json is None:
        identity_json = canonical_json(teacher_identity)
    # Kept on the request (immutable) with the identity it was made for: the store keys a judge's request
    # and its record names the same key, one hash of the whole prompt, not two.
    known = request.__dict__.get("_store_key")
    if known is not None and known[0] == identity_json:
        return known[1]
    key = sha256_text(f'{{"format":{STORE_FORMAT},{request.canonical_json},"teacher":{identity_json}}}')
    request.__dict__["_store_key"] = (identity_json, key)
    return key


@dataclass(frozen=True)
class StoreStats:
    path: str
    answers: int
    prompt_tokens: int
    completion_tokens: int
    file_bytes: int
    by_stage: dict[str, int]
    by_model: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class AnswerStore:
    """One SQLite file; open it from as many processes and threads as you like (a connection per thread)."""

    def __init__(self, path: Path | str, *, busy_timeout_s: float = 60.0) -> None:
        self.path = Path(path)
        self._busy_timeout_s = busy_timeout_s
        self._conn: sqlite3.Connection | None = None
        self._gets: Coalescer | None = None
        self._puts: Coalescer | None = None
        self._writer: ThreadPoolExecutor | None = None  # the thread of `aput`'s commits, with its own connection
        self._writer_conn = threading.local()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=self._busy_timeout_s, isolation_level=None,
                                   check_same_thread=False)
            _enable_wal(conn, time.monotonic() + self._busy_timeout_s)
            conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a process crash loses no commit
            conn.execute("BEGIN IMMEDIATE")  # waits (busy timeout) for a writer creating it at the same time
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise OutputError(f"cannot open the answer store: {exc}", path=self.path,
                              hint="check the folder is writable, or delete a corrupt store file") from None
        return conn

    def get(self, key: str, request: ChatRequest) -> Completion | None:
        """The stored answer to this request, as a Completion of it; None when not stored."""
        conn = self._connection()
        row = conn.execute("SELECT payload, prompt_tokens, completion_tokens, model, last_used FROM answers "
                           "WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        payload, prompt_tokens, completion_tokens, model, last_used = row
        now = time.time()
        if now - last_used > _TOUCH_AFTER_S:
            conn.execute("UPDATE answers SET last_used = ? WHERE key = ?", (now, key))
        return Completion(request=request, choices=_choices(json.loads(payload)), prompt_tokens=prompt_tokens,
                          completion_tokens=completion_tokens, model=model)

    def get_many(self, keys: list[str], request: ChatRequest) -> dict[str, Completion]:
        """The stored answers of many keys at once (sorted lookups, one `last_used` update per batch), as
        Completions of `request`; keys not stored are absent."""
        return self._lookup({key: request for key in keys})

    def _lookup(self, requests: dict[str, ChatRequest]) -> dict[str, Completion]:
        """get_many with each key's own request."""
        conn = self._connection()
        found: dict[str, Completion] = {}
        ordered = sorted(requests)
        now = time.time()
        for start in range(0, len(ordered), _BATCH):
            batch = ordered[start:start + _BATCH]
            marks = ",".join("?" * len(batch))
            stale = []
            for key, payload, prompt_tokens, completion_tokens, model, last_used in conn.execute(
                    "SELECT key, payload, prompt_tokens, completion_tokens, model, last_used FROM answers "
                    f"WHERE key IN ({marks})", batch):
                found[key] = Completion(request=requests[key], choices=_choices(json.loads(payload)),
                                        prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, model=model)
                if now - last_used > _TOUCH_AFTER_S:
                    stale.append(key)
            if stale:
                conn.execute(f"UPDATE answers SET last_used = ? WHERE key IN ({','.join('?' * len(stale))})",
                             [now, *stale])
        return found

    def put(self, key: str, completion: Completion) -> None:
        """Store a successful answer (one atomic commit); failures are never stored."""
        if completion.ok:
            self._connection().execute(_INSERT, _row(key, completion, time.time()))

    def put_many(self, answers: list[tuple[str, Completion]]) -> None:
        """Store many (key, completion) pairs in one atomic commit (the successful ones)."""
        self._put_rows(self._connection(), answers)

    @staticmethod
    def _put_rows(conn: sqlite3.Connection, answers: list[tuple[str, Completion]]) -> None:
        now = time.time()
        rows = [_row(key, completion, now) for key, completion in answers if completion.ok]
        if not rows:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Many rows per INSERT: executemany steps SQLite once per row, and each step lets go of the GIL
            # and takes it back, which from the writer thread costs the event loop a switch per answer.
            for start in range(0, len(rows), _ROWS_PER_INSERT):
                chunk = rows[start:start + _ROWS_PER_INSERT]
                conn.execute(_insert_of(len(chunk)), [value for row in chunk for value in row])
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # The faces StoredTeacher awaits. The lookups and the writes of one turn of the event loop share one
    # query and one commit (a commit per answer was most of the store's CPU); each awaits its own commit,
    # so an answer is on disk before the request that wrote it returns. The commits run in a thread of the
    # store's own, on a connection of their own: SQLite works there without the GIL (writing the WAL, and
    # the checkpoints that fsync the file), and the event loop went idle for that time when it waited in
    # the commit itself (py-spy: a seventh of the loop's time at 256 requests in flight). A store in
    # another process (labgen.store.remote) answers the same faces over Ray.
    async def aget(self, key: str, request: ChatRequest) -> Completion | None:
        if self._gets is None:
            self._gets = Coalescer(self._lookup_batch)
        return await self._gets.submit((key, request))

    async def aput(self, key: str, completion: Completion) -> None:
        if completion.ok:
            if self._puts is None:
                self._puts = Coalescer(self._put_batch)
            await self._puts.submit((key, completion))

    def _lookup_batch(self, items: list[tuple[str, ChatRequest]]) -> list[Completion | None]:
        found = self._lookup(dict(items))
        out: list[Completion | None] = []
        for key, request in items:  # the same key twice in a turn (requests that differ in stage or tag)
            stored = found.get(key)
            out.append(stored if stored is None or stored.request is request else replace(stored, request=request))
        return out

    def _put_batch(self, answers: list[tuple[str, Completion]]) -> asyncio.Future[list[None]]:
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="labgen-answer-store")
        return asyncio.wrap_future(self._writer.submit(self._write_batch, answers))

    def _write_batch(self, answers: list[tuple[str, Completion]]) -> list[None]:
        """In the writer thread: one commit on its connection (opened there at its first batch)."""
        conn = getattr(self._writer_conn, "conn", None)
        if conn is None:
            conn = self._writer_conn.conn = self._open()
        self._put_rows(conn, answers)
        return [None] * len(answers)

    def stats(self) -> StoreStats:
        conn = self._connection()
        answers, prompt, completion = conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0) "
            "FROM answers").fetchone()
        by_stage = dict(conn.execute("SELECT stage, COUNT(*) FROM answers GROUP BY stage ORDER BY stage"))
        by_model = dict(conn.execute("SELECT model, COUNT(*) FROM answers GROUP BY model ORDER BY model"))
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*") if p.is_file())
        return StoreStats(path=str(self.path), answers=answers, prompt_tokens=prompt, completion_tokens=completion,
                          file_bytes=size, by_stage=by_stage, by_model=by_model)

    def prune(self, *, unused_for_s: float | None = None, model: str | None = None) -> int:
        """Delete answers not used for `unused_for_s` seconds and/or of one model; returns how many went."""
        if unused_for_s is None and model is None:
            raise OutputError("prune needs a condition", hint="give --unused-days or --model")
        clauses, values = [], []
        if unused_for_s is not None:
            clauses.append("last_used < ?")
            values.append(time.time() - unused_for_s)
        if model is not None:
            clauses.append("model = ?")
            values.append(model)
        conn = self._connection()
        removed = conn.execute(f"DELETE FROM answers WHERE {' AND '.join(clauses)}", values).rowcount
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return int(removed)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.submit(self._close_writer).result()
            self._writer.shutdown(wait=True)
            self._writer = None
            self._puts = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _close_writer(self) -> None:
        conn = getattr(self._writer_conn, "conn", None)
        if conn is not None:
            conn.close()
            self._writer_conn.conn = None


_ROWS_PER_INSERT = 64  # 512 parameters: far below SQLite's 32,766 (999 before 3.32)


@functools.lru_cache(maxsize=_ROWS_PER_INSERT)
def _insert_of(rows: int) -> str:
    """INSERT OR IGNORE of `rows` rows in one statement (a conflicting row is skipped, as one by one)."""
    return "INSERT OR IGNORE INTO answers VALUES " + ",".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * rows)


_INSERT = _insert_of(1)


def _enable_wal(conn: sqlite3.Connection, deadline: float) -> None:
    """Switch the file to WAL (kept in the file: later opens find it so). SQLite answers "database is
    locked" at once, without its busy wait, when another process switches a new file at the same moment
    (seen with three processes opening one new store): that one case is tried again until `deadline`."""
    for attempt in itertools.count():
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(min(0.01 * (attempt + 1), 0.2))


def _row(key: str, completion: Completion, now: float) -> tuple[Any, ...]:
    payload = _PAYLOAD.encode([_choice_dict(c) for c in completion.choices])
    return (key, completion.model or "", completion.request.stage, now, now, completion.prompt_tokens,
            completion.completion_tokens, payload)


def _choice_dict(choice: Choice) -> dict[str, Any]:
    out: dict[str, Any] = {"text": choice.text, "finish_reason": choice.finish_reason}
    if choice.logprobs is not None:
        out["logprobs"] = [[t.token, t.logprob, [list(p) for p in t.top]] for t in choice.logprobs]
    return out


def _choices(items: list[dict[str, Any]]) -> tuple[Choice, ...]:
    out = []
    for item in items:
        logprobs = item.get("logprobs")
        out.append(Choice(text=item["text"], finish_reason=item.get("finish_reason"),
                          logprobs=None if logprobs is None else tuple(
                              TokenLogprob(token=t, logprob=lp, top=tuple((a, b) for a, b in top))
                              for t, lp, top in logprobs)))
    return tuple(out)
