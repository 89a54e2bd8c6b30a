"""The error hierarchy. The library raises these; the CLI turns them into a clean message and exit code.

Every message should say what is wrong, where (file and line when there is one) and what to do about it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class LabgenError(Exception):
    """Base of every error labgen raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None,
                 hint: str | None = None) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        text = f"{where}{self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class UsageError(LabgenError):
    """The command was called wrongly (exit 2)."""

    exit_code = 2


class ConfigError(LabgenError):
    """A configuration file, recipe or option value is invalid."""

    exit_code = 2


class TaxonomyError(LabgenError):
    """The taxonomy cannot be read at all (not one bad leaf: those become problems)."""


class GitError(TaxonomyError):
    """A git operation on the taxonomy or a document repository failed."""


class DocumentError(TaxonomyError):
    """A knowledge leaf's source documents cannot be resolved."""


class TeacherError(LabgenError):
    """The teacher model cannot be used (not loaded, unreachable after retries, misconfigured)."""


class ContextLengthError(TeacherError):
    """A prompt does not fit the teacher's context window; retrying cannot help."""


class ClusterError(LabgenError):
    """The Ray cluster of `--executor ray` cannot be reached or used (ray missing, bad address, lost work)."""


class OutputError(LabgenError):
    """An output directory or file is unusable."""


class PipelineError(LabgenError):
    """A stage used a template or judge its kind's pipeline declaration does not name (a labgen bug)."""


def import_optional(module: str, error: type[LabgenError], needed_by: str, hint: str) -> Any:
    """`module` imported, or `error` saying what needs it and how to install it (an optional extra)."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise error(f"{needed_by} needs the {module} package, which is not importable ({exc})", hint=hint) from None
