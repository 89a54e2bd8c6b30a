"""Confidence of a verdict: the probability the teacher gave its verdict token, or one derived from a score.

Token probabilities come from Completion.choices[0].logprobs. The verdict token is the one covering the
verdict word's first character; its probability mass is summed over the equivalent spellings among the
top alternatives (" YES", "Yes", "yes", "Y"...), so a model hesitating between casings is not counted
as unsure.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from labgen.teachers.base import TokenLogprob

_STRIP = " \t\n\r\u2581\u0120*_`\"'.,:;!()[]#"  # spaces incl. SentencePiece/BPE markers, markdown, punctuation


def normalize_token(token: str) -> str:
    return token.strip(_STRIP).lower()


def binary_class(token: str) -> bool | None:
    """True for a token spelling YES (or its start), False for NO, None otherwise."""
    norm = normalize_token(token)
    if not norm:
        return None
    for word, value in (("yes", True), ("no", False), ("pass", True), ("fail", False),
                        ("true", True), ("false", False)):
        if word.startswith(norm) or (norm.startswith(word) and not norm[len(word):].isalpha()):
            return value
    return None


def score_class(token: str, maximum: int) -> int | None:
    """The integer a token spells when it is a score in 1..maximum, else None."""
    norm = normalize_token(token)
    if norm.isdigit() and 1 <= int(norm) <= maximum:
        return int(norm)
    return None


def locate_token(tokens: Sequence[TokenLogprob], text: str, char_start: int,
                 classify: Callable[[str], object]) -> int | None:
    """Index of the token holding the verdict word that starts at char_start in text.

    Token strings usually concatenate to the text; when they do not (byte-level pieces, a server that
    re-spaces), fall back to the last token that spells a verdict.
    """
    if "".join(t.token for t in tokens) == text:
        offset = 0
        for index, tok in enumerate(tokens):
            end = offset + len(tok.token)
            if offset <= char_start < end and classify(tok.token) is not None:
                return index
            if end > char_start and classify(tok.token) is None:
                break
            offset = end
    for index in range(len(tokens) - 1, -1, -1):
        if classify(tokens[index].token) is not None:
            return index
    return None


def distribution(entry: TokenLogprob, classify: Callable[[str], object]) -> dict[object, float]:
    """Probability mass per verdict class at one token position (chosen token and its alternatives)."""
    seen: dict[str, float] = {entry.token: entry.logprob}
    for token, logprob in entry.top:
        seen.setdefault(token, logprob)
    mass: dict[object, float] = {}
    for token, logprob in seen.items():
        cls = classify(token)
        if cls is not None:
            mass[cls] = mass.get(cls, 0.0) + math.exp(max(logprob, -100.0))
    return {cls: min(p, 1.0) for cls, p in mass.items()}


def verdict_distribution(tokens: Sequence[TokenLogprob] | None, text: str, char_start: int,
                         classify: Callable[[str], object]) -> dict[object, float] | None:
    """The verdict classes' probabilities at the verdict token, or None without usable logprobs."""
    if not tokens:
        return None
    index = locate_token(tokens, text, char_start, classify)
    if index is None:
        return None
    mass = distribution(tokens[index], classify)
    return mass or None


def confidence_from_score(score: float, threshold: float, *, sharpness: float = 8.0) -> float:
    """How sure a deterministic check is: 0.5 at its threshold, towards 1 as the score moves away.

    A logistic of the distance from the threshold, so borderline scores are reported as unsure.
    """
    return 1.0 / (1.0 + math.exp(-sharpness * abs(score - threshold)))
