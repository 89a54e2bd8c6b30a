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
    attribution_problems, file_name_problems, is_leaf_file_name, lint_problems, placement_problems,
)
from labgen.taxonomy.loader import LoadedQna, QnaLoadError, load_qna
from labgen.taxonomy.options import ValidateOptions
from labgen.taxonomy.schema import schema_problems


@dataclass(frozen=True)
class TreeScan:
    """The leaf files under a folder (sorted), and reports for folder links that leave the tree."""

    files: tuple[Path, ...]
    outside_links: tuple[LeafReport, ...]


def display_path(path: Path) -> str:
    """The path relative to the current directory when it lies below it, else as it is."""
    absolute = Path(os.path.abspath(path))
    cwd = Path.cwd()
    return absolute.relative_to(cwd).as_posix() if absolute.is_relative_to(cwd) else absolute.as_posix()


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
    try:
        parts = Path(os.path.abspath(file)).relative_to(Path(os.path.abspath(root))).parts
    except ValueError:
        return None
    return parts[0] if len(parts) > 1 and parts[0] in BRANCHES else None


def scan_tree(start: Path, root: Path) -> TreeScan:
    """Every qna.yaml (and misnamed qna.yml, QNA.yaml...) below `start`, in sorted order.

    Hidden folders (.git, ...) are skipped; folder links are followed when they stay inside the root
    and reported when they lead out of it.
    """
    real_root = Path(os.path.realpath(root))
    files: list[Path] = []
    outside: list[LeafReport] = []
    visited: set[str] = set()
    stack = [Path(start)]
    while stack:
        folder = stack.pop()
        real = os.path.realpath(folder)
        if real in visited:
            continue
        visited.add(real)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        subfolders: list[Path] = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()
            except OSError:
                continue
            if is_dir:
                if entry.is_symlink() and not Path(os.path.realpath(path)).is_relative_to(real_root):
                    outside.append(_outside_link_report(path, real_root))
                else:
                    subfolders.append(path)
            elif is_leaf_file_name(entry.name):
                files.append(path)
        stack.extend(reversed(subfolders))
    files.sort(key=lambda p: p.as_posix())
    return TreeScan(tuple(files), tuple(outside))


def _outside_link_report(link: Path, root: Path) -> LeafReport:
    target = os.path.realpath(link)
    message = (f"the folder link resolves outside the taxonomy root {root} (to {target}); its leaves are not "
               "read. Copy the folder into the taxonomy instead of linking to it")
    return LeafReport(path=display_path(link), kind=None, version=None, problems=(Problem(ERROR, message),))


def guess_kind(branch: str | None, data: dict[str, Any]) -> str:
    """knowledge by branch; a skill is grounded when every seed example has a non-empty context."""
    if branch == KNOWLEDGE or (branch is None and "document" in data):
        return KNOWLEDGE
    seeds = data.get("seed_examples")
    if isinstance(seeds, list) and seeds and all(
            isinstance(s, dict) and isinstance(s.get("context"), str) and s["context"].strip() for s in seeds):
        return GROUNDED_SKILL
    return FREEFORM_SKILL


def leaf_content_hash(file: Path, raw: bytes) -> str:
    """sha256 of qna.yaml's bytes, followed by attribution.txt's bytes when that file exists."""
    try:
        attribution = (file.parent / "attribution.txt").read_bytes()
    except OSError:
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


def build_leaf(loaded: LoadedQna, root: Path | None, branch: str | None, kind: str, version: int) -> Leaf:
    """A Leaf from a schema-valid qna.yaml (the caller has checked the schema)."""
    data = loaded.data
    folder = Path(os.path.abspath(loaded.file.parent))
    relative = folder.relative_to(os.path.abspath(root)) if root is not None else Path(folder.name)
    document = None
    if kind == KNOWLEDGE:
        doc = data["document"]
        document = DocumentRef(repo=doc["repo"], commit=doc["commit"], patterns=tuple(doc["patterns"]))
    description = data.get("domain") if kind == KNOWLEDGE else data.get("task_description")
    return Leaf(
        path=relative.as_posix(), file=os.path.abspath(loaded.file), branch=branch or "", kind=kind,
        version=version, created_by=data["created_by"], description=(description or "").strip(),
        seed_examples=_seed_examples(loaded, kind), content_hash=leaf_content_hash(loaded.file, loaded.raw),
        document=document, document_outline=data.get("document_outline"), data=data,
    )


def check_leaf(file: Path, taxonomy_root: Path | None,
               options: ValidateOptions | None = None) -> tuple[LeafReport, LoadedQna | None]:
    """The report of one qna.yaml and, when it parsed, the parsed file (for callers that need lines)."""
    options = options or ValidateOptions()
    root = taxonomy_root if taxonomy_root is not None else infer_root(file)
    branch = branch_of(file, root)
    problems = file_name_problems(file) + placement_problems(branch)
    shown = display_path(file)
    try:
        loaded = load_qna(file, taxonomy_root=root, max_bytes=options.max_bytes)
    except QnaLoadError as error:
        problem = Problem(ERROR, error.message + (f"; {error.hint}" if error.hint else ""), error.line, error.col)
        return LeafReport(shown, None, None, tuple(problems + [problem])), None
    version, schema = schema_problems(loaded, branch)
    kind = guess_kind(branch, loaded.data)
    problems += schema
    problems += lint_problems(loaded, branch, version, max_seed_tokens=options.max_seed_tokens)
    problems += attribution_problems(file.parent)
    leaf = None
    if version is not None and not schema:
        leaf = build_leaf(loaded, root, branch, kind, version)
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
    reports = [load_leaf(file, root, options=options) for file in scan.files]
    return sorted(reports + list(scan.outside_links), key=lambda r: r.path)


__all__ = ["TreeScan", "build_leaf", "check_leaf", "load_leaf", "load_taxonomy", "scan_tree"]
