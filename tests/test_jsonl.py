"""The one JSONL writer: atomic whole-file writes, appends that survive a torn tail."""

from __future__ import annotations

import pytest

from labgen.errors import OutputError
from labgen.jsonl import (JsonlAppender, read_jsonl, write_json_atomic, write_jsonl_atomic, write_text_atomic,
                          write_texts_atomic)


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


def test_many_files_at_once_each_replaced_whole_one_folder_sync_each(tmp_path, monkeypatch) -> None:
    import labgen.jsonl

    synced = []
    real = labgen.jsonl._fsync_dir
    monkeypatch.setattr(labgen.jsonl, "_fsync_dir", lambda path: synced.append(path) or real(path))
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "1.json").write_text("old\n", encoding="utf-8")
    files = [(tmp_path / "a" / "1.json", "é one\n"), (tmp_path / "a" / "2.json", "two\n"),
             (tmp_path / "b" / "deep" / "3.json", "three\n" * 50_000)]
    write_texts_atomic(files)
    assert [path.read_text(encoding="utf-8") for path, _ in files] == [text for _, text in files]
    assert synced == [tmp_path / "a", tmp_path / "b" / "deep"]  # once per folder, not per file
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["1.json", "2.json"]  # no temporary left


def test_a_file_that_cannot_be_written_keeps_the_old_one_and_leaves_no_temp(tmp_path, monkeypatch) -> None:
    import labgen.jsonl

    path = tmp_path / "u.json"
    write_text_atomic(path, "old\n")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(labgen.jsonl.os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_text_atomic(path, "new\n")
    assert path.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["u.json"]


def test_whole_text_files_get_the_usual_permissions(tmp_path) -> None:
    import os
    import stat

    old = os.umask(0o027)
    try:
        write_text_atomic(tmp_path / "t.json", "{}\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "t.json").stat().st_mode) == 0o640
