"""Lexical support: how much of an answer's content can be found in its context.

The first, token-free line against answers that go beyond their document. Each content word of the
answer counts by its specificity (numbers and names most, generic words least); a word is supported when
its stem (or a stem sharing a long prefix) occurs in the context or the question. The score mixes the
whole answer's weighted coverage with its least-supported sentence (one invented sentence is enough to
make an answer ungrounded), and each number or name absent from the context cuts it further.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from labgen.critic.arithmetic import derived_results
from labgen.critic.lexicon import Word, content_words, normalize_number, specificity, split_sentences

_MIN_PREFIX = 5  # stems sharing a prefix this long match: "organiz" ~ "organ", "construct" ~ "construction"
_SMOOTHING = 1.0  # pseudo-weight of supported content added to each sentence, so short ones don't dominate
_NUMBER_PENALTY = 0.6  # factor per number (in digits) of the answer absent from the context
_SPELLED_NUMBER_PENALTY = 0.85  # "nine in ten", "four fifths": often a paraphrase of the context's figure
_NAME_PENALTY = 0.8  # factor per name of the answer absent from the context
_LIST_MARKER = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*\u2022])\s+", re.MULTILINE)
_JSON_KEY = re.compile(r"\"[\w -]{1,40}\"\s*:")  # structure of a JSON answer, not content


@dataclass(frozen=True)
class SupportReport:
    """Lexical support of an answer in a context; score in 0..1."""

    score: float
    coverage: float  # weighted share of the answer's content words found in context or question
    weakest_sentence: float  # smoothed coverage of the least-supported sentence
    weakest_text: str
    missing_numbers: tuple[str, ...]
    missing_names: tuple[str, ...]
    content_words: int

    def reason(self) -> str:
        parts = [f"{self.coverage:.0%} of the answer's content found in the context",
                 f"weakest sentence {self.weakest_sentence:.0%}"]
        if self.missing_numbers:
            parts.append("numbers not in the context: " + ", ".join(self.missing_numbers[:5]))
        if self.missing_names:
            parts.append("names not in the context: " + ", ".join(self.missing_names[:5]))
        return "; ".join(parts)


class SupportIndex:
    """The stems of a context (and question) with their long prefixes, for fast membership tests."""

    def __init__(self, *texts: str) -> None:
        self.stems: set[str] = set()
        self.prefixes: set[str] = set()
        for text in texts:
            stems, prefixes = _text_stems(text or "")
            self.stems |= stems
            self.prefixes |= prefixes

    def supports(self, word: Word) -> bool:
        stem = word.stem
        if stem in self.stems:
            return True
        if word.is_number:
            return False
        if len(stem) >= _MIN_PREFIX and stem in self.prefixes:
            return True
        return any(stem[:end] in self.stems for end in range(_MIN_PREFIX, len(stem)))


@lru_cache(maxsize=4096)
def _text_stems(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """A text's content stems and their long prefixes (cached: one context serves many answers)."""
    stems: set[str] = set()
    prefixes: set[str] = set()
    for word in content_words(text):
        stems.add(word.stem)
        if not word.is_number:
            prefixes.update(word.stem[:end] for end in range(_MIN_PREFIX, len(word.stem)))
    return frozenset(stems), frozenset(prefixes)


def lexical_support(answer: str, context: str, question: str = "") -> SupportReport:
    """Score how well the context (plus the question's own words) covers the answer's content."""
    index = SupportIndex(context, question)
    for operands, result in derived_results(answer or ""):  # "78 + 61 + 55 = 194": 194 is grounded too
        if all(normalize_number(n) in index.stems for n in operands):
            index.stems.add(normalize_number(result))
    cleaned = _JSON_KEY.sub(" ", _LIST_MARKER.sub("", answer or ""))
    total_weight = supported_weight = 0.0
    weakest, weakest_text = 1.0, ""
    missing_numbers: dict[str, None] = {}
    missing_names: dict[str, None] = {}
    count = 0
    for sentence in split_sentences(cleaned):
        sentence_total = sentence_supported = 0.0
        for word in content_words(sentence):
            weight = specificity(word)
            ok = index.supports(word)
            count += 1
            sentence_total += weight
            sentence_supported += weight if ok else 0.0
            if not ok and word.is_number:
                missing_numbers[word.surface] = None
            elif not ok and word.is_name:
                missing_names[word.surface] = None
        if sentence_total == 0:
            continue
        total_weight += sentence_total
        supported_weight += sentence_supported
        smoothed = (sentence_supported + _SMOOTHING) / (sentence_total + _SMOOTHING)
        if smoothed < weakest:
            weakest, weakest_text = smoothed, sentence
    if total_weight == 0:
        return SupportReport(1.0, 1.0, 1.0, "", (), (), 0)
    coverage = supported_weight / total_weight
    digits = sum(1 for n in missing_numbers if any(c.isdigit() for c in n))
    score = (0.5 * coverage + 0.5 * weakest) * _NUMBER_PENALTY ** digits \
        * _SPELLED_NUMBER_PENALTY ** (len(missing_numbers) - digits) * _NAME_PENALTY ** len(missing_names)
    return SupportReport(score=score, coverage=coverage, weakest_sentence=weakest, weakest_text=weakest_text,
                         missing_numbers=tuple(missing_numbers), missing_names=tuple(missing_names),
                         content_words=count)


def word_overlap_baseline(answer: str, context: str) -> float:
    """The trivial baseline: share of the answer's content words (exact, lower-cased) found in the context."""
    context_words = {w.surface.lower() for w in content_words(context)}
    answer_words = [w.surface.lower() for w in content_words(answer)]
    if not answer_words:
        return 1.0
    return sum(1 for w in answer_words if w in context_words) / len(answer_words)
