"""`labgen critique` with --no-teacher and with a fake teacher injected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from labgen.cli import cli
from labgen.critic.critique import critique_file
from labgen.teachers.base import ChatRequest
from tests.critic.fake_teacher import FakeJudgeTeacher

CONTEXT = "The Eiffel Tower was completed in 1889 for the World's Fair in Paris. It is 330 metres tall."
ROWS = [
    {"id": "a", "context": CONTEXT, "question": "When was the Eiffel Tower completed?",
     "answer": "It was completed in 1889, for the World's Fair in Paris.", "extra": [1, 2]},
    {"id": "b", "context": CONTEXT, "question": "Who designed the Eiffel Tower?",
     "answer": "It was designed in 1884 by Maurice Koechlin and Emile Nouguier."},
    {"id": "c", "messages": [{"role": "system", "content": "Be brief."},
                             {"role": "user", "content": "Name a primary colour."},
                             {"role": "assistant", "content": "Red is a primary colour."}]},
]


def write_rows(path: Path, rows: list[dict[str, object]], blank_line: bool = False) -> Path:
    lines = [json.dumps(r) for r in rows]
    if blank_line:
        lines.insert(1, "")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_out(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_no_teacher_keeps_every_key_and_adds_the_critic(tmp_path: Path) -> None:
    src = write_rows(tmp_path / "in.jsonl", ROWS)
    result = CliRunner().invoke(cli, ["critique", str(src), "--out", str(tmp_path / "out.jsonl"), "--no-teacher"])
    assert result.exit_code == 0, result.output
    out = read_out(tmp_path / "out.jsonl")
    assert [r["id"] for r in out] == ["a", "b", "c"]
    assert out[0]["extra"] == [1, 2] and out[2]["messages"] == ROWS[2]["messages"]
    for row in out:
        assert 0.0 <= row["critic"]["score"] <= 1.0
        for verdict in row["critic"]["verdicts"].values():
            assert set(verdict) == {"pass", "score", "reason", "confidence"}
    assert out[0]["critic"]["score"] > 0.5 > out[1]["critic"]["score"]
    assert not out[1]["critic"]["verdicts"]["lexical_support"]["pass"]
    assert "lexical_support" not in out[2]["critic"]["verdicts"]
    assert "3 rows" in result.output and "lexical_support" in result.output


def fake_reply(request: ChatRequest) -> str:
    """Faithfulness says NO for the Koechlin answer; everything else passes."""
    prompt = request.messages[-1]["content"]
    answer_part = prompt[prompt.rfind("Now"):]
    if request.stage.endswith("judge_pair"):
        return "Reason: correct.\n**Score:** 3"
    if request.stage.endswith("judge_faithfulness") and "Koechlin" in answer_part:
        return "Reason: the context never names the designers.\nVerdict: NO"
    return "Reason: fine.\nVerdict: YES\nConfidence: 90%"


def test_fake_teacher_judgments_join_the_verdicts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import labgen.cli.critique_cmd as critique_cmd

    teacher = FakeJudgeTeacher(fake_reply)
    monkeypatch.setattr(critique_cmd, "build_teacher", lambda kwargs: teacher)
    src = write_rows(tmp_path / "in.jsonl", ROWS)
    result = CliRunner().invoke(cli, ["critique", str(src), "--out", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 0, result.output
    out = read_out(tmp_path / "out.jsonl")
    stages = sorted(r.stage for r in teacher.history)
    # Rows a and b have context: 5 judges each; the messages row has none: 3 judges.
    assert len(stages) == 13 and stages.count("critique/judge_faithfulness") == 2
    assert teacher.closed
    first, second, third = (row["critic"]["verdicts"] for row in out)
    assert first["faithfulness"]["pass"] and first["pair_quality"]["reason"].startswith("rated 3 of 3")
    assert not second["faithfulness"]["pass"] and "designers" in second["faithfulness"]["reason"]
    assert set(third) >= {"standalone", "pair_quality", "safety"} and "faithfulness" not in third
    # The messages row's question reached the judges.
    assert any("Name a primary colour." in r.messages[-1]["content"] for r in teacher.history)


def test_malformed_row_is_an_error_at_file_and_line(tmp_path: Path) -> None:
    src = write_rows(tmp_path / "in.jsonl", [ROWS[0], {"id": "no fields"}], blank_line=True)
    result = CliRunner().invoke(cli, ["critique", str(src), "--out", str(tmp_path / "out.jsonl"), "--no-teacher"])
    assert result.exit_code != 0
    assert f"{src}:3:" in result.output and "no question and answer" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out.jsonl").exists()


def test_invalid_json_is_an_error_at_file_and_line(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(ROWS[0]) + "\n{not json\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["critique", str(src), "--out", str(tmp_path / "o.jsonl"), "--no-teacher"])
    assert result.exit_code != 0 and f"{src}:2:" in result.output


def test_unknown_language_is_refused_before_work(tmp_path: Path) -> None:
    src = write_rows(tmp_path / "in.jsonl", ROWS)
    result = CliRunner().invoke(cli, ["critique", str(src), "--out", str(tmp_path / "o.jsonl"), "--no-teacher",
                                      "--language", "xx"])
    assert result.exit_code == 2 and "language" in result.output


def test_blocklist_file_and_library_summary(tmp_path: Path) -> None:
    src = write_rows(tmp_path / "in.jsonl", ROWS)
    blocklist = tmp_path / "block.txt"
    blocklist.write_text("# banned\nprimary colour\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["critique", str(src), "--out", str(tmp_path / "o.jsonl"), "--no-teacher",
                                      "--blocklist", str(blocklist)])
    assert result.exit_code == 0, result.output
    assert not read_out(tmp_path / "o.jsonl")[2]["critic"]["verdicts"]["blocklist"]["pass"]
    summary = critique_file(src, tmp_path / "lib.jsonl")
    assert summary.rows == 3 and summary.failures["lexical_support"] == 1 and summary.kept == 2


def test_installed_entry_point_runs_critique(tmp_path: Path) -> None:
    import subprocess
    import sys

    src = write_rows(tmp_path / "in.jsonl", ROWS[:2])
    out = tmp_path / "out.jsonl"
    code = "from labgen.cli import main; main()"
    done = subprocess.run([sys.executable, "-c", code, "critique", str(src), "--out", str(out), "--no-teacher"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "2 rows" in done.stdout and len(read_out(out)) == 2
