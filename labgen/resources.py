"""Where labgen's shipped data lives, in an installed wheel and in a checkout alike."""

from __future__ import annotations

from pathlib import Path

from labgen.errors import LabgenError

_PACKAGE = Path(__file__).resolve().parent


def prompts_dir() -> Path:
    """The folder of prompt templates: packaged in the wheel, or the checkout's top-level prompts/."""
    for candidate in (_PACKAGE / "_data" / "prompts", _PACKAGE.parent / "prompts"):
        if candidate.is_dir():
            return candidate
    raise LabgenError("the prompt templates are missing from this installation",
                      hint="reinstall labgen: pip install --force-reinstall labgen")
