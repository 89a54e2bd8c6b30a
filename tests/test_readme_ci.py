"""The README's install and test commands are exactly what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_block(heading: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"^## {heading}\n.*?```bash\n(.*?)\n```", text, re.S | re.M)
    assert match, f"README has no ```bash block under '## {heading}'"
    return match.group(1).strip()


def test_ci_runs_the_readme_install_and_test_commands() -> None:
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    assert _readme_block("Install") in ci_lines
    assert _readme_block("Test") in ci_lines
    assert ci_lines.index(_readme_block("Install")) < ci_lines.index(_readme_block("Test"))
