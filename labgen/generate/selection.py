"""Which leaves a run generates: validated first (no token is spent on a taxonomy with errors), all of
them or only those changed against a git base, plus the leaves whose outputs must go (deleted, renamed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from labgen.errors import TaxonomyError
from labgen.taxonomy.leaf import Document, Leaf, LeafReport

MAX_LISTED_PROBLEMS = 20


@dataclass(frozen=True)
class Selection:
    leaves: tuple[Leaf, ...]
    removed: tuple[str, ...]  # leaf paths whose outputs are to be deleted from OUT
    changed_base: str | None = None


def _problem_lines(reports: list[LeafReport]) -> list[str]:
    lines = []
    for report in reports:
        for problem in report.problems:
            if problem.severity == "error":
                where = f"{report.path}:{problem.line}" if problem.line else report.path
                lines.append(f"  {where}: {problem.message}")
    return lines


def select_leaves(taxonomy: Path, *, changed_base: str | None = None) -> Selection:
    """Validate the taxonomy (or its changed leaves) and return what to generate.

    Raises TaxonomyError listing every problem when any selected leaf is invalid.
    """
    from labgen.taxonomy.options import ValidateOptions
    from labgen.taxonomy.validate import validate

    taxonomy = Path(taxonomy)
    if not taxonomy.is_dir():
        raise TaxonomyError("the taxonomy folder does not exist", path=taxonomy,
                            hint="pass the folder holding knowledge/ and compositional_skills/")
    reports = validate([taxonomy], options=ValidateOptions(changed_base=changed_base))
    invalid = [r for r in reports if not r.valid]
    if invalid:
        lines = _problem_lines(invalid)
        shown = lines[:MAX_LISTED_PROBLEMS]
        more = f"\n  ... and {len(lines) - len(shown)} more" if len(lines) > len(shown) else ""
        raise TaxonomyError(f"{len(invalid)} leaf file(s) are invalid; nothing was generated:\n"
                            + "\n".join(shown) + more, hint="fix them (see `labgen validate`) and run again")
    leaves = tuple(sorted((r.leaf for r in reports if r.leaf is not None), key=lambda leaf: leaf.path))
    removed: tuple[str, ...] = ()
    if changed_base is not None:
        from labgen.taxonomy.diff import DELETED, RENAMED, changed_leaves

        diff = changed_leaves(taxonomy, changed_base)
        removed = tuple(sorted({c.path for c in diff.changes if c.status == DELETED}
                               | {c.old_path for c in diff.changes if c.status == RENAMED and c.old_path}))
    return Selection(leaves=leaves, removed=removed, changed_base=changed_base)


def leaf_documents(leaf: Leaf, taxonomy: Path) -> list[Document]:
    """A knowledge leaf's source documents (validated already, so failures here are rare)."""
    if leaf.document is None:
        return []
    from labgen.taxonomy.documents import resolve_documents

    return resolve_documents(leaf.document, Path(taxonomy))
