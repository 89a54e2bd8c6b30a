"""`validate --strict`: InstructLab's YAML lint rules, applied as `ilab` applies them.

`ilab` (instructlab-sdg's DEFAULT_YAML_RULES) runs yamllint with `extends: relaxed` and a line length
of 120, on leaves of version 2 and later only; yamllint's errors are errors and its warnings warnings.
yamllint is imported only when --strict asks for it.
"""

from __future__ import annotations

import functools
from typing import Any

from labgen.taxonomy.leaf import ERROR, WARNING, Problem
from labgen.taxonomy.loader import LoadedQna

ILAB_YAMLLINT_CONFIG = """\
extends: relaxed

rules:
  line-length:
    max: 120
"""
_FIXES = {
    "trailing-spaces": "remove the spaces at the end of the line",
    "line-length": "break the line (a `|` block keeps the line breaks, `>` folds them into spaces)",
    "indentation": "indent this line like its siblings",
    "empty-lines": "remove the extra blank lines",
    "new-line-at-end-of-file": "end the file with a line break",
    "hyphens": "put one space after the `-`",
    "colons": "put no space before a `:` and one after it",
    "commas": "put no space before a `,` and one after it",
    "new-lines": "use Unix line breaks (\\n)",
    "key-duplicates": "keep only one of the keys",
}


@functools.lru_cache(maxsize=1)
def _config() -> Any:
    from yamllint.config import YamlLintConfig

    return YamlLintConfig(ILAB_YAMLLINT_CONFIG)


def lints_version(version: int | None) -> bool:
    """ilab lints leaves of version 2 and later; version 1 files (and unusable versions) are not linted."""
    return version is not None and version > 1


def yamllint_problems(loaded: LoadedQna) -> list[Problem]:
    """yamllint's findings on the file, at their line and column, each with the rule's name and a fix."""
    from yamllint import linter

    text = loaded.raw.decode("utf-8")
    text = text[1:] if text.startswith("\ufeff") else text
    problems = []
    for found in linter.run(text, _config()):
        rule = found.rule or "syntax"
        fix = _FIXES.get(rule, "see yamllint's documentation of this rule")
        severity = ERROR if found.level == "error" else WARNING
        problems.append(Problem(severity, f"yamllint {rule}: {found.desc}; {fix}", found.line, found.column))
    return problems
