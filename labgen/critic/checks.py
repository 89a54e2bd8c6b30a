"""The deterministic layer of the critic: every check that costs no tokens, run on one sample."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from labgen.critic.confidence import confidence_from_score
from labgen.critic.combine import combined_score, critic_record
from labgen.critic.config import DEFAULT_CONFIG, CriticConfig
from labgen.critic.grounding import lexical_support
from labgen.critic.language import detect_language
from labgen.critic.surface import (check_blocklist, check_empty, check_pii, check_refusal, check_truncated,
                                   echo_measure, echo_verdict, seed_copy_measure, seed_copy_verdict)
from labgen.records import Verdict

__all__ = ["CHECK_INPUT_SETTINGS", "CHECK_THRESHOLDS", "DETERMINISTIC_CHECKS", "NEEDS_TEXT", "CheckInput", "Measured",
           "combined_score", "critic_record", "decide_check", "measure_check", "measure_checks", "run_checks"]

DETERMINISTIC_CHECKS = ("empty", "truncated", "refusal", "echo", "seed_copy", "language", "lexical_support",
                        "pii", "blocklist")
# Checks that run only when the sample has a question and an answer (`empty` passed).
NEEDS_TEXT = frozenset({"refusal", "echo", "seed_copy", "language", "lexical_support"})
# Settings that only move a check's threshold: its stored measure is decided again, nothing is recomputed.
CHECK_THRESHOLDS: dict[str, tuple[str, ...]] = {
    "echo": ("echo_similarity",), "seed_copy": ("seed_copy_similarity",), "language": ("min_language_score",),
    "lexical_support": ("min_lexical_support", "min_sentence_support")}
# Settings that change what a check measures (or whether it runs): the check is computed again.
CHECK_INPUT_SETTINGS: dict[str, tuple[str, ...]] = {
    "language": ("language",), "pii": ("check_pii",), "blocklist": ("blocklist",)}


@dataclass(frozen=True)
class CheckInput:
    """One sample as the checks see it. context None: no grounding text (freeform skills)."""

    question: str
    answer: str
    context: str | None
    finish_reason: str | None = None  # of the answer's completion; "length" means truncated
    prompt_text: str | None = None  # the prompt the answer was generated from, for the echo check
    seed_texts: tuple[str, ...] = ()  # the leaf's seed examples (whole, or question and answer apart)


@dataclass(frozen=True)
class Measured:
    """A check's verdict and, for thresholded checks, the measure it was decided from (JSON-ready), so
    that a new threshold re-decides it without the inputs (`decide_check`)."""

    verdict: Verdict
    measure: Sequence[Any] | None = None


def run_checks(item: CheckInput, config: CriticConfig | None = None) -> list[Verdict]:
    """Every deterministic check that applies to the item, in DETERMINISTIC_CHECKS order."""
    return [m.verdict for m in measure_checks(item, config)]


def measure_checks(item: CheckInput, config: CriticConfig | None = None) -> list[Measured]:
    """run_checks with each thresholded check's measure kept beside its verdict."""
    config = config or DEFAULT_CONFIG
    out = []
    for name in DETERMINISTIC_CHECKS:
        if name in NEEDS_TEXT and out and not out[0].verdict.passed:
            continue  # nothing to judge without a question and an answer
        measured = measure_check(name, item, config)
        if measured is not None:
            out.append(measured)
    return out


def measure_check(name: str, item: CheckInput, config: CriticConfig) -> Measured | None:
    """One check on the item; None when it does not apply (or is turned off)."""
    question, answer = item.question or "", item.answer or ""
    if name == "empty":
        return Measured(check_empty(question, answer))
    if name == "truncated":
        return _plain(check_truncated(answer, item.finish_reason))
    if name == "refusal":
        return Measured(check_refusal(answer))
    if name == "pii":
        return Measured(check_pii(question, answer)) if config.check_pii else None
    if name == "blocklist":
        return _plain(check_blocklist(question, answer, config.blocklist))
    if name == "echo":
        measure: tuple[Any, ...] | None = echo_measure(question, answer, item.prompt_text, item.context)
        return Measured(decide_check(name, measure, config), measure)
    if name == "seed_copy":
        measure = seed_copy_measure(question, answer, item.seed_texts)
        return None if measure is None else Measured(decide_check(name, measure, config), measure)
    if name == "language":
        found = language_measure(question, answer, config)
        return None if found is None else Measured(language_verdict(found[0], found[1], config), found[0])
    if name == "lexical_support":
        support = lexical_support_measure(question, answer, item.context)
        return None if support is None else Measured(lexical_support_verdict(support[0], support[1], config),
                                                      support[0])
    raise ValueError(f"no deterministic check named {name!r}")


def decide_check(name: str, measure: Any, config: CriticConfig, reason: str = "") -> Verdict:
    """A thresholded check's verdict from its measure under `config` (what a fresh check would say);
    `reason`: the check's reason as first given, for the checks whose reason no threshold changes
    (language, lexical_support), which is why their measure need not repeat it."""
    if name == "echo":
        return echo_verdict((float(measure[0]), str(measure[1])), config.echo_similarity)
    if name == "seed_copy":
        return seed_copy_verdict((float(measure[0]), int(measure[1])), config.seed_copy_similarity)
    if name == "language":
        return language_verdict(measure, reason, config)
    if name == "lexical_support":
        return lexical_support_verdict(measure, reason, config)
    raise ValueError(f"check {name!r} has no threshold to decide again")


def _plain(verdict: Verdict | None) -> Measured | None:
    return None if verdict is None else Measured(verdict)


def check_language(question: str, answer: str, config: CriticConfig) -> Verdict | None:
    """Question and answer are judged apart: an English question must not hide a French answer."""
    found = language_measure(question, answer, config)
    return None if found is None else language_verdict(found[0], found[1], config)


def language_measure(question: str, answer: str, config: CriticConfig) -> tuple[tuple[float, int], str] | None:
    """((score, words), reason) of the worse of question and answer; None when the check is off."""
    if config.language is None:
        return None
    reports = [detect_language(text, config.language) for text in (answer, question)]
    judged = [r for r in reports if r.words >= 4] or reports[:1]
    worst = min(judged, key=lambda r: r.score)
    return (worst.score, worst.words), f"{'answer' if worst is reports[0] else 'question'} {worst.reason}"


def language_verdict(measure: Any, reason: str, config: CriticConfig) -> Verdict:
    score, words = float(measure[0]), int(measure[1])
    passed = score >= config.min_language_score
    confidence = (confidence_from_score(score, config.min_language_score) if words >= 8
                  else 0.5 + 0.05 * words)
    return Verdict("language", passed, score, reason, confidence=confidence)


def check_lexical_support(question: str, answer: str, context: str | None, config: CriticConfig) -> Verdict | None:
    """Grounding in the context's words; only for samples that have a context."""
    found = lexical_support_measure(question, answer, context)
    return None if found is None else lexical_support_verdict(found[0], found[1], config)


def lexical_support_measure(question: str, answer: str,
                            context: str | None) -> tuple[tuple[float, float], str] | None:
    """((score, weakest sentence's support), reason); None without a context."""
    if not context or not context.strip():
        return None
    report = lexical_support(answer, context, question)
    return (report.score, report.weakest_sentence), report.reason()


def lexical_support_verdict(measure: Any, reason: str, config: CriticConfig) -> Verdict:
    score, weakest = float(measure[0]), float(measure[1])
    passed = score >= config.min_lexical_support and weakest >= config.min_sentence_support
    confidence = confidence_from_score(score, config.min_lexical_support)
    return Verdict("lexical_support", passed, score, reason, confidence=confidence)
