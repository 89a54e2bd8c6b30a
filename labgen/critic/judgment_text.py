"""Reading a verdict out of a judge's free text: YES/NO answers and 1..N scores, through the noise.

Models wrap the verdict in preambles, markdown, "Score: 3/3", "rating of 2", a bare "Yes." first word or
a trailing "Confidence: 90%". Each parser returns where the verdict word sits in the text, so the
confidence code can find the token the model chose it with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

YES_WORDS = ("yes", "pass", "true")
NO_WORDS = ("no", "fail", "false")
_WORD = r"(yes|no|pass|fail|true|false)"
_LABEL = r"(?:final\s+)?(?:verdict|answer|judg(?:e)?ment|decision|result|conclusion)"
# Markdown emphasis and headings between a label and its value: "**Verdict:** YES", "## Verdict\nYES".
_DECOR = r"[\s*_`#>\[\]()\"']*"

_LABELLED_BINARY = re.compile(_LABEL + _DECOR + r"(?:[:=\-]|is\s*:?)" + _DECOR + _WORD + r"\b", re.IGNORECASE)
_FIRST_WORD_BINARY = re.compile(r"^" + _DECOR + _WORD + r"\b", re.IGNORECASE)
_LINE_ONLY_BINARY = re.compile(r"^" + _DECOR + _WORD + r"[\s.!*_`]*$", re.IGNORECASE | re.MULTILINE)

_LABELLED_SCORE = re.compile(
    r"(?:score|rating|rate|rated|grade|quality)" + _DECOR + r"(?:[:=\-]|of|is|as)?" + _DECOR + r"(\d+)"
    r"(?:\s*(?:/|out\s+of)\s*(\d+))?", re.IGNORECASE)
_FRACTION = re.compile(r"(?<![\d.])(\d+)\s*(?:/|out\s+of)\s*(\d+)\b", re.IGNORECASE)
_LINE_ONLY_SCORE = re.compile(r"^" + _DECOR + r"(\d+)[\s.!*_`]*$", re.MULTILINE)
_FIRST_SCORE = re.compile(r"^" + _DECOR + r"(\d+)\b(?![.,]\d|\s*%)")
_REASON = re.compile(r"(?:reason|explanation|rationale)" + _DECOR + r"[:=\-]" + _DECOR + r"(.+)", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedJudgment:
    """A verdict read from text. value: True/False for YES/NO judges, the integer score for scales."""

    value: bool | int
    start: int  # character offset of the verdict word in the text
    end: int
    explanation: str


def _explanation(text: str) -> str:
    match = _REASON.search(text)
    sentence = match.group(1) if match else text
    sentence = re.sub(r"[*_`#]+", "", sentence).strip()
    return sentence.splitlines()[0][:200] if sentence else ""


def parse_binary(text: str) -> ParsedJudgment | None:
    """YES/NO from a judge's text, or None when no verdict can be read."""
    if not text or not text.strip():
        return None
    labelled = list(_LABELLED_BINARY.finditer(text))
    if labelled:
        found = labelled[-1]
    else:
        alone = list(_LINE_ONLY_BINARY.finditer(text))
        found = _FIRST_WORD_BINARY.search(text) or (alone[-1] if alone else None)
    if found is None:
        return None
    word = found.group(1).lower()
    return ParsedJudgment(value=word in YES_WORDS, start=found.start(1), end=found.end(1),
                          explanation=_explanation(text))


def parse_scale(text: str, maximum: int) -> ParsedJudgment | None:
    """An integer score in 1..maximum from a judge's text, or None when none can be read."""
    if not text or not text.strip():
        return None
    candidates = [m for m in _LABELLED_SCORE.finditer(text) if _fits(m, maximum)]
    if not candidates:
        candidates = [m for m in _FRACTION.finditer(text) if _fits(m, maximum)]
    if not candidates:
        candidates = [m for m in _LINE_ONLY_SCORE.finditer(text) if _fits(m, maximum)]
    if not candidates:
        first = _FIRST_SCORE.search(text)
        candidates = [first] if first is not None and _fits(first, maximum) else []
    if not candidates:
        return None
    found = candidates[-1]
    return ParsedJudgment(value=int(found.group(1)), start=found.start(1), end=found.end(1),
                          explanation=_explanation(text))


def _fits(match: re.Match[str], maximum: int) -> bool:
    value = int(match.group(1))
    groups = match.groups()
    denominator = groups[1] if len(groups) > 1 else None
    if denominator is not None and int(denominator) != maximum:
        return False
    return 1 <= value <= maximum
