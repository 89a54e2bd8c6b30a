"""Build real temporary git repositories for tests (no mocks of git).

Import from tests with `from gitrepo import ...` (tests/taxonomy is on sys.path under pytest's default
import mode) or load it by path. Every helper works on plain paths and returns gitpython objects.
"""

from __future__ import annotations

from pathlib import Path

import git

SKILL_QNA = """\
version: 2
created_by: tester
task_description: {description}
seed_examples:
{examples}
"""


def init_repo(path: Path, branch: str = "main") -> git.Repo:
    """An empty repository at `path` on `branch`, with a local identity and no signing."""
    path.mkdir(parents=True, exist_ok=True)
    repo = git.Repo.init(path, initial_branch=branch)
    with repo.config_writer() as config:
        config.set_value("user", "name", "labgen tests")
        config.set_value("user", "email", "tests@labgen.invalid")
        config.set_value("commit", "gpgsign", "false")
        config.set_value("core", "autocrlf", "false")
    return repo


def skill_qna(description: str, count: int = 5) -> str:
    """A small, schema-shaped freeform skill qna.yaml whose content depends on `description`."""
    examples = "".join(
        f"  - question: {description} question {i}?\n    answer: {description} answer {i}.\n" for i in range(count)
    )
    return SKILL_QNA.format(description=description, examples=examples)


def write_file(root: Path, relative: str, text: str) -> Path:
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


def write_leaf(root: Path, leaf: str, *, description: str | None = None, attribution: bool = False) -> Path:
    """Create (or overwrite) the leaf folder `leaf` under `root` with a qna.yaml; returns the folder."""
    folder = root / leaf
    write_file(root, f"{leaf}/qna.yaml", skill_qna(description or leaf.replace("/", " ")))
    if attribution:
        write_file(root, f"{leaf}/attribution.txt", f"Title of work: {leaf}\nLicense of the work: CC-BY-4.0\n")
    return folder


def commit_all(repo: git.Repo, message: str) -> str:
    """Stage everything in the work tree (additions, edits, deletions) and commit; returns the sha."""
    repo.git.add("--all")
    repo.git.commit("--quiet", "--allow-empty", "-m", message)
    return repo.head.commit.hexsha


def clone(source: Path | str, destination: Path, *, bare: bool = False) -> git.Repo:
    """Clone `source` (a path or URL) to `destination`; the clone gets the same local identity."""
    repo = git.Repo.clone_from(str(source), destination, bare=bare)
    with repo.config_writer() as config:
        config.set_value("user", "name", "labgen tests")
        config.set_value("user", "email", "tests@labgen.invalid")
        config.set_value("commit", "gpgsign", "false")
    return repo
