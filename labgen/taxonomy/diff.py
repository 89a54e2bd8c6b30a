"""Which taxonomy leaves changed against a git base: committed, staged, unstaged and untracked.

A leaf is a folder holding `qna.yaml` (or a misnamed `qna.yml`) under a branch folder; a change to any file inside
it (qna.yaml, attribution.txt, ...) is a change of the leaf. Paths are relative to the taxonomy
root, which may be a subfolder of the git repository; changes outside it are ignored.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from labgen.errors import GitError, TaxonomyError
from labgen.taxonomy.leaf import BRANCHES

if TYPE_CHECKING:
    import git

ADDED = "added"
MODIFIED = "modified"
DELETED = "deleted"
RENAMED = "renamed"
UNTRACKED = "untracked"
STATUSES = (ADDED, MODIFIED, DELETED, RENAMED, UNTRACKED)

EMPTY_BASE = "empty"
DEFAULT_BASE = "origin/main"
FALLBACK_BASE = "main"
LEAF_FILE = "qna.yaml"
# A misnamed qna.yml still marks a leaf here, so `validate --changed` gets to report the bad name.
LEAF_FILES = (LEAF_FILE, "qna.yml")


@dataclass(frozen=True)
class LeafChange:
    path: str  # the leaf folder relative to the taxonomy root, posix: "compositional_skills/writing/haiku"
    status: str  # one of STATUSES
    old_path: str | None = None  # for renames: the old leaf folder


@dataclass(frozen=True)
class DiffResult:
    base: str  # the ref actually used ("origin/main", "main", "empty", ...)
    merge_base: str | None  # the merge-base commit sha (None for "empty")
    changes: tuple[LeafChange, ...]  # sorted by path; deleted ones included (callers skip them)
    notes: tuple[str, ...]


def changed_leaves(taxonomy_root: Path, base: str = DEFAULT_BASE) -> DiffResult:
    """The leaves changed between the merge-base of `base` and HEAD, plus the index and the work tree.

    `base="empty"` lists every leaf as added and needs no git repository.
    """
    root = _existing_root(taxonomy_root)
    if base == EMPTY_BASE:
        changes = tuple(LeafChange(path, ADDED) for path in sorted(_leaves_on_disk(root)))
        return DiffResult(base=EMPTY_BASE, merge_base=None, changes=changes, notes=())
    import git

    repo = _open_repo(root)
    try:
        prefix = _root_prefix(repo, root)
        used, notes = _resolve_base(repo, base)
        merge_base = _merge_base(repo, used)
        changes = _leaf_changes(repo, root, prefix, merge_base)
    except git.GitError as error:  # every gitpython failure not handled above
        raise GitError(f"git failed while diffing {root} against {base}: {git_error_detail(error)}",
                       hint="run `git status` in the taxonomy repository to see what is wrong") from error
    finally:
        repo.close()
    return DiffResult(base=used, merge_base=merge_base, changes=changes, notes=tuple(notes))


def taxonomy_commit(taxonomy_root: Path) -> str | None:
    """The HEAD commit sha of the repository holding the taxonomy root; None outside git or before a first commit."""
    import git

    try:
        repo = git.Repo(Path(taxonomy_root), search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    try:
        return repo.head.commit.hexsha
    except (ValueError, git.GitError):  # unborn HEAD: no commit yet
        return None
    finally:
        repo.close()


def _existing_root(taxonomy_root: Path) -> Path:
    root = Path(taxonomy_root).expanduser().resolve()
    if not root.is_dir():
        raise TaxonomyError(f"taxonomy root {taxonomy_root} is not a directory",
                            hint="pass the folder that holds knowledge/ and compositional_skills/")
    return root


def _open_repo(root: Path) -> git.Repo:
    import git

    try:
        repo = git.Repo(root, search_parent_directories=True)
    except git.InvalidGitRepositoryError:
        raise GitError(f"{root} is not inside a git repository, so there is nothing to diff against",
                       hint="run `git init` and commit the taxonomy, or use `--base empty` to list every leaf"
                       ) from None
    except git.GitError as error:
        raise GitError(f"cannot open the git repository holding {root}: {git_error_detail(error)}",
                       hint="check the repository with `git status`") from error
    if repo.bare or repo.working_tree_dir is None:
        repo.close()
        raise GitError(f"{root} is inside a bare git repository, which has no work tree to diff",
                       hint="point labgen at a checkout of the taxonomy")
    return repo


def _root_prefix(repo: git.Repo, root: Path) -> str:
    """The taxonomy root relative to the repository's top level, posix; "" when they coincide."""
    top = Path(str(repo.working_tree_dir)).resolve()
    if not root.is_relative_to(top):  # e.g. a folder inside .git
        raise GitError(f"{root} is not inside the work tree of the git repository at {top}",
                       hint="point labgen at the taxonomy folder of a checkout")
    relative = root.relative_to(top).as_posix()
    return "" if relative == "." else relative


def _resolve_base(repo: git.Repo, base: str) -> tuple[str, list[str]]:
    """The ref to diff against and notes about fallbacks; GitError when it does not exist."""
    if _commit_of(repo, base) is not None:
        return base, []
    if base == DEFAULT_BASE and _commit_of(repo, FALLBACK_BASE) is not None:
        return FALLBACK_BASE, [f"{DEFAULT_BASE} not found; using {FALLBACK_BASE}"]
    shallow = " (this clone is shallow: in GitHub Actions use actions/checkout with fetch-depth: 0)" \
        if _is_shallow(repo) else ""
    raise GitError(f"base ref {base!r} not found in {repo.working_tree_dir}",
                   hint=f"run `git fetch origin` if it is a remote branch, or pass an existing ref with --base "
                        f"(a branch, tag or commit; `--base {EMPTY_BASE}` lists every leaf){shallow}")


def _commit_of(repo: git.Repo, ref: str) -> str | None:
    import git

    if ref.startswith("-"):
        return None
    try:
        return str(repo.git.rev_parse("--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"))
    except git.GitCommandError:
        return None


def _merge_base(repo: git.Repo, base: str) -> str:
    import git

    try:
        head = repo.git.rev_parse("--verify", "HEAD")
    except git.GitCommandError:
        raise GitError(f"the repository at {repo.working_tree_dir} has no commit yet (HEAD is unborn)",
                       hint=f"commit the taxonomy first, or use `--base {EMPTY_BASE}` to list every leaf") from None
    try:
        return str(repo.git.merge_base(base, head))
    except git.GitCommandError:
        if _is_shallow(repo):
            raise GitError(f"no merge-base of {base} and HEAD in this shallow clone",
                           hint="fetch the history: `git fetch --unshallow origin`, or in GitHub Actions "
                                "actions/checkout with fetch-depth: 0") from None
        raise GitError(f"{base} and HEAD share no history (no merge-base)",
                       hint=f"pass a base on the same history with --base, or `--base {EMPTY_BASE}`") from None


def _is_shallow(repo: git.Repo) -> bool:
    return (Path(repo.git_dir) / "shallow").exists()


@dataclass(frozen=True)
class _LeafIndex:
    """Which folders are leaves now (work tree) and at the merge-base, for paths relative to the root."""

    root: Path
    prefix: str  # the taxonomy root relative to the repository top; "" when they coincide
    base_files: frozenset[str]  # repository paths at the merge-base, under the root

    def relative(self, repo_path: str) -> str | None:
        if not self.prefix:
            return repo_path
        if repo_path.startswith(self.prefix + "/"):
            return repo_path[len(self.prefix) + 1:]
        return None

    def is_current_leaf(self, folder: str) -> bool:
        return any((self.root / folder / name).is_file() for name in LEAF_FILES)

    def is_base_leaf(self, folder: str) -> bool:
        full = f"{self.prefix}/{folder}" if self.prefix else folder
        return any(f"{full}/{name}" in self.base_files for name in LEAF_FILES)

    def owning_leaf(self, file: str) -> str | None:
        """The nearest folder above `file` that is (or was at the base) a leaf under a branch folder."""
        parts = PurePosixPath(file).parts
        if len(parts) < 3 or parts[0] not in BRANCHES:
            return None
        for end in range(len(parts) - 1, 1, -1):
            folder = "/".join(parts[:end])
            if self.is_current_leaf(folder) or self.is_base_leaf(folder):
                return folder
        return None


def _leaf_changes(repo: git.Repo, root: Path, prefix: str, merge_base: str) -> tuple[LeafChange, ...]:
    """Map file changes (merge-base vs work tree, plus untracked files) to leaf changes."""
    pathspec = f":(literal){prefix}" if prefix else "."
    diff_output = repo.git.diff("--name-status", "-z", "-M", "--no-ext-diff", "--no-textconv",
                                "--no-color", merge_base, "--", pathspec)
    untracked_output = repo.git.ls_files("--others", "--exclude-standard", "-z", "--", pathspec)
    base_files = repo.git.ls_tree("-r", "-z", "--name-only", "--full-tree", merge_base, "--", pathspec)
    index = _LeafIndex(root, prefix, frozenset(_split_z(base_files)))

    touched: set[str] = set()  # leaf folders with any changed file
    renames: dict[str, str] = {}  # new leaf folder -> old leaf folder, from qna.yaml renames
    for status, paths in _name_status(diff_output):
        files = [index.relative(path) for path in paths]
        for file in files:
            leaf = index.owning_leaf(file) if file is not None else None
            if leaf is not None:
                touched.add(leaf)
        old, new = files[0], files[-1]
        if status == "R" and old is not None and new is not None:
            if PurePosixPath(old).name in LEAF_FILES and PurePosixPath(new).name in LEAF_FILES:
                renames[str(PurePosixPath(new).parent)] = str(PurePosixPath(old).parent)
    untracked: set[str] = set()  # leaves whose qna.yaml git does not know yet
    for repo_path in _split_z(untracked_output):
        file = index.relative(repo_path)
        leaf = index.owning_leaf(file) if file is not None else None
        if file is None or leaf is None:
            continue
        touched.add(leaf)
        if PurePosixPath(file).name in LEAF_FILES and str(PurePosixPath(file).parent) == leaf:
            untracked.add(leaf)
    return _classify(index, touched, renames, untracked)


def _classify(index: _LeafIndex, touched: set[str], renames: dict[str, str],
              untracked: set[str]) -> tuple[LeafChange, ...]:
    changes: dict[str, LeafChange] = {}
    renamed_away: set[str] = set()
    for leaf in sorted(touched):
        now, before = index.is_current_leaf(leaf), index.is_base_leaf(leaf)
        if now and before:
            changes[leaf] = LeafChange(leaf, MODIFIED)
        elif now and leaf in untracked:
            changes[leaf] = LeafChange(leaf, UNTRACKED)
        elif now:
            old = renames.get(leaf)
            if old is not None and index.is_base_leaf(old) and not index.is_current_leaf(old):
                changes[leaf] = LeafChange(leaf, RENAMED, old_path=old)
                renamed_away.add(old)
            else:
                changes[leaf] = LeafChange(leaf, ADDED)
        elif before:
            changes[leaf] = LeafChange(leaf, DELETED)
    for old in renamed_away:
        if old in changes and changes[old].status == DELETED:
            del changes[old]
    return tuple(changes[path] for path in sorted(changes))


def _name_status(output: str) -> Iterable[tuple[str, list[str]]]:
    """Parse `git diff --name-status -z`: status letter and one path (two for renames and copies)."""
    fields = _split_z(output)
    index = 0
    while index < len(fields):
        status = fields[index][:1]
        count = 2 if status in ("R", "C") else 1
        paths = fields[index + 1:index + 1 + count]
        index += 1 + count
        if status == "C":  # a copy leaves its source untouched: only the new side changed
            status, paths = "A", paths[1:]
        yield status, paths


def _split_z(output: str) -> list[str]:
    return [field for field in output.split("\0") if field]


def _leaves_on_disk(root: Path) -> list[str]:
    """Every leaf folder under the branch folders, skipping hidden folders."""
    leaves: list[str] = []
    for branch in BRANCHES:
        top = root / branch
        if not top.is_dir():
            continue
        for folder, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            if any(name in files for name in LEAF_FILES):
                leaves.append(Path(folder).relative_to(root).as_posix())
    return leaves


def git_error_detail(error: BaseException) -> str:
    """The telling line of a gitpython error (git's `fatal:`/`error:` line), for messages."""
    stderr = getattr(error, "stderr", None)
    text = stderr if isinstance(stderr, str) and stderr.strip() else str(error)
    lines = [line.strip().removeprefix("stderr: ").strip("'").strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    for line in lines:
        if line.startswith(("fatal: ", "error: ")):
            return line.split(": ", 1)[1]
    return lines[0] if lines else type(error).__name__
