"""The one JSONL reader and writer.

Writers never leave a torn line behind: whole files are written to a temporary file and renamed;
appenders write each record as one line and flush it, and readers skip (and report) a final line that
a killed process left incomplete.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from labgen.errors import OutputError


def dumps(row: Any) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"), default=str)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def _atomic_file(path: str | Path) -> Iterator[TextIO]:
    """Yield a handle on a temporary file beside PATH; on success it replaces PATH, on error it goes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with _gone_on_error(tmp):
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual permissions
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    _fsync_dir(path.parent)


@contextlib.contextmanager
def _gone_on_error(tmp: str | Path) -> Iterator[None]:
    """A temporary file is removed when the block writing and renaming it fails."""
    try:
        yield
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write a whole file so readers see either the old content or the new one, never half."""
    write_texts_atomic([(path, text)])


def write_texts_atomic(files: Sequence[tuple[str | Path, str]]) -> None:
    """write_text_atomic of many files: each goes to a temporary file beside it, fsync'ed and renamed over
    it; then each folder is fsync'ed once, for all the renames in it. Plain os calls, not a text stream
    per file: the finished units of a run are written this way from a worker thread, and what it does
    in Python holds the GIL the event loop needs."""
    folders: dict[Path, None] = {}
    for name, text in files:
        path = Path(name)
        if path.parent not in folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            folders[path.parent] = None
        _replace_with(path, text.encode("utf-8"))
    for folder in folders:
        _fsync_dir(folder)


def _replace_with(path: Path, data: bytes) -> None:
    # Named for this process and thread: no other writer uses it, and one a killed writer left is reused.
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o666)  # umask applies
    with _gone_on_error(tmp):
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)


def write_json_atomic(path: str | Path, value: Any) -> None:
    write_text_atomic(path, json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n")


def write_jsonl_atomic(path: str | Path, rows: Iterable[Any]) -> int:
    """Write every row, one per line, atomically. Returns the number of rows."""
    return write_lines_atomic(path, (dumps(row) for row in rows))


def write_lines_atomic(path: str | Path, lines: Iterable[str]) -> int:
    """Write already-serialized JSON lines (no trailing newline each) atomically. Returns the count.

    For writers that splice JSON text they read rather than re-encode it (labgen mix, for speed).
    """
    count = 0
    with _atomic_file(path) as handle:
        for line in lines:
            handle.write(line)
            handle.write("\n")
            count += 1
    return count


class JsonlAppender:
    """Appends rows to a JSONL file, one complete line per write, flushed at once.

    Opening repairs a torn last line left by a killed writer (it is truncated away), so appends
    always start on a line boundary.
    """

    def __init__(self, path: str | Path, *, fsync: bool = False) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self._handle: TextIO | None = None

    def open(self) -> JsonlAppender:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        truncate_torn_tail(self.path)
        self._handle = open(self.path, "a", encoding="utf-8", newline="\n")
        return self

    def write(self, row: Any) -> None:
        if self._handle is None:
            self.open()
        assert self._handle is not None
        self._handle.write(dumps(row) + "\n")
        self._handle.flush()
        if self.fsync:
            os.fsync(self._handle.fileno())

    def close(self) -> None:
        if self._handle is not None:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            self._handle = None

    def __enter__(self) -> JsonlAppender:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()


def truncate_torn_tail(path: Path) -> bool:
    """Cut an incomplete final line (no trailing newline) off a JSONL file. Returns True if it cut."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    if size == 0:
        return False
    with open(path, "rb+") as handle:
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return False
        # Walk back to the last newline.
        block = 65536
        pos = size
        cut = 0
        while pos > 0:
            start = max(0, pos - block)
            handle.seek(start)
            chunk = handle.read(pos - start)
            idx = chunk.rfind(b"\n")
            if idx != -1:
                cut = start + idx + 1
                break
            pos = start
        handle.truncate(cut)
    return True


def read_jsonl(path: str | Path, *, skip_torn_tail: bool = True) -> Iterator[dict[str, Any]]:
    """Yield each row of a JSONL file.

    A malformed line raises OutputError naming the file and line, except an incomplete final line
    (a killed writer's), which is skipped when skip_torn_tail is set.
    """
    for _, row in read_jsonl_numbered(path, skip_torn_tail=skip_torn_tail):
        yield row


def read_jsonl_numbered(path: str | Path, *, skip_torn_tail: bool = True) -> Iterator[tuple[int, dict[str, Any]]]:
    """Like read_jsonl, with each row's 1-based line number (for errors about a row's content)."""
    path = Path(path)
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        raise OutputError("file not found", path=path) from None
    with handle:
        lineno = 0
        for raw in handle:
            lineno += 1
            complete = raw.endswith(b"\n")
            text = raw.strip()
            if not text:
                continue
            try:
                row = json.loads(text.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                if not complete and skip_torn_tail:
                    return
                raise OutputError(f"line is not valid JSON ({exc})", path=path, line=lineno,
                                  hint="each line must be one JSON object") from None
            if not isinstance(row, dict):
                raise OutputError("line is not a JSON object", path=path, line=lineno,
                                  hint="each line must be one JSON object") from None
            yield lineno, row
