"""The taxonomy's record types: a leaf, its seed examples, its document reference, its problems.

These are the contract between the taxonomy package and the rest of labgen (generation, mix).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The top folders of a taxonomy, which give a leaf its branch.
BRANCHES = ("knowledge", "compositional_skills", "foundational_skills")

# Generation pipelines. A skill leaf is grounded when its seed examples carry `context`.
KNOWLEDGE = "knowledge"
FREEFORM_SKILL = "freeform_skill"
GROUNDED_SKILL = "grounded_skill"
KINDS = (KNOWLEDGE, FREEFORM_SKILL, GROUNDED_SKILL)

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class QnA:
    question: str
    answer: str


@dataclass(frozen=True)
class SeedExample:
    """One seed example. Skills have exactly one QnA; knowledge seeds have one context and >= 3 QnAs."""

    id: str  # stable within the leaf: "seed-0", "seed-1", ... in file order
    qna: tuple[QnA, ...]
    context: str | None = None
    line: int | None = None  # line of the example in qna.yaml


@dataclass(frozen=True)
class DocumentRef:
    """Where a knowledge leaf's source documents live (qna.yaml `document`)."""

    repo: str  # remote URL, or a local path to a git repository (labgen's extension; relative to the taxonomy root)
    commit: str
    patterns: tuple[str, ...]


@dataclass(frozen=True)
class Document:
    """One resolved source document of a knowledge leaf."""

    source: str  # "<repo>@<commit>:<path>"
    path: str  # path inside the repository
    text: str
    sha256: str


@dataclass(frozen=True)
class Leaf:
    path: str  # the leaf's folder relative to the taxonomy root, posix style: "compositional_skills/writing/haiku"
    file: str  # absolute path of qna.yaml
    branch: str  # one of BRANCHES
    kind: str  # one of KINDS
    version: int
    created_by: str
    description: str  # task_description for skills, domain for knowledge
    seed_examples: tuple[SeedExample, ...]
    content_hash: str  # sha256 of qna.yaml's bytes (and attribution.txt when present)
    document: DocumentRef | None = None
    document_outline: str | None = None
    data: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class Problem:
    severity: str  # ERROR or WARNING
    message: str
    line: int | None = None
    col: int | None = None


@dataclass(frozen=True)
class LeafReport:
    """Validation result of one qna.yaml (or a misnamed qna.yml)."""

    path: str  # the file as given or found, relative to the cwd when possible
    kind: str | None
    version: int | None
    problems: tuple[Problem, ...]
    leaf: Leaf | None = None  # None when the file could not be loaded into a Leaf

    @property
    def valid(self) -> bool:
        return not any(p.severity == ERROR for p in self.problems)
