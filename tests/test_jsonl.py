"""The one JSONL writer: atomic whole-file writes, appends that survive a torn tail."""

from __future__ import annotations

import pytest

from labgen.errors import OutputError
from labgen.jsonl import JsonlAppender, read_jsonl, write_json_atomic, write_jsonl_atomic


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path) -> None:
    path = tmp_path / "a.jsonl"
    assert write_jsonl_atomic(path, [{"a": 1}, {"b": "é"}]) == 2
    assert write_jsonl_atomic(path, [{"c": 3}]) == 1
    assert list(read_jsonl(path)) == [{"c": 3}]
    assert [p.name for p in tmp_path.iterdir()] == ["a.jsonl"]


def test_failed_write_keeps_the_old_file(tmp_path) -> None:
    path = tmp_path / "a.jsonl"
    write_jsonl_atomic(path, [{"old": True}])

    def rows():
        yield {"new": 1}
        raise RuntimeError("writer died")

    with pytest.raises(RuntimeError):
        write_jsonl_atomic(path, rows())
    assert list(read_jsonl(path)) == [{"old": True}]
    assert [p.name for p in tmp_path.iterdir()] == ["a.jsonl"]


def test_appender_repairs_a_torn_tail(tmp_path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"a":1}\n{"b":', encoding="utf-8")
    assert list(read_jsonl(path)) == [{"a": 1}]  # the torn line is skipped by readers
    with JsonlAppender(path) as out:
        out.write({"c": 2})
    assert path.read_text(encoding="utf-8") == '{"a":1}\n{"c":2}\n'


def test_malformed_middle_line_names_file_and_line(tmp_path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"a":1}\nnot json\n{"b":2}\n', encoding="utf-8")
    with pytest.raises(OutputError) as info:
        list(read_jsonl(path))
    assert info.value.line == 2 and "bad.jsonl" in info.value.render()


def test_json_atomic_is_sorted_and_readable(tmp_path) -> None:
    path = tmp_path / "x" / "s.json"
    write_json_atomic(path, {"b": 1, "a": 2})
    assert path.read_text(encoding="utf-8").index('"a"') < path.read_text(encoding="utf-8").index('"b"')


def test_written_files_get_the_usual_permissions(tmp_path) -> None:
    import os
    import stat

    path = tmp_path / "p.jsonl"
    old = os.umask(0o022)
    try:
        write_jsonl_atomic(path, [{"a": 1}])
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
