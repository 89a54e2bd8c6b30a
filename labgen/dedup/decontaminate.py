"""Contamination: samples that share long word n-grams with an evaluation item (GPT-3's 13-gram rule).

An eval item of at least `eval_ngram` normalized words contaminates a sample that shares any of its
n-grams; a shorter item (of at least `eval_min_words` words) contaminates a sample that contains it whole,
as a contiguous run of words. Shorter items still are too generic to judge and are skipped (counted).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labgen.dedup.config import DedupConfig
from labgen.dedup.normalize import normalized_words
from labgen.errors import ConfigError

_TEXT_KEYS = ("text", "prompt", "question")


@dataclass(frozen=True)
class EvalItem:
    """One evaluation prompt (and reference answer, for messages rows), with where it came from."""

    text: str
    file: str
    line: int

    @property
    def ref(self) -> str:
        return f"eval:{self.file}:{self.line}"


@dataclass(frozen=True)
class Contamination:
    item: EvalItem
    rule: str  # "13-gram overlap" or "contains eval item"
    overlap: str  # the shared words

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.item.file, "line": self.item.line, "rule": self.rule, "overlap": self.overlap}


def load_eval_items(paths: Iterable[str | Path]) -> list[EvalItem]:
    """Read eval JSONL files: rows {"text"|"prompt"|"question": ...} or {"messages": [...]}; bad lines raise."""
    items: list[EvalItem] = []
    for path in paths:
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read evaluation file ({exc.strerror})", path=path,
                              hint="pass an existing JSONL file to --decontaminate") from None
        for lineno, line in enumerate(raw.split(b"\n"), start=1):
            if line.strip():
                items.append(EvalItem(text=_eval_text(line, path, lineno), file=str(path), line=lineno))
    return items


def _eval_text(line: bytes, path: Path, lineno: int) -> str:
    fix = 'each line must be a JSON object with "text" or "messages"'
    try:
        row = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"evaluation line is not valid JSON ({exc})", path=path, line=lineno, hint=fix) from None
    if not isinstance(row, dict):
        raise ConfigError("evaluation line is not a JSON object", path=path, line=lineno, hint=fix)
    for key in _TEXT_KEYS:
        if isinstance(row.get(key), str) and row[key].strip():
            answer = row.get("answer")
            return row[key] + ("\n" + answer if isinstance(answer, str) else "")
    messages = row.get("messages")
    if isinstance(messages, list) and messages:
        if all(isinstance(m, dict) and isinstance(m.get("content"), str) for m in messages):
            text = "\n".join(m["content"] for m in messages)
            if text.strip():
                return text
        raise ConfigError("evaluation messages must each be an object with a string content",
                          path=path, line=lineno, hint=fix)
    raise ConfigError("evaluation line has no text", path=path, line=lineno, hint=fix)


class ContaminationIndex:
    """The n-grams of a set of evaluation items, to test samples against."""

    def __init__(self, items: Sequence[EvalItem], config: DedupConfig | None = None) -> None:
        config = config or DedupConfig()
        self.ngram = config.eval_ngram
        self._grams: dict[int, dict[tuple[str, ...], int]] = {}  # n -> n-gram -> item index
        self.items = tuple(items)
        self.skipped: list[EvalItem] = []
        for index, item in enumerate(self.items):
            words = tuple(normalized_words(item.text))
            if len(words) >= self.ngram:
                table = self._grams.setdefault(self.ngram, {})
                for start in range(len(words) - self.ngram + 1):
                    table.setdefault(words[start:start + self.ngram], index)
            elif len(words) >= config.eval_min_words:
                self._grams.setdefault(len(words), {}).setdefault(words, index)
            else:
                self.skipped.append(item)

    def find(self, texts: Iterable[str | None]) -> Contamination | None:
        """The first eval item any of these texts (a sample's question, answer, context) overlaps, or None."""
        for text in texts:
            if not text:
                continue
            words = tuple(normalized_words(text))
            for n in sorted(self._grams, reverse=True):
                table = self._grams[n]
                for start in range(len(words) - n + 1):
                    index = table.get(words[start:start + n])
                    if index is not None:
                        rule = f"{n}-gram overlap" if n == self.ngram else "contains eval item"
                        return Contamination(self.items[index], rule, " ".join(words[start:start + n]))
        return None
