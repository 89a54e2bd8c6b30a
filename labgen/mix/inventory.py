"""The first pass over a run: which leaves it holds, their kind, and how many rows of each answer style.

Counting never parses JSON: it reads complete lines and finds the `answer_style` value with a byte
pattern, falling back to a full parse only when a line names that key more than once.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from labgen.errors import OutputError

SAMPLES_FILE = "samples.jsonl"
_STYLE_KEY = b'"answer_style"'
_STYLE = re.compile(rb'"answer_style"\s*:\s*(null|"((?:[^"\\]|\\.)*)")')
_READ_BUFFER = 1 << 20


@dataclass(frozen=True)
class LeafData:
    """One leaf's samples file and what the first pass learnt about it."""

    path: str  # leaf path, posix, relative to the run directory
    file: Path
    kind: str
    branch: str
    style_counts: tuple[tuple[str | None, int], ...]  # (answer_style, rows), sorted, None first

    @property
    def rows(self) -> int:
        return sum(count for _, count in self.style_counts)


def complete_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """Yield (line number, line) for each non-blank, newline-terminated line.

    A torn final line (a killed writer's) is skipped, as labgen.jsonl's reader does.
    """
    with open(path, "rb", buffering=_READ_BUFFER) as handle:
        for number, raw in enumerate(handle, start=1):
            if raw[-1:] != b"\n":
                return
            if not raw.isspace():
                yield number, raw


def answer_style_of(line: bytes) -> str | None:
    """The row's top-level `answer_style`, read from the raw line (None when absent or null).

    The key cannot occur unescaped inside a JSON string, so a single occurrence is the field itself;
    a line naming it more than once (a nested object) is parsed in full.
    """
    at = line.find(_STYLE_KEY)
    if at < 0:
        return None
    match = _STYLE.match(line, at)
    if match is None or line.find(_STYLE_KEY, at + len(_STYLE_KEY)) >= 0:
        try:
            row = json.loads(line)
        except ValueError:  # counted as a row here; reading it for output names the line
            return None
        value = row.get("answer_style") if isinstance(row, dict) else None
        return value if isinstance(value, str) else None
    inner = match.group(2)
    if inner is None:
        return None
    return inner.decode("utf-8") if b"\\" not in inner else str(json.loads(b'"' + inner + b'"'))


def find_sample_files(run_dir: Path) -> list[tuple[str, Path]]:
    """(leaf path, samples file) for every leaf of a run, in leaf-path order. Skips `.labgen/`."""
    found: list[tuple[str, Path]] = []
    for folder, dirs, files in os.walk(run_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if SAMPLES_FILE in files and Path(folder) != run_dir:
            leaf = Path(folder).relative_to(run_dir).as_posix()
            found.append((leaf, Path(folder) / SAMPLES_FILE))
    found.sort(key=lambda item: item[0])
    return found


def scan_leaf(leaf: str, file: Path, *, by_style: bool = True) -> LeafData | None:
    """Count a leaf's rows (per answer style when `by_style`, else all as None); None when it has none."""
    counts: dict[str | None, int] = {}
    first: bytes | None = None
    first_number = 0
    for number, line in complete_lines(file):
        if first is None:
            first, first_number = line, number
        style = answer_style_of(line) if by_style else None
        counts[style] = counts.get(style, 0) + 1
    if first is None:
        return None
    try:
        head = json.loads(first)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OutputError(f"line is not valid JSON ({exc})", path=file, line=first_number,
                          hint="samples.jsonl must hold one JSON object per line, as `labgen generate` writes") from None
    branch = leaf.split("/", 1)[0]
    kind = head.get("kind") if isinstance(head, dict) else None
    if not isinstance(kind, str):
        raise OutputError("the first sample has no 'kind'", path=file, line=first_number,
                          hint="samples.jsonl rows need kind, as docs/formats.md describes")
    ordered = sorted(counts.items(), key=lambda item: (item[0] is not None, item[0] or ""))
    return LeafData(path=leaf, file=file, kind=kind, branch=str(head.get("branch") or branch),
                    style_counts=tuple(ordered))


def scan_run(run_dir: Path, *, by_style: bool = True) -> list[LeafData]:
    """Every leaf of the run that has samples, in leaf-path order. Errors if the run is unusable.

    `by_style=False` skips reading answer styles, for recipes that do not filter on them.
    """
    if not run_dir.exists():
        raise OutputError("run directory not found", path=run_dir,
                          hint="run `labgen generate TAXONOMY --out OUT` first, then mix OUT")
    if not run_dir.is_dir():
        raise OutputError("not a directory", path=run_dir, hint="pass the --out folder of `labgen generate`")
    leaves = [data for leaf, file in find_sample_files(run_dir)
              if (data := scan_leaf(leaf, file, by_style=by_style))]
    if not leaves:
        raise OutputError("the run holds no samples (no non-empty <leaf>/samples.jsonl)", path=run_dir,
                          hint="check that `labgen generate` finished and kept samples")
    return leaves
