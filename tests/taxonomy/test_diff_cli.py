"""`labgen diff` through click's CliRunner and the installed entry point: formats, notes, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import git
import pytest
from click.testing import CliRunner
from gitrepo import commit_all, init_repo, write_leaf

from labgen.cli import cli

HAIKU = "compositional_skills/writing/haiku"
LIMERICK = "compositional_skills/writing/limerick"
ODE = "compositional_skills/writing/ode"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A feature branch with one modified, one renamed and one untracked leaf against main."""
    repo = init_repo(tmp_path / "tax")
    top = Path(repo.working_tree_dir)
    write_leaf(top, HAIKU)
    write_leaf(top, LIMERICK)
    commit_all(repo, "initial")
    repo.git.checkout("-b", "feature")
    write_leaf(top, HAIKU, description="edited haiku")
    (top / "compositional_skills/poetry").mkdir()
    repo.git.mv(LIMERICK, "compositional_skills/poetry/limerick")
    write_leaf(top, ODE)
    return top


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        return CliRunner()  # click >= 8.2 keeps stderr apart


def test_text_format_lines_and_note_on_stderr(root: Path) -> None:
    result = _runner().invoke(cli, ["diff", str(root)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "renamed\tcompositional_skills/writing/limerick -> compositional_skills/poetry/limerick",
        f"modified\t{HAIKU}",
        f"untracked\t{ODE}",
    ]
    assert "origin/main not found; using main" in result.stderr
    assert "origin/main" not in result.stdout


def test_text_lines_are_sorted_by_path(root: Path) -> None:
    result = _runner().invoke(cli, ["diff", "--base", "main", str(root)])
    paths = [line.split("\t")[1].split(" -> ")[-1] for line in result.stdout.splitlines()]
    assert paths == sorted(paths) == ["compositional_skills/poetry/limerick", HAIKU, ODE]


def test_json_format_one_object_per_line(root: Path) -> None:
    result = _runner().invoke(cli, ["diff", "--base", "main", "--format", "json", str(root)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows == [
        {"path": "compositional_skills/poetry/limerick", "status": "renamed", "old_path": LIMERICK},
        {"path": HAIKU, "status": "modified"},
        {"path": ODE, "status": "untracked"},
    ]
    assert result.stderr == ""


def test_nothing_changed_exits_zero_with_no_output(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "quiet")
    write_leaf(Path(repo.working_tree_dir), HAIKU)
    commit_all(repo, "initial")
    result = _runner().invoke(cli, ["diff", "--base", "main", str(tmp_path / "quiet")])
    assert result.exit_code == 0
    assert result.stdout == ""


def test_unknown_base_exits_one_with_a_clean_message(root: Path) -> None:
    result = _runner().invoke(cli, ["diff", "--base", "origin/nope", str(root)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert "origin/nope" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_not_a_repository_exits_one_but_base_empty_lists_all(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    write_leaf(plain, HAIKU)
    result = _runner().invoke(cli, ["diff", str(plain)])
    assert result.exit_code == 1
    assert "not inside a git repository" in result.stderr
    result = _runner().invoke(cli, ["diff", "--base", "empty", "--format", "json", str(plain)])
    assert result.exit_code == 0
    assert [json.loads(line) for line in result.stdout.splitlines()] == [{"path": HAIKU, "status": "added"}]


@pytest.mark.parametrize("args", [["diff"], ["diff", "/no/such/taxonomy"], ["diff", "--format", "yaml", "."]])
def test_usage_errors_exit_two(args: list[str]) -> None:
    assert _runner().invoke(cli, args).exit_code == 2


def test_installed_entry_point(root: Path) -> None:
    repo = git.Repo(root)
    repo.git.add("--all")
    script = Path(sys.executable).parent / "labgen"
    command = [str(script)] if script.exists() else [sys.executable, "-c", "from labgen.cli import main; main()"]
    out = subprocess.run([*command, "diff", "--base", "main", "--format", "json", str(root)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    statuses = {json.loads(line)["path"]: json.loads(line)["status"] for line in out.stdout.splitlines()}
    assert statuses == {"compositional_skills/poetry/limerick": "renamed", HAIKU: "modified", ODE: "added"}
