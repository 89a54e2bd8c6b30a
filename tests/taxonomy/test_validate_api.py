"""The `validate` library function: PATH kinds, knowledge documents and --changed, against real git."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from validate_leaves import errors, knowledge_text, skill_text, write_leaf

from labgen.errors import DocumentError, GitError, UsageError
from labgen.taxonomy import documents
from labgen.taxonomy.validate import ValidateOptions, validate

NO_DOCS = ValidateOptions(skip_documents=True)


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", "-c", "commit.gpgsign=false",
                           *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _repo(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    _git(root, "init", "--quiet", "--initial-branch=main")


def _commit(root: Path, message: str = "change") -> str:
    _git(root, "add", "--all")
    _git(root, "commit", "--quiet", "-m", message)
    return _git(root, "rev-parse", "HEAD")


def _tree(root: Path) -> None:
    write_leaf(root, "compositional_skills/writing/haiku", skill_text())
    write_leaf(root, "compositional_skills/writing/bad", skill_text(count=4))
    write_leaf(root, "knowledge/space/moon", knowledge_text())


def test_tree_subfolder_and_single_file(tmp_path: Path) -> None:
    _tree(tmp_path)
    reports = validate([tmp_path], options=NO_DOCS)
    assert [r.path.rsplit("/", 4)[-4:] for r in reports] == [
        ["compositional_skills", "writing", "bad", "qna.yaml"],
        ["compositional_skills", "writing", "haiku", "qna.yaml"],
        ["knowledge", "space", "moon", "qna.yaml"]]
    assert [r.valid for r in reports] == [False, True, True]
    sub = validate([tmp_path / "compositional_skills" / "writing"], options=NO_DOCS)
    assert len(sub) == 2 and sub[1].leaf is not None and sub[1].leaf.path == "compositional_skills/writing/haiku"
    single = validate([tmp_path / "knowledge/space/moon/qna.yaml"], options=NO_DOCS)
    assert len(single) == 1 and single[0].leaf is not None and single[0].leaf.path == "knowledge/space/moon"
    # the same leaf named twice is reported once
    assert len(validate([tmp_path, tmp_path / "knowledge/space/moon/qna.yaml"], options=NO_DOCS)) == 3


def test_bad_paths_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        validate([tmp_path / "missing"])
    (tmp_path / "random").mkdir()
    with pytest.raises(UsageError, match="is not a taxonomy"):
        validate([tmp_path / "random"])
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match="not a qna.yaml"):
        validate([tmp_path / "notes.txt"])


def test_empty_taxonomy_gives_no_reports(tmp_path: Path) -> None:
    (tmp_path / "knowledge").mkdir()
    assert validate([tmp_path], options=NO_DOCS) == []


def test_document_errors_become_problems_at_the_document_line(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(tmp_path)
    calls: list[tuple[str, Path, Path | None]] = []

    def unreachable(ref, taxonomy_root, *, cache_dir=None):  # type: ignore[no-untyped-def]
        calls.append((ref.repo, taxonomy_root, cache_dir))
        raise DocumentError("cannot fetch https://example.invalid/docs.git: could not resolve host",
                            hint="check the network")

    monkeypatch.setattr(documents, "resolve_documents", unreachable)
    reports = validate([tmp_path / "knowledge"], options=ValidateOptions(cache_dir=tmp_path / "cache"))
    assert calls == [("https://example.invalid/docs.git", tmp_path, tmp_path / "cache")]
    assert errors(reports[0]) == [(5, "document: cannot fetch https://example.invalid/docs.git: could not "
                                      "resolve host; check the network")]
    calls.clear()
    assert validate([tmp_path / "knowledge"], options=NO_DOCS)[0].valid and calls == []


def test_real_documents_from_a_local_repository(tmp_path: Path) -> None:
    root = tmp_path / "tax"
    _repo(root)
    (root / "docs").mkdir()
    (root / "docs" / "moon.md").write_text("# The Moon\n\nThe Moon orbits the Earth.\n", encoding="utf-8")
    write_leaf(root, "compositional_skills/writing/haiku", skill_text())
    sha = _commit(root, "docs")
    good = knowledge_text(repo=".").replace("0123456789abcdef", sha).replace("- moon.md", "- docs/moon.md")
    write_leaf(root, "knowledge/space/moon", good)
    write_leaf(root, "knowledge/space/nothing", good.replace("docs/moon.md", "docs/none-*.md"))
    write_leaf(root, "knowledge/space/unknown", good.replace(sha, "f" * 40))
    reports = {r.path.split("/")[-2]: r for r in validate([root])}
    assert reports["moon"].valid and reports["haiku"].valid
    for name in ("nothing", "unknown"):
        [(line, message)] = errors(reports[name])
        assert line == 5 and message.startswith("document")
    assert "f" * 40 in errors(reports["unknown"])[0][1]


def test_changed_validates_only_changed_leaves(tmp_path: Path) -> None:
    root = tmp_path / "tax"
    _repo(root)
    write_leaf(root, "compositional_skills/a/same", skill_text())
    write_leaf(root, "compositional_skills/a/edited", skill_text())
    write_leaf(root, "compositional_skills/a/gone", skill_text())
    _commit(root, "base")
    _git(root, "checkout", "--quiet", "-b", "feature")
    write_leaf(root, "compositional_skills/a/edited", skill_text(count=4))  # now broken
    write_leaf(root, "compositional_skills/a/new", skill_text(topic="snow"))
    _git(root, "rm", "--quiet", "-r", "compositional_skills/a/gone")
    _commit(root, "feature work")
    write_leaf(root, "knowledge/space/untracked", knowledge_text())
    reports = validate([root], options=ValidateOptions(skip_documents=True, changed_base="main"))
    assert [r.path.split("/")[-2] for r in reports] == ["edited", "new", "untracked"]
    assert [r.valid for r in reports] == [False, True, True]
    only_new = validate([root / "compositional_skills/a/new/qna.yaml"],
                        options=ValidateOptions(skip_documents=True, changed_base="main"))
    assert len(only_new) == 1
    unchanged = validate([root / "compositional_skills/a/same/qna.yaml"],
                         options=ValidateOptions(skip_documents=True, changed_base="main"))
    assert unchanged == []


def test_changed_outside_git_raises_git_error(tmp_path: Path) -> None:
    _tree(tmp_path)
    with pytest.raises(GitError):
        validate([tmp_path], options=ValidateOptions(skip_documents=True, changed_base="main"))


def test_a_taxonomy_inside_a_folder_named_like_a_branch(tmp_path: Path) -> None:
    root = tmp_path / "knowledge" / "my-taxonomy"
    write_leaf(root, "compositional_skills/writing/haiku", skill_text())
    [report] = validate([root], options=NO_DOCS)
    assert report.valid and report.leaf is not None
    assert report.leaf.path == "compositional_skills/writing/haiku"
    [branch_report] = validate([root / "compositional_skills"], options=NO_DOCS)
    assert branch_report.leaf == report.leaf
