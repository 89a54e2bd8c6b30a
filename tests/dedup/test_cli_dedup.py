"""`labgen dedup` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from labgen.cli import cli

from .run_builder import make_sample, write_run

LEAF = "compositional_skills/writing/haiku"


def test_dedup_command_prints_a_table_and_writes_dedup_json(tmp_path: Path) -> None:
    rows = [make_sample(LEAF, "Write a haiku about the autumn rain please"),
            make_sample(LEAF, "Write a haiku about the winter rain please", answer="x"),
            make_sample(LEAF, "Describe a sunrise over the desert in three lines")]
    write_run(tmp_path, {LEAF: rows})
    result = CliRunner().invoke(cli, ["dedup", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "removed 1 of 3 samples; kept 2" in result.output
    assert "dedup/near duplicate: 1" in result.output
    assert json.loads((tmp_path / "dedup.json").read_text())["totals"]["removed"] == 1

    strict = CliRunner().invoke(cli, ["dedup", str(tmp_path), "--threshold", "0.9"])
    assert strict.exit_code == 0 and "removed 0 of 2" in strict.output


def test_dedup_command_reports_bad_eval_file_and_threshold(tmp_path: Path) -> None:
    write_run(tmp_path / "out", {LEAF: [make_sample(LEAF, "Write a haiku")]})
    bad = tmp_path / "eval.jsonl"
    bad.write_text('{"text": "ok ok ok ok ok"}\n{oops\n')
    result = CliRunner().invoke(cli, ["dedup", str(tmp_path / "out"), "--decontaminate", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:2:" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["dedup", str(tmp_path / "out"), "--threshold", "1.5"])
    assert result.exit_code == 2 and "threshold" in result.output


def test_dedup_command_on_a_folder_without_samples(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["dedup", str(tmp_path)])
    assert result.exit_code == 1 and "no <leaf>/samples.jsonl" in result.output
    assert list(tmp_path.iterdir()) == []  # nothing written into a folder that is not a run
