"""The deterministic layer of the critic: every check that costs no tokens, run on one sample."""

from __future__ import annotations

from dataclasses import dataclass

from labgen.critic.confidence import confidence_from_score
from labgen.critic.combine import combined_score, critic_record
from labgen.critic.config import DEFAULT_CONFIG, CriticConfig
from labgen.critic.grounding import lexical_support
from labgen.critic.language import detect_language
from labgen.critic.surface import (check_blocklist, check_echo, check_empty, check_pii, check_refusal,
                                   check_seed_copy, check_truncated)
from labgen.records import Verdict

__all__ = ["DETERMINISTIC_CHECKS", "CheckInput", "combined_score", "critic_record", "run_checks"]

DETERMINISTIC_CHECKS = ("empty", "truncated", "refusal", "echo", "seed_copy", "language", "lexical_support",
                        "pii", "blocklist")


@dataclass(frozen=True)
class CheckInput:
    """One sample as the checks see it. context None: no grounding text (freeform skills)."""

    question: str
    answer: str
    context: str | None
    finish_reason: str | None = None  # of the answer's completion; "length" means truncated
    prompt_text: str | None = None  # the prompt the answer was generated from, for the echo check
    seed_texts: tuple[str, ...] = ()  # the leaf's seed examples (whole, or question and answer apart)


def run_checks(item: CheckInput, config: CriticConfig | None = None) -> list[Verdict]:
    """Every deterministic check that applies to the item, in DETERMINISTIC_CHECKS order."""
    config = config or DEFAULT_CONFIG
    question, answer = item.question or "", item.answer or ""
    empty = check_empty(question, answer)
    verdicts: list[Verdict | None] = [empty, check_truncated(answer, item.finish_reason)]
    if empty.passed:
        verdicts += [
            check_refusal(answer),
            check_echo(question, answer, item.prompt_text, item.context, config.echo_similarity),
            check_seed_copy(question, answer, item.seed_texts, config.seed_copy_similarity),
            check_language(question, answer, config),
            check_lexical_support(question, answer, item.context, config),
        ]
    if config.check_pii:
        verdicts.append(check_pii(question, answer))
    verdicts.append(check_blocklist(question, answer, config.blocklist))
    return [v for v in verdicts if v is not None]


def check_language(question: str, answer: str, config: CriticConfig) -> Verdict | None:
    """Question and answer are judged apart: an English question must not hide a French answer."""
    if config.language is None:
        return None
    reports = [detect_language(text, config.language) for text in (answer, question)]
    judged = [r for r in reports if r.words >= 4] or reports[:1]
    worst = min(judged, key=lambda r: r.score)
    passed = worst.score >= config.min_language_score
    confidence = (confidence_from_score(worst.score, config.min_language_score) if worst.words >= 8
                  else 0.5 + 0.05 * worst.words)
    which = "answer" if worst is reports[0] else "question"
    return Verdict("language", passed, worst.score, f"{which} {worst.reason}", confidence=confidence)


def check_lexical_support(question: str, answer: str, context: str | None, config: CriticConfig) -> Verdict | None:
    """Grounding in the context's words; only for samples that have a context."""
    if not context or not context.strip():
        return None
    report = lexical_support(answer, context, question)
    passed = report.score >= config.min_lexical_support and report.weakest_sentence >= config.min_sentence_support
    confidence = confidence_from_score(report.score, config.min_lexical_support)
    return Verdict("lexical_support", passed, report.score, report.reason(), confidence=confidence)
