"""`labgen validate --strict`: InstructLab's yamllint rules as ilab applies them, in every output format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from validate_leaves import skill_text, write_leaf

from labgen.cli import cli
from labgen.taxonomy.options import ValidateOptions
from labgen.taxonomy.walk import load_leaf

LONG = "x" * 130


def _sloppy(version: int | None = 3) -> str:
    """A schema-valid leaf with a trailing space (line 3) and a 139-character line (line 6)."""
    text = skill_text(version=version)
    text = text.replace("task_description: Write a short haiku", "task_description: Write a short haiku ")
    return text.replace("answer: Haiku 0 about rain, calm and brief.", f"answer: Haiku 0 {LONG}")


@pytest.fixture()
def taxonomy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_leaf(tmp_path, "compositional_skills/writing/sloppy", _sloppy())
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return tmp_path


def _lint(report: object) -> list[tuple[str, int | None, str]]:
    return [(p.severity, p.line, p.message.split(":")[0]) for p in report.problems  # type: ignore[attr-defined]
            if p.message.startswith("yamllint ")]


def test_without_strict_the_yaml_style_is_not_checked(tmp_path: Path) -> None:
    report = load_leaf(write_leaf(tmp_path, "compositional_skills/a/b", _sloppy()))
    assert report.valid and _lint(report) == []


def test_strict_reports_trailing_spaces_as_errors_and_long_lines_as_warnings(tmp_path: Path) -> None:
    file = write_leaf(tmp_path, "compositional_skills/a/b", _sloppy())
    report = load_leaf(file, options=ValidateOptions(strict=True))
    assert _lint(report) == [("error", 3, "yamllint trailing-spaces"), ("warning", 6, "yamllint line-length")]
    assert not report.valid
    [long_line] = [p for p in report.problems if "line-length" in p.message]
    assert long_line.col == 121 and "break the line" in long_line.message


def test_strict_leaves_a_clean_file_alone(tmp_path: Path) -> None:
    report = load_leaf(write_leaf(tmp_path, "compositional_skills/a/b", skill_text()),
                       options=ValidateOptions(strict=True))
    assert report.valid and _lint(report) == []


def test_strict_skips_version_1_files_as_ilab_does(tmp_path: Path) -> None:
    report = load_leaf(write_leaf(tmp_path, "compositional_skills/a/b", _sloppy(version=None)),
                       options=ValidateOptions(strict=True))
    assert report.valid and _lint(report) == []


def test_strict_in_text_github_and_json_formats(taxonomy: Path) -> None:
    runner = CliRunner()
    plain = runner.invoke(cli, ["validate", "--skip-documents", "."])
    assert plain.exit_code == 0, plain.output
    text = runner.invoke(cli, ["validate", "--strict", "--skip-documents", "--format", "text", "."])
    assert text.exit_code == 1
    path = "compositional_skills/writing/sloppy/qna.yaml"
    assert f"{path}:3:38: error: yamllint trailing-spaces" in text.output
    assert f"{path}:6:121: warning: yamllint line-length" in text.output
    github = runner.invoke(cli, ["validate", "--strict", "--skip-documents", "--format", "github", "."])
    assert f"::error file={path},line=3,col=38::yamllint trailing-spaces" in github.output
    assert f"::warning file={path},line=6,col=121::yamllint line-length" in github.output
    lines = runner.invoke(cli, ["validate", "--strict", "--skip-documents", "--format", "json", "."]).output
    [record] = [json.loads(line) for line in lines.splitlines() if line.startswith("{")]
    found = {(p["severity"], p["line"], p["col"]) for p in record["problems"] if p["message"].startswith("yamllint ")}
    assert found == {("error", 3, 38), ("warning", 6, 121)} and record["valid"] is False
