"""`validate`: check taxonomy trees or single qna.yaml files — schema, lint and knowledge documents.

Each PATH is a taxonomy root (a folder holding knowledge/, compositional_skills/ or
foundational_skills/), a folder inside one of those branches, or one qna.yaml file.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from labgen.errors import DocumentError, UsageError
from labgen.taxonomy.leaf import BRANCHES, ERROR, KNOWLEDGE, LeafReport, Problem
from labgen.taxonomy.lint import LEAF_FILE, is_leaf_file_name
from labgen.taxonomy.loader import LoadedQna
from labgen.taxonomy.options import ValidateOptions
from labgen.taxonomy.walk import check_leaf, display_path, infer_root, scan_tree

__all__ = ["Target", "ValidateOptions", "resolve_target", "validate"]


@dataclass(frozen=True)
class Target:
    """One PATH argument understood: the taxonomy root it belongs to and where to look below it."""

    given: Path
    root: Path | None
    start: Path
    is_file: bool


def resolve_target(path: Path) -> Target:
    """Classify a PATH; a UsageError when it is missing or neither a taxonomy tree nor a qna.yaml."""
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path} does not exist", hint="pass a taxonomy folder or a qna.yaml file")
    if path.is_file():
        if not is_leaf_file_name(path.name):
            raise UsageError(f"{path} is not a qna.yaml file",
                             hint="pass a taxonomy folder or a leaf's qna.yaml")
        return Target(path, infer_root(path), path, True)
    absolute = Path(os.path.abspath(path))
    if absolute.name in BRANCHES:
        return Target(path, absolute.parent, path, False)
    if any((absolute / branch).is_dir() for branch in BRANCHES):
        return Target(path, absolute, path, False)
    inferred = infer_root(absolute / LEAF_FILE)  # a folder somewhere below a branch folder
    if inferred is not None:
        return Target(path, inferred, path, False)
    raise UsageError(f"{path} is not a taxonomy: it has none of the folders {', '.join(BRANCHES)}",
                     hint="pass the taxonomy's root folder, a folder below one of those, or a qna.yaml")


def _document_problems(report: LeafReport, loaded: LoadedQna, root: Path,
                       options: ValidateOptions) -> list[Problem]:
    from labgen.taxonomy.documents import resolve_documents

    leaf = report.leaf
    assert leaf is not None and leaf.document is not None
    line, col = loaded.position(("document",))
    try:
        documents = resolve_documents(leaf.document, root, cache_dir=options.cache_dir)
    except DocumentError as error:
        hint = f"; {error.hint}" if error.hint else ""
        prefix = "" if error.message.lower().startswith("document") else "document: "
        return [Problem(ERROR, f"{prefix}{error.message}{hint}", line, col)]
    if not documents:
        return [Problem(ERROR, f"document: the patterns {list(leaf.document.patterns)} match no file in "
                               f"{leaf.document.repo} at {leaf.document.commit}; fix the patterns", line, col)]
    return []


def _check(file: Path, root: Path | None, options: ValidateOptions, location_checked: bool) -> LeafReport:
    report, loaded = check_leaf(file, root, options, location_checked=location_checked)
    if (options.skip_documents or report.leaf is None or report.leaf.kind != KNOWLEDGE
            or loaded is None or root is None):
        return report
    extra = _document_problems(report, loaded, root, options)
    if not extra:
        return report
    problems = tuple(sorted(report.problems + tuple(extra), key=lambda p: (p.line or 0, p.col or 0)))
    return dataclasses.replace(report, problems=problems)


def _leaf_files_in(folder: Path) -> list[Path]:
    """qna.yaml in a leaf folder, or its misnamed variants (qna.yml, QNA.yaml...) so they get reported."""
    try:
        names = sorted(entry.name for entry in os.scandir(folder) if is_leaf_file_name(entry.name))
    except OSError:
        names = []
    return [folder / name for name in names] or [folder / LEAF_FILE]


def _changed_files(target: Target, base: str, on_note: Callable[[str], None] | None) -> list[Path]:
    """The leaf files of `target` whose leaf folder changed against `base` (deleted leaves skipped)."""
    from labgen.taxonomy.diff import DELETED, changed_leaves

    if target.root is None:
        return [target.start] if target.is_file else []
    result = changed_leaves(target.root, base)
    for note in result.notes:
        if on_note is not None:
            on_note(note)
    start = Path(os.path.abspath(target.start))
    files: list[Path] = []
    for change in result.changes:
        if change.status == DELETED:
            continue
        folder = target.root / change.path
        if target.is_file:
            if Path(os.path.abspath(folder)) == start.parent:
                files.append(target.start)
            continue
        if not Path(os.path.abspath(folder)).is_relative_to(start):
            continue
        files.extend(_leaf_files_in(folder))
    return files


def validate(paths: Sequence[Path], *, options: ValidateOptions | None = None,
             on_note: Callable[[str], None] | None = None) -> list[LeafReport]:
    """Check every leaf under `paths` (only changed ones with options.changed_base); one report per file.

    Raises UsageError for a PATH that does not exist or is neither a taxonomy nor a qna.yaml, and
    GitError (from labgen.taxonomy.diff) when changed_base is set but git cannot answer. `on_note`
    receives git's remarks (e.g. "origin/main not found; using main").
    """
    options = options or ValidateOptions()
    targets = [resolve_target(Path(p)) for p in paths]
    reports: dict[str, LeafReport] = {}
    cwd = os.getcwd()
    for target in targets:
        checked: frozenset[Path] = frozenset()  # files scan_tree proved to lie inside the root
        if options.changed_base is not None:
            files = _changed_files(target, options.changed_base, on_note)
            outside: tuple[LeafReport, ...] = ()
        elif target.is_file:
            files, outside = [target.start], ()
        else:
            scan = scan_tree(target.start, target.root or target.start)
            files, outside = list(scan.files), scan.outside_links
            checked = frozenset(scan.files) - scan.linked_files
        for report in outside:
            reports.setdefault(report.path, report)
        for file in files:
            shown = display_path(file, cwd)
            if shown not in reports:
                reports[shown] = _check(file, target.root, options, file in checked)
    return [reports[key] for key in sorted(reports)]
