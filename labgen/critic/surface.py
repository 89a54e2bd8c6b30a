"""Checks on the surface of a sample: empty, truncated, refusal, echo, seed copy, blocklist, personal data.

Each returns a Verdict, or None when it does not apply (no finish reason known, no seeds given).
"""

from __future__ import annotations

import re

from labgen.critic.confidence import confidence_from_score
from labgen.critic.pii import find_pii
from labgen.critic.refusal import find_refusal
from labgen.critic.similarity import containment, jaccard, jaccard_of, normalized_words, shingles
from labgen.records import Verdict

_MIN_ECHO_WORDS = 6  # shorter answers occur in any prompt by chance ("Paris")


def check_empty(question: str, answer: str) -> Verdict:
    if not re.search(r"\w", answer or ""):
        return Verdict("empty", False, 0.0, "the answer is empty", confidence=1.0)
    if not re.search(r"\w", question or ""):
        return Verdict("empty", False, 0.0, "the question is empty", confidence=1.0)
    return Verdict("empty", True, 1.0, "question and answer present", confidence=1.0)


def _last_word(text: str) -> str:
    """The run of word characters (\\w: alphanumeric or _) that ends text, which ends in one; walked from
    the end, since a regex anchored at the end still tries every position before it."""
    start = len(text)
    while start and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    return text[start:]


_CUT_OFF_ENDINGS = frozenset("""a an the of to in on at by for with from and or but is are was were be been
    its their his her our your this that these those which who whose than as if because""".split())


def check_truncated(answer: str, finish_reason: str | None) -> Verdict | None:
    """Cut off at the token limit (finish reason 'length'), or ending mid-sentence on a function word."""
    if finish_reason == "length":
        return Verdict("truncated", False, 0.0, "the answer was cut off at the token limit (finish reason "
                       "'length')", confidence=1.0)
    stripped = (answer or "").rstrip()
    if stripped and stripped[-1].isalnum():
        last = _last_word(stripped)
        if last.lower() in _CUT_OFF_ENDINGS:
            return Verdict("truncated", False, 0.0, f"the answer stops mid-sentence on {last!r}", confidence=0.8)
    if finish_reason is None:
        return None
    return Verdict("truncated", True, 1.0, f"finished ({finish_reason})", confidence=1.0)


def check_refusal(answer: str) -> Verdict:
    phrase = find_refusal(answer)
    if phrase:
        return Verdict("refusal", False, 0.0, f"refusal or non-answer boilerplate: {phrase!r}", confidence=0.9)
    return Verdict("refusal", True, 1.0, "no refusal boilerplate", confidence=0.9)


def check_echo(question: str, answer: str, prompt_text: str | None, context: str | None,
               threshold: float) -> Verdict:
    """The answer repeats the question, or copies the prompt's own text (not its context)."""
    return echo_verdict(echo_measure(question, answer, prompt_text, context), threshold)


def echo_measure(question: str, answer: str, prompt_text: str | None, context: str | None) -> tuple[float, str]:
    """(similarity, "question" or "prompt"): how much of the answer repeats its question or prompt."""
    answer_words = normalized_words(answer)
    similarity = 1.0 if answer_words == normalized_words(question) else jaccard(answer, question)
    if len(answer_words) >= 3:  # a piece of the question given back as the answer
        similarity = max(similarity, containment(answer, question))
    source = "question"
    if prompt_text and len(answer_words) >= _MIN_ECHO_WORDS:
        answer_shingles = shingles(answer)
        # Words the answer shares with its context are grounding, not echo, however the prompt laid it out.
        grounded = shingles(context) if context else frozenset()
        # A shingle occurs in the prompt when its words, space-separated, occur in the prompt's words
        # joined so: a substring search instead of every shingle of a long prompt seen once.
        prompt = f" {' '.join(normalized_words(prompt_text))} "
        borrowed = sum(1 for words in answer_shingles if words not in grounded and f" {' '.join(words)} " in prompt)
        copied = borrowed / len(answer_shingles) if answer_shingles else 0.0
        if copied > similarity:
            similarity, source = copied, "prompt"
    return similarity, source


def echo_verdict(measure: tuple[float, str], threshold: float) -> Verdict:
    similarity, source = measure
    passed = similarity < threshold
    reason = (f"answer is {similarity:.0%} similar to the {source}" if not passed
              else f"answer differs from the question and prompt (max similarity {similarity:.0%})")
    return Verdict("echo", passed, 1.0 - similarity, reason, confidence=confidence_from_score(similarity, threshold))


def check_seed_copy(question: str, answer: str, seed_texts: tuple[str, ...], threshold: float) -> Verdict | None:
    """The sample copies one of the leaf's seed examples (whole examples or their question/answer)."""
    measure = seed_copy_measure(question, answer, seed_texts)
    return None if measure is None else seed_copy_verdict(measure, threshold)


def seed_copy_measure(question: str, answer: str, seed_texts: tuple[str, ...]) -> tuple[float, int] | None:
    """(best similarity, index of that seed text); None without seed texts."""
    if not seed_texts:
        return None
    pair, answer_shingles = shingles(f"{question}\n{answer}"), shingles(answer)
    best, best_index = 0.0, -1
    question_shingles = shingles(question) if len(normalized_words(question)) > 3 else None
    for index, seed in enumerate(seed_texts):
        seed_shingles = shingles(seed)
        similarity = max(jaccard_of(pair, seed_shingles),
                         jaccard_of(question_shingles, seed_shingles) if question_shingles is not None else 0.0,
                         jaccard_of(answer_shingles, seed_shingles))
        if similarity > best:
            best, best_index = similarity, index
    return best, best_index


def seed_copy_verdict(measure: tuple[float, int], threshold: float) -> Verdict:
    best, best_index = measure
    passed = best < threshold
    reason = (f"copies seed example {best_index} ({best:.0%} similar)" if not passed
              else f"differs from the seed examples (max similarity {best:.0%})")
    return Verdict("seed_copy", passed, 1.0 - best, reason, confidence=confidence_from_score(best, threshold))


def check_blocklist(question: str, answer: str, blocklist: tuple[str, ...]) -> Verdict | None:
    terms = [term.strip() for term in blocklist if term and term.strip()]
    if not terms:
        return None
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(term) for term in terms) + r")(?!\w)",
                         re.IGNORECASE)
    hits = sorted({m.group(0).lower() for m in pattern.finditer(f"{question}\n{answer}")})
    if hits:
        return Verdict("blocklist", False, 0.0, "blocked terms: " + ", ".join(hits[:5]), confidence=1.0)
    return Verdict("blocklist", True, 1.0, "no blocked terms", confidence=1.0)


def check_pii(question: str, answer: str) -> Verdict:
    findings = find_pii(f"{question}\n{answer}")
    if findings:
        kinds = sorted({f.kind for f in findings})
        return Verdict("pii", False, 0.0, f"personal data ({', '.join(kinds)}): "
                       + ", ".join(f.text for f in findings[:3]), confidence=0.95)
    return Verdict("pii", True, 1.0, "no obvious personal data", confidence=0.95)
