"""changed_leaves against real temporary git repositories: every kind of change, subfolder roots, bases."""

from __future__ import annotations

import shutil
from pathlib import Path

import git
import pytest
from gitrepo import clone, commit_all, init_repo, write_file, write_leaf

from labgen.errors import GitError
from labgen.taxonomy.diff import DiffResult, LeafChange, changed_leaves, taxonomy_commit

HAIKU = "compositional_skills/writing/haiku"
LIMERICK = "compositional_skills/writing/limerick"
MATH = "foundational_skills/math/arithmetic"
PHOENIX = "knowledge/astronomy/phoenix"


@pytest.fixture
def repo(tmp_path: Path) -> git.Repo:
    """A repository whose main holds four leaves, checked out on a feature branch."""
    repo = init_repo(tmp_path / "tax")
    root = Path(repo.working_tree_dir)
    for leaf in (HAIKU, LIMERICK, MATH):
        write_leaf(root, leaf)
    write_leaf(root, PHOENIX, attribution=True)
    write_file(root, "README.md", "taxonomy\n")
    commit_all(repo, "initial taxonomy")
    repo.git.checkout("-b", "feature")
    return repo


def _root(repo: git.Repo) -> Path:
    return Path(repo.working_tree_dir)


def _statuses(result: DiffResult) -> dict[str, str]:
    return {change.path: change.status for change in result.changes}


def test_nothing_changed_gives_no_changes(repo: git.Repo) -> None:
    result = changed_leaves(_root(repo), base="main")
    assert result.changes == ()
    assert result.base == "main"
    assert result.merge_base == repo.head.commit.hexsha


def test_committed_new_and_modified_leaves_on_a_branch(repo: git.Repo) -> None:
    root = _root(repo)
    write_leaf(root, "compositional_skills/writing/sonnet")
    write_leaf(root, HAIKU, description="a better haiku")
    commit_all(repo, "add sonnet, edit haiku")
    result = changed_leaves(root, base="main")
    assert _statuses(result) == {"compositional_skills/writing/sonnet": "added", HAIKU: "modified"}
    assert [c.path for c in result.changes] == sorted(c.path for c in result.changes)


def test_a_change_to_attribution_only_modifies_the_leaf(repo: git.Repo) -> None:
    (_root(repo) / PHOENIX / "attribution.txt").write_text("Title of work: Phoenix (revised)\n", encoding="utf-8")
    assert _statuses(changed_leaves(_root(repo), base="main")) == {PHOENIX: "modified"}


def test_staged_and_unstaged_edits_both_count(repo: git.Repo) -> None:
    root = _root(repo)
    write_leaf(root, HAIKU, description="staged edit")
    repo.git.add(f"{HAIKU}/qna.yaml")
    write_leaf(root, MATH, description="unstaged edit")
    assert _statuses(changed_leaves(root, base="main")) == {HAIKU: "modified", MATH: "modified"}


def test_new_leaf_staged_but_not_committed_is_added(repo: git.Repo) -> None:
    root = _root(repo)
    write_leaf(root, "knowledge/history/rome")
    repo.git.add("knowledge/history/rome")
    assert _statuses(changed_leaves(root, base="main")) == {"knowledge/history/rome": "added"}


def test_untracked_leaf_and_untracked_file_in_existing_leaf(repo: git.Repo) -> None:
    root = _root(repo)
    write_leaf(root, "compositional_skills/writing/ode", attribution=True)
    write_file(root, f"{LIMERICK}/attribution.txt", "Title of work: limericks\n")
    assert _statuses(changed_leaves(root, base="main")) == {
        "compositional_skills/writing/ode": "untracked", LIMERICK: "modified"}


def test_ignored_files_are_not_changes(repo: git.Repo) -> None:
    root = _root(repo)
    write_file(root, ".gitignore", "*.bak\n")
    write_file(root, f"{HAIKU}/qna.yaml.bak", "old\n")
    assert changed_leaves(root, base="main").changes == ()


def test_deleted_leaf_committed_and_in_work_tree(repo: git.Repo) -> None:
    root = _root(repo)
    shutil.rmtree(root / MATH)
    commit_all(repo, "drop arithmetic")
    (root / HAIKU / "qna.yaml").unlink()  # not committed: the work tree counts
    assert _statuses(changed_leaves(root, base="main")) == {MATH: "deleted", HAIKU: "deleted"}


def test_leaf_whose_qna_is_gone_but_attribution_stays_is_deleted(repo: git.Repo) -> None:
    (_root(repo) / PHOENIX / "qna.yaml").unlink()
    assert _statuses(changed_leaves(_root(repo), base="main")) == {PHOENIX: "deleted"}


def test_renamed_leaf_folder_is_followed(repo: git.Repo) -> None:
    (_root(repo) / "compositional_skills/poetry").mkdir()
    repo.git.mv(LIMERICK, "compositional_skills/poetry/limerick")
    result = changed_leaves(_root(repo), base="main")
    assert result.changes == (LeafChange("compositional_skills/poetry/limerick", "renamed", old_path=LIMERICK),)
    commit_all(repo, "move limerick")
    assert changed_leaves(_root(repo), base="main").changes == result.changes


def test_moving_a_leaf_outside_git_shows_deleted_and_untracked(repo: git.Repo) -> None:
    root = _root(repo)
    (root / LIMERICK).rename(root / "compositional_skills/limerick")
    assert _statuses(changed_leaves(root, base="main")) == {
        LIMERICK: "deleted", "compositional_skills/limerick": "untracked"}


def test_files_outside_leaves_and_branches_are_ignored(repo: git.Repo) -> None:
    root = _root(repo)
    write_file(root, "README.md", "changed\n")
    write_file(root, "knowledge/README.md", "about knowledge\n")
    write_file(root, "compositional_skills/writing/notes.txt", "not a leaf\n")
    write_leaf(root, "docs/examples/leaf")  # has qna.yaml but is under no branch folder
    commit_all(repo, "noise")
    assert changed_leaves(root, base="main").changes == ()


def test_changes_on_the_base_after_branching_are_not_reported(repo: git.Repo) -> None:
    root = _root(repo)
    repo.git.checkout("main")
    write_leaf(root, "compositional_skills/writing/main_only")
    commit_all(repo, "main moves on")
    repo.git.checkout("feature")
    write_leaf(root, "compositional_skills/writing/feature_only")
    commit_all(repo, "feature work")
    result = changed_leaves(root, base="main")
    assert _statuses(result) == {"compositional_skills/writing/feature_only": "added"}
    assert result.merge_base == repo.commit("main~1").hexsha


def test_taxonomy_root_as_a_subfolder_of_the_repository(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "project")
    top = _root(repo)
    write_leaf(top / "taxonomy", HAIKU)
    write_leaf(top / "taxonomy", MATH)
    write_leaf(top, "compositional_skills/outside/leaf")  # a leaf-like folder outside the taxonomy root
    write_file(top, "src/code.py", "print(1)\n")
    commit_all(repo, "initial")
    repo.git.checkout("-b", "work")
    write_leaf(top / "taxonomy", HAIKU, description="edited")
    write_leaf(top / "taxonomy", "knowledge/new/topic")
    write_leaf(top, "compositional_skills/outside/leaf", description="edited outside")
    write_file(top, "src/code.py", "print(2)\n")
    result = changed_leaves(top / "taxonomy", base="main")
    assert _statuses(result) == {HAIKU: "modified", "knowledge/new/topic": "untracked"}


def test_root_reached_through_a_symlink_is_resolved(repo: git.Repo, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(_root(repo))
    write_leaf(_root(repo), HAIKU, description="edited")
    assert _statuses(changed_leaves(link, base="main")) == {HAIKU: "modified"}


def test_origin_main_is_the_default_base_in_a_clone(tmp_path: Path) -> None:
    upstream = init_repo(tmp_path / "upstream")
    write_leaf(_root(upstream), HAIKU)
    commit_all(upstream, "initial")
    clone(_root(upstream), tmp_path / "origin.git", bare=True)
    work = clone(tmp_path / "origin.git", tmp_path / "work")
    work.git.checkout("-b", "feature")
    write_leaf(_root(work), LIMERICK)
    commit_all(work, "add limerick")
    result = changed_leaves(_root(work))
    assert result.base == "origin/main"
    assert result.notes == ()
    assert _statuses(result) == {LIMERICK: "added"}


def test_without_origin_main_falls_back_to_main_with_a_note(repo: git.Repo) -> None:
    write_leaf(_root(repo), LIMERICK, description="edited")
    result = changed_leaves(_root(repo))
    assert result.base == "main"
    assert result.notes == ("origin/main not found; using main",)
    assert _statuses(result) == {LIMERICK: "modified"}


def test_unknown_base_is_a_git_error_naming_the_ref(repo: git.Repo) -> None:
    with pytest.raises(GitError) as caught:
        changed_leaves(_root(repo), base="upstream/nope")
    assert "upstream/nope" in caught.value.render()
    assert "git fetch" in caught.value.render()


def test_missing_origin_and_main_is_a_git_error(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "t", branch="trunk")
    write_leaf(_root(repo), HAIKU)
    commit_all(repo, "initial")
    with pytest.raises(GitError, match="origin/main"):
        changed_leaves(_root(repo))


def test_repository_without_commits_is_a_git_error(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "fresh")
    write_leaf(_root(repo), HAIKU)
    with pytest.raises(GitError):
        changed_leaves(_root(repo), base="main")
    assert taxonomy_commit(_root(repo)) is None


def test_not_a_git_repository_is_an_error_but_base_empty_works(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    write_leaf(root, HAIKU)
    write_leaf(root, PHOENIX)
    write_leaf(root, ".hidden/x")
    with pytest.raises(GitError, match="not inside a git repository") as caught:
        changed_leaves(root, base="main")
    assert "--base empty" in caught.value.render()
    result = changed_leaves(root, base="empty")
    assert result == DiffResult(base="empty", merge_base=None,
                                changes=(LeafChange(HAIKU, "added"), LeafChange(PHOENIX, "added")), notes=())
    assert taxonomy_commit(root) is None


def test_base_empty_in_a_repository_lists_every_leaf(repo: git.Repo) -> None:
    assert _statuses(changed_leaves(_root(repo), base="empty")) == {
        HAIKU: "added", LIMERICK: "added", MATH: "added", PHOENIX: "added"}


def test_taxonomy_commit_is_head(repo: git.Repo) -> None:
    sha = commit_all(repo, "another")
    assert taxonomy_commit(_root(repo)) == sha
    assert taxonomy_commit(_root(repo) / PHOENIX) == sha


def test_renamed_and_edited_leaf_is_still_a_rename(repo: git.Repo) -> None:
    root = _root(repo)
    (root / "knowledge/space").mkdir()
    repo.git.mv(PHOENIX, "knowledge/space/phoenix")
    qna = root / "knowledge/space/phoenix/qna.yaml"
    qna.write_text(qna.read_text(encoding="utf-8") + "# reviewed\n", encoding="utf-8")
    assert changed_leaves(root, base="main").changes == (
        LeafChange("knowledge/space/phoenix", "renamed", old_path=PHOENIX),)


def test_non_ascii_and_special_characters_in_paths(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "proj")
    taxonomy = _root(repo) / "tax onomy[1]"
    write_leaf(taxonomy, HAIKU)
    commit_all(repo, "initial")
    write_leaf(taxonomy, "knowledge/geography/são paulo")
    write_leaf(taxonomy, HAIKU, description="edited")
    assert _statuses(changed_leaves(taxonomy, base="main")) == {
        HAIKU: "modified", "knowledge/geography/são paulo": "untracked"}


def test_a_misnamed_qna_yml_still_marks_a_leaf(repo: git.Repo) -> None:
    write_file(_root(repo), "compositional_skills/writing/misnamed/qna.yml", "version: 2\n")
    assert _statuses(changed_leaves(_root(repo), base="main")) == {"compositional_skills/writing/misnamed": "untracked"}
