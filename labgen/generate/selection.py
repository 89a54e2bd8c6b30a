"""Which leaves a run generates: validated first (no token is spent on a taxonomy with errors, unless
the run asks to skip the invalid leaves), all of them or only those changed against a git base, plus the
leaves whose outputs must go (deleted, renamed). A skill leaf mixing examples with and without context
generates from the examples of its kind only (docs/taxonomy.md, "Mixed leaves").
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labgen.errors import TaxonomyError
from labgen.taxonomy.leaf import ERROR, GROUNDED_SKILL, KNOWLEDGE, Document, Leaf, LeafReport

MAX_LISTED_PROBLEMS = 20


@dataclass(frozen=True)
class SkippedLeaf:
    """An invalid leaf left out of a run with --skip-invalid, and its first error."""

    path: str  # the leaf folder relative to the taxonomy root (or the file as reported when outside it)
    file: str  # the qna.yaml as validate reports it
    line: int | None
    error: str

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "file": self.file, "line": self.line, "error": self.error}


@dataclass(frozen=True)
class Selection:
    leaves: tuple[Leaf, ...]
    removed: tuple[str, ...]  # leaf paths whose outputs are to be deleted from OUT
    changed_base: str | None = None
    skipped: tuple[SkippedLeaf, ...] = ()
    notes: tuple[str, ...] = ()


def _skipped(report: LeafReport, taxonomy: Path) -> SkippedLeaf:
    first = next(p for p in report.problems if p.severity == ERROR)
    folder = Path(os.path.abspath(report.path)).parent
    root = Path(os.path.abspath(taxonomy))
    path = folder.relative_to(root).as_posix() if folder.is_relative_to(root) else report.path
    return SkippedLeaf(path=path, file=report.path, line=first.line, error=first.message)


def generation_leaf(leaf: Leaf) -> tuple[Leaf, str | None]:
    """The leaf as generate uses it: a skill keeps only the seed examples of its kind (with a context for a
    grounded skill, without for a freeform one), and a note says which were left out."""
    if leaf.kind == KNOWLEDGE:
        return leaf, None
    grounded = leaf.kind == GROUNDED_SKILL
    kept = tuple(seed for seed in leaf.seed_examples if (seed.context is not None) == grounded)
    if len(kept) == len(leaf.seed_examples):
        return leaf, None
    left_out = [seed.id for seed in leaf.seed_examples if seed not in kept]
    note = (f"{leaf.path}: seed examples mix grounded and freeform; generated as a "
            f"{'grounded' if grounded else 'freeform'} skill from the {len(kept)} examples "
            f"{'with' if grounded else 'without'} a context, leaving out {', '.join(left_out)}")
    return dataclasses.replace(leaf, seed_examples=kept), note


def _problem_lines(reports: list[LeafReport]) -> list[str]:
    lines = []
    for report in reports:
        for problem in report.problems:
            if problem.severity == "error":
                where = f"{report.path}:{problem.line}" if problem.line else report.path
                lines.append(f"  {where}: {problem.message}")
    return lines


def select_leaves(taxonomy: Path, *, changed_base: str | None = None, skip_invalid: bool = False) -> Selection:
    """Validate the taxonomy (or its changed leaves) and return what to generate.

    Raises TaxonomyError listing every problem when any selected leaf is invalid, unless `skip_invalid`:
    then the invalid leaves are left out and listed in `Selection.skipped` with their first error.
    """
    from labgen.taxonomy.options import ValidateOptions
    from labgen.taxonomy.validate import validate

    taxonomy = Path(taxonomy)
    if not taxonomy.is_dir():
        raise TaxonomyError("the taxonomy folder does not exist", path=taxonomy,
                            hint="pass the folder holding knowledge/ and compositional_skills/")
    reports = validate([taxonomy], options=ValidateOptions(changed_base=changed_base))
    invalid = [r for r in reports if not r.valid]
    skipped = tuple(_skipped(r, taxonomy) for r in invalid) if skip_invalid else ()
    if invalid and not skip_invalid:
        lines = _problem_lines(invalid)
        shown = lines[:MAX_LISTED_PROBLEMS]
        more = f"\n  ... and {len(lines) - len(shown)} more" if len(lines) > len(shown) else ""
        raise TaxonomyError(f"{len(invalid)} leaf file(s) are invalid; nothing was generated:\n"
                            + "\n".join(shown) + more,
                            hint="fix them (see `labgen validate`) and run again, or pass --skip-invalid to "
                                 "generate the valid leaves only")
    usable = sorted((r.leaf for r in reports if r.valid and r.leaf is not None), key=lambda leaf: leaf.path)
    prepared = [generation_leaf(leaf) for leaf in usable]
    leaves = tuple(leaf for leaf, _ in prepared)
    notes = tuple(note for _, note in prepared if note)
    removed: tuple[str, ...] = ()
    if changed_base is not None:
        from labgen.taxonomy.diff import DELETED, RENAMED, changed_leaves

        diff = changed_leaves(taxonomy, changed_base)
        removed = tuple(sorted({c.path for c in diff.changes if c.status == DELETED}
                               | {c.old_path for c in diff.changes if c.status == RENAMED and c.old_path}))
    return Selection(leaves=leaves, removed=removed, changed_base=changed_base, skipped=skipped, notes=notes)


def leaf_documents(leaf: Leaf, taxonomy: Path) -> list[Document]:
    """A knowledge leaf's source documents (validated already, so failures here are rare)."""
    if leaf.document is None:
        return []
    from labgen.taxonomy.documents import resolve_documents

    return resolve_documents(leaf.document, Path(taxonomy))
