"""Reading one qna.yaml safely: size cap, taxonomy-root containment, UTF-8, then YAML with positions.

Every refusal is a `QnaLoadError` naming the line and column where there is one, and the fix.
"""

from __future__ import annotations

import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from labgen.errors import TaxonomyError
from labgen.taxonomy.yaml_tree import Position, YamlPath, YamlTreeError, parse_yaml

DEFAULT_MAX_BYTES = 1024 * 1024


class QnaLoadError(TaxonomyError):
    """A qna.yaml that cannot be read into a mapping; `line`/`col` are 1-based when known."""

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None,
                 col: int | None = None, hint: str | None = None) -> None:
        self.col = col
        super().__init__(message, path=path, line=line, hint=hint)


@dataclass(frozen=True)
class LoadedQna:
    """A parsed qna.yaml: its raw bytes, its top-level mapping and where each key sits."""

    file: Path
    raw: bytes
    data: dict[str, Any]
    positions: Mapping[YamlPath, Position] = field(repr=False)

    def position(self, path: YamlPath) -> Position:
        """Line and column of `path`, or of its nearest ancestor that exists in the file."""
        while path not in self.positions and path:
            path = path[:-1]
        return self.positions.get(path, (1, 1))


def check_inside_root(file: Path, taxonomy_root: Path | None) -> None:
    """Refuse a file (or a folder link on its way) that resolves outside the taxonomy root."""
    if taxonomy_root is None:
        return
    real = file.resolve()
    root = taxonomy_root.resolve()
    if not real.is_relative_to(root):
        raise QnaLoadError(f"the file resolves outside the taxonomy root {root} (to {real}) through a "
                           "symbolic link",
                           path=file, hint="copy the file into the taxonomy instead of linking to it")


def read_capped(file: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The file's bytes, refusing non-regular files and anything over `max_bytes` without reading it."""
    try:
        info = file.stat()
    except FileNotFoundError:
        raise QnaLoadError("the file does not exist (or is a broken symbolic link)", path=file) from None
    except OSError as error:
        raise QnaLoadError(f"the file cannot be read: {error.strerror}", path=file) from None
    if not stat.S_ISREG(info.st_mode):
        raise QnaLoadError("the file is not a regular file", path=file,
                           hint="a qna.yaml must be a plain YAML file")
    if info.st_size > max_bytes:
        raise QnaLoadError(f"the file is {info.st_size:,} bytes, over the {max_bytes:,}-byte limit for a "
                           "qna.yaml", path=file, hint="a qna.yaml holds a few seed examples; move long material "
                           "into the knowledge documents")
    try:
        with open(file, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as error:
        raise QnaLoadError(f"the file cannot be read: {error.strerror}", path=file) from None
    if len(data) > max_bytes:
        raise QnaLoadError(f"the file is over the {max_bytes:,}-byte limit for a qna.yaml", path=file)
    return data


def _line_col(data: bytes, offset: int) -> Position:
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1


def decode_text(file: Path, data: bytes) -> str:
    """UTF-8 text of the file (a leading BOM is allowed); binary or other encodings are refused."""
    nul = data.find(b"\x00")
    if nul >= 0:
        line, col = _line_col(data, nul)
        raise QnaLoadError(f"the file is binary, not YAML text (a NUL byte at offset {nul})", path=file,
                           line=line, col=col, hint="save it as UTF-8 text (UTF-16 files contain NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line, col = _line_col(data, error.start)
        raise QnaLoadError(f"the file is not valid UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start})",
                           path=file, line=line, col=col, hint="save the file as UTF-8") from None
    return text[1:] if text.startswith("\ufeff") else text


def _syntax_error(file: Path, text: str, error: yaml.YAMLError) -> QnaLoadError:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if mark is None:
        position = getattr(error, "position", None)
        line = text.count("\n", 0, position) + 1 if isinstance(position, int) else None
        reason = getattr(error, "reason", None) or str(error).splitlines()[0]
        return QnaLoadError(f"the file cannot be read as YAML: {reason}", path=file, line=line,
                            hint="remove control characters from the file")
    line, col = mark.line + 1, mark.column + 1
    lines = text.splitlines()
    source_line = lines[mark.line] if 0 <= mark.line < len(lines) else ""
    indent = source_line[: len(source_line) - len(source_line.lstrip(" \t"))]
    if "\t" in indent or source_line[mark.column: mark.column + 1] == "\t":
        return QnaLoadError("a tab character is used for indentation", path=file, line=line, col=col,
                            hint="YAML indents with spaces only; replace the tabs with spaces")
    problem = getattr(error, "problem", None) or "invalid YAML"
    context = getattr(error, "context", None)
    message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    return QnaLoadError(message, path=file, line=line, col=col,
                        hint="check the indentation and quoting around this line")


def parse_qna_text(file: Path, raw: bytes, text: str) -> LoadedQna:
    """Parse decoded text into a LoadedQna whose top level is a mapping."""
    if not text.strip():
        raise QnaLoadError("the file is empty", path=file, line=1, col=1,
                           hint="write the leaf's fields (version, created_by, seed_examples, ...)")
    try:
        value, positions = parse_yaml(text)
    except YamlTreeError as error:
        raise QnaLoadError(error.message, path=file, line=error.line, col=error.col) from None
    except yaml.YAMLError as error:
        raise _syntax_error(file, text, error) from None
    except RecursionError:  # pragma: no cover - the builder is iterative; kept as a last guard
        raise QnaLoadError("the file is nested too deeply to read", path=file) from None
    if not value:  # None, {}, [], false, 0, '': nothing to read (InstructLab calls these empty too)
        raise QnaLoadError("the file is empty (only comments, blank lines or an empty value)", path=file, line=1,
                           col=1,
                           hint="write the leaf's fields (version, created_by, seed_examples, ...)")
    if not isinstance(value, dict):
        kind = "a list" if isinstance(value, list) else f"a single {type(value).__name__} value"
        raise QnaLoadError(f"the file has {kind} at the top level, not a mapping of fields", path=file, line=1,
                           col=1, hint="start the file with `version:`, `created_by:` and the other fields")
    return LoadedQna(file=file, raw=raw, data=value, positions=positions)


def load_qna(file: Path, *, taxonomy_root: Path | None = None,
             max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedQna:
    """Read and parse one qna.yaml, refusing unsafe or malformed input with a QnaLoadError."""
    check_inside_root(file, taxonomy_root)
    raw = read_capped(file, max_bytes)
    return parse_qna_text(file, raw, decode_text(file, raw))

