"""Finding the leaves of a taxonomy tree and loading each into a checked `Leaf`.

`load_leaf` and `load_taxonomy` are what generation and mixing call: every LeafReport carries its
problems, and `.leaf` whenever the file parsed and matched its schema.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labgen.hashing import sha256_bytes
from labgen.taxonomy.leaf import (
    BRANCHES, ERROR, FREEFORM_SKILL, GROUNDED_SKILL, KNOWLEDGE, DocumentRef, Leaf, LeafReport, Problem, QnA,
    SeedExample,
)
from labgen.taxonomy.lint import (
    attribution_problems, file_name_problems, grounded_majority, is_leaf_file_name, lint_problems,
    placement_problems, read_attribution,
)
from labgen.taxonomy.loader import LoadedQna, QnaLoadError, load_qna
from labgen.taxonomy.options import ValidateOptions
from labgen.taxonomy.schema import schema_problems


@dataclass(frozen=True)
class TreeScan:
    """The leaf files under a folder (sorted), reports for folder links that leave the tree, and
    which files are themselves symbolic links (the only ones whose location still needs checking)."""

    files: tuple[Path, ...]
    outside_links: tuple[LeafReport, ...]
    linked_files: frozenset[Path] = frozenset()


def display_path(path: Path | str, cwd: str | None = None) -> str:
    """The path relative to the current directory when it lies below it, else absolute (posix)."""
    absolute = os.path.abspath(path)
    cwd = cwd if cwd is not None else os.getcwd()
    prefix = cwd.rstrip(os.sep) + os.sep
    shown = absolute[len(prefix):] if absolute.startswith(prefix) else absolute
    return shown.replace(os.sep, "/")


def infer_root(file: Path) -> Path | None:
    """The taxonomy root of a file: the parent of its nearest ancestor folder named after a branch."""
    absolute = Path(os.path.abspath(file))
    for folder in absolute.parents:
        if folder.name in BRANCHES:
            return folder.parent
    return None


def branch_of(file: Path, root: Path | None) -> str | None:
    """The branch a file belongs to: the top folder under the root, when it is one of BRANCHES."""
    if root is None:
        return None
    absolute, top = os.path.abspath(file), os.path.abspath(root).rstrip(os.sep) + os.sep
    if not absolute.startswith(top):
        return None
    parts = absolute[len(top):].split(os.sep)
    return parts[0] if len(parts) > 1 and parts[0] in BRANCHES else None


def scan_tree(start: Path, root: Path) -> TreeScan:
    """Every qna.yaml (and misnamed qna.yml, QNA.yaml...) below `start`, in sorted order.

    Hidden folders (.git, ...) are skipped; folder links are followed when they stay inside the root
    and reported when they lead out of it.
    """
    real_root = os.path.realpath(root)
    files: list[Path] = []
    linked: set[Path] = set()
    outside: list[LeafReport] = []
    visited: set[str] = set()
    real_start = os.path.realpath(start)
    if not _contains(real_root, real_start):
        return TreeScan((), (_outside_link_report(Path(start), Path(real_root)),))
    stack: list[tuple[str, str]] = [(os.fspath(start), real_start)]  # (path as walked, real path)
    while stack:
        folder, real = stack.pop()
        if real in visited:
            continue
        visited.add(real)
        try:
            with os.scandir(folder) as iterator:
                entries = sorted(iterator, key=lambda e: e.name)
        except OSError:
            continue
        subfolders: list[tuple[str, str]] = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                is_dir, is_link = entry.is_dir(), entry.is_symlink()
            except OSError:
                continue
            if is_dir:
                target = os.path.realpath(entry.path) if is_link else os.path.join(real, entry.name)
                if is_link and not _contains(real_root, target):
                    outside.append(_outside_link_report(Path(entry.path), Path(real_root)))
                else:
                    subfolders.append((entry.path, target))
            elif is_leaf_file_name(entry.name):
                files.append(Path(entry.path))
                if is_link:
                    linked.add(files[-1])
        stack.extend(reversed(subfolders))
    files.sort(key=lambda p: p.as_posix())
    return TreeScan(tuple(files), tuple(outside), frozenset(linked))


def _contains(real_root: str, real_path: str) -> bool:
    return real_path == real_root or real_path.startswith(real_root.rstrip(os.sep) + os.sep)


def _outside_link_report(link: Path, root: Path) -> LeafReport:
    target = os.path.realpath(link)
    message = (f"the folder link resolves outside the taxonomy root {root} (to {target}); its leaves are not "
               "read. Copy the folder into the taxonomy instead of linking to it")
    return LeafReport(path=display_path(link), kind=None, version=None, problems=(Problem(ERROR, message),))


def guess_kind(branch: str | None, data: dict[str, Any]) -> str:
    """knowledge by branch; a skill is grounded when more than half of its seed examples have a context."""
    if branch == KNOWLEDGE or (branch is None and "document" in data):
        return KNOWLEDGE
    seeds = data.get("seed_examples")
    if isinstance(seeds, list) and seeds and grounded_majority(seeds):
        return GROUNDED_SKILL
    return FREEFORM_SKILL


def leaf_content_hash(raw: bytes, attribution: bytes | None) -> str:
    """sha256 of qna.yaml's bytes, followed by attribution.txt's bytes when that file exists."""
    if attribution is None:
        return sha256_bytes(raw)
    return sha256_bytes(raw + b"\n\x00attribution.txt\x00\n" + attribution)


def _seed_examples(loaded: LoadedQna, kind: str) -> tuple[SeedExample, ...]:
    seeds: list[SeedExample] = []
    for index, item in enumerate(loaded.data["seed_examples"]):
        line = loaded.position(("seed_examples", index))[0]
        context = item.get("context")
        context = context.strip() if isinstance(context, str) and context.strip() else None
        if kind == KNOWLEDGE:
            pairs = tuple(QnA(p["question"].strip(), p["answer"].strip()) for p in item["questions_and_answers"])
        else:
            pairs = (QnA(item["question"].strip(), item["answer"].strip()),)
        seeds.append(SeedExample(id=f"seed-{index}", qna=pairs, context=context, line=line))
    return tuple(seeds)


def build_leaf(loaded: LoadedQna, root: Path | None, branch: str | None, kind: str, version: int,
               attribution: bytes | None) -> Leaf:
    """A Leaf from a schema-valid qna.yaml (the caller has checked the schema)."""
    data = loaded.data
    file = os.path.abspath(loaded.file)
    folder = os.path.dirname(file)
    relative = os.path.basename(folder)
    if root is not None:
        top = os.path.abspath(root).rstrip(os.sep) + os.sep
        relative = folder[len(top):] if folder.startswith(top) else os.path.relpath(folder, top)
    document = None
    if kind == KNOWLEDGE:
        doc = data["document"]
        document = DocumentRef(repo=doc["repo"], commit=doc["commit"], patterns=tuple(doc["patterns"]))
    description = data.get("domain") if kind == KNOWLEDGE else data.get("task_description")
    return Leaf(
        path=relative.replace(os.sep, "/"), file=file, branch=branch or "", kind=kind,
        version=version, created_by=data["created_by"], description=(description or "").strip(),
        seed_examples=_seed_examples(loaded, kind), content_hash=leaf_content_hash(loaded.raw, attribution),
        document=document, document_outline=data.get("document_outline"), data=data,
    )


def check_leaf(file: Path, taxonomy_root: Path | None, options: ValidateOptions | None = None, *,
               location_checked: bool = False) -> tuple[LeafReport, LoadedQna | None]:
    """The report of one qna.yaml and, when it parsed, the parsed file (for callers that need lines).

    location_checked: the caller (scan_tree) already knows the file resolves inside the root.
    """
    options = options or ValidateOptions()
    root = taxonomy_root if taxonomy_root is not None else infer_root(file)
    branch = branch_of(file, root)
    problems = file_name_problems(file) + placement_problems(branch)
    shown = display_path(file)
    try:
        loaded = load_qna(file, taxonomy_root=None if location_checked else root, max_bytes=options.max_bytes)
    except QnaLoadError as error:
        problem = Problem(ERROR, error.message + (f"; {error.hint}" if error.hint else ""), error.line, error.col)
        return LeafReport(shown, None, None, tuple(problems + [problem])), None
    version, schema = schema_problems(loaded, branch)
    kind = guess_kind(branch, loaded.data)
    problems += schema
    problems += lint_problems(loaded, branch, version, max_seed_tokens=options.max_seed_tokens)
    if options.strict:
        from labgen.taxonomy.yaml_lint import lints_version, yamllint_problems

        if lints_version(version):
            problems += yamllint_problems(loaded)
    attribution = read_attribution(file.parent)
    problems += attribution_problems(attribution)
    leaf = None
    if version is not None and not schema:
        leaf = build_leaf(loaded, root, branch, kind, version, attribution)
    ordered = tuple(sorted(problems, key=lambda p: (p.line or 0, p.col or 0)))
    return LeafReport(shown, kind, version, ordered, leaf), loaded


def load_leaf(file: Path, taxonomy_root: Path | None = None, *,
              options: ValidateOptions | None = None) -> LeafReport:
    """Load and check one qna.yaml (schema and lint, no documents). The root is inferred when None."""
    return check_leaf(Path(file), taxonomy_root, options)[0]


def load_taxonomy(root: Path, *, options: ValidateOptions | None = None) -> list[LeafReport]:
    """Load and check every leaf under a taxonomy root, in sorted order (no documents, no git)."""
    root = Path(root)
    scan = scan_tree(root, root)
    reports = [check_leaf(file, root, options, location_checked=file not in scan.linked_files)[0]
               for file in scan.files]
    return sorted(reports + list(scan.outside_links), key=lambda r: r.path)


__all__ = ["TreeScan", "build_leaf", "check_leaf", "load_leaf", "load_taxonomy", "scan_tree"]
