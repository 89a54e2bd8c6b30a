"""`labgen validate`: the three output formats, exit codes, the installed entry point, lean imports."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from validate_leaves import knowledge_text, skill_text, write_leaf

from labgen.cli import cli

HEAVY = ("llama_cpp", "xllamacpp", "vllm", "langchain_core", "langchain_openai", "torch", "openai")


@pytest.fixture()
def taxonomy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_leaf(tmp_path, "compositional_skills/writing/haiku", skill_text())
    write_leaf(tmp_path, "knowledge/space/moon", knowledge_text(), attribution=None)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return tmp_path


def _break(root: Path) -> None:
    write_leaf(root, "compositional_skills/writing/bad", skill_text().replace("answer: Haiku 2", "answr: Haiku 2"))


def _run(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["validate", *args], env=env)


def test_text_format_and_exit_codes(taxonomy: Path) -> None:
    result = _run(".", "--skip-documents")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "knowledge/space/moon/qna.yaml: warning: no attribution.txt beside qna.yaml; add one naming the "
        "source's title, link, revision, license and creator"]
    assert "2 leaves checked, 0 invalid: 0 errors, 1 warning" in result.stderr
    _break(taxonomy)
    result = _run(".", "--skip-documents")
    assert result.exit_code == 1
    assert ("compositional_skills/writing/bad/qna.yaml:10:5: error: seed_examples[2]: unknown field 'answr'; "
            "remove it or fix its spelling (allowed: answer, context, question)") in result.stdout.splitlines()
    assert "3 leaves checked, 1 invalid: 2 errors, 1 warning" in result.stderr


def test_github_format_explicit_and_automatic(taxonomy: Path) -> None:
    _break(taxonomy)
    explicit = _run(".", "--skip-documents", "--format", "github")
    automatic = _run(".", "--skip-documents", env={"GITHUB_ACTIONS": "true"})
    assert explicit.exit_code == automatic.exit_code == 1
    assert explicit.stdout == automatic.stdout
    lines = explicit.stdout.splitlines()
    assert ("::error file=compositional_skills/writing/bad/qna.yaml,line=9,col=5::seed_examples[2]: missing "
            "required field 'answer'; write the answer") in lines
    assert any(line.startswith("::warning file=knowledge/space/moon/qna.yaml::no attribution.txt") for line in lines)


def test_github_annotations_escape_newlines_and_percent(taxonomy: Path) -> None:
    write_leaf(taxonomy, "compositional_skills/odd,name", "version: 3\ncreated_by: [x\n")
    result = _run("compositional_skills/odd,name/qna.yaml", "--format", "github")
    assert result.exit_code == 1
    [line] = result.stdout.splitlines()
    assert line.startswith("::error file=compositional_skills/odd%2Cname/qna.yaml,line=")
    assert "\n" not in line.split("::", 2)[2]


def test_json_format_one_object_per_leaf(taxonomy: Path) -> None:
    _break(taxonomy)
    result = _run(".", "--skip-documents", "--format", "json")
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["path"], r["kind"], r["version"], r["valid"]) for r in rows] == [
        ("compositional_skills/writing/bad/qna.yaml", "freeform_skill", 3, False),
        ("compositional_skills/writing/haiku/qna.yaml", "freeform_skill", 3, True),
        ("knowledge/space/moon/qna.yaml", "knowledge", 3, True)]
    assert rows[0]["problems"][0] == {"line": 9, "col": 5, "severity": "error",
                                      "message": "seed_examples[2]: missing required field 'answer'; write the answer"}
    assert rows[2]["problems"][0]["severity"] == "warning" and rows[2]["problems"][0]["line"] is None


def test_max_seed_tokens_option(taxonomy: Path) -> None:
    tight = _run(".", "--skip-documents", "--max-seed-tokens", "5")
    assert tight.exit_code == 0 and "over the 5-token budget" in tight.stdout
    assert _run(".", "--skip-documents", "--max-seed-tokens", "0").exit_code == 2


def test_usage_errors_exit_2(taxonomy: Path) -> None:
    missing = _run("nowhere")
    assert missing.exit_code == 2 and "nowhere does not exist" in missing.stderr
    (taxonomy / "plain").mkdir()
    assert _run("plain").exit_code == 2
    assert _run().exit_code == 2  # no PATH
    no_git = _run(".", "--changed", "--base", "main")
    assert no_git.exit_code == 2 and "--changed needs git" in no_git.stderr
    assert "Traceback" not in no_git.output


def test_no_leaves_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "compositional_skills").mkdir()
    monkeypatch.chdir(tmp_path)
    result = _run(".")
    assert result.exit_code == 1 and "no leaves found under ." in result.stderr


def test_broken_yaml_never_tracebacks(taxonomy: Path) -> None:
    write_leaf(taxonomy, "compositional_skills/x/bomb", "a: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
        f"{n}: &{n} [" + ",".join([f"*{p}"] * 10) + "]\n" for p, n in zip("abcdefg", "bcdefgh")))
    write_leaf(taxonomy, "compositional_skills/x/binary", "")
    (taxonomy / "compositional_skills/x/binary/qna.yaml").write_bytes(b"\x00\x01\x02")
    result = _run(".", "--skip-documents")
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "alias bomb" in result.stdout and "is binary" in result.stdout


def _installed_labgen() -> str:
    candidate = Path(sys.executable).with_name("labgen")
    found = str(candidate) if candidate.exists() else shutil.which("labgen")
    if not found:
        pytest.skip("the labgen entry point is not installed in this environment")
    return found


def test_installed_entry_point(taxonomy: Path) -> None:
    _break(taxonomy)
    env = {**os.environ, "GITHUB_ACTIONS": ""}
    done = subprocess.run([_installed_labgen(), "validate", "--skip-documents", "--format", "json", "."],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1, done.stderr
    assert [json.loads(line)["valid"] for line in done.stdout.splitlines()] == [False, True, True]
    assert "Traceback" not in done.stderr


def test_validate_imports_no_heavy_library(taxonomy: Path) -> None:
    code = (
        "import sys, json\n"
        "from labgen.cli import main\n"
        "try:\n"
        "    main(['validate', '--skip-documents', '.'])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", "-c", "commit.gpgsign=false",
                    *args], cwd=cwd, capture_output=True, text=True, check=True)


def test_changed_against_a_base_branch(taxonomy: Path) -> None:
    _git(taxonomy, "init", "--quiet", "--initial-branch=main")
    _git(taxonomy, "add", "--all")
    _git(taxonomy, "commit", "--quiet", "-m", "base")
    nothing = _run(".", "--skip-documents", "--changed")  # default base origin/main falls back to main
    assert nothing.exit_code == 0 and nothing.stdout == ""
    assert "note:" in nothing.stderr and "no leaves changed against origin/main" in nothing.stderr
    _break(taxonomy)
    result = _run(".", "--skip-documents", "--changed", "--base", "main", "--format", "json")
    assert result.exit_code == 1
    assert [json.loads(line)["path"] for line in result.stdout.splitlines()] == [
        "compositional_skills/writing/bad/qna.yaml"]
