"""Refusal and non-answer boilerplate: "As an AI language model...", "I'm sorry, but I can't...",
"The context does not mention...". Training on these teaches the student to refuse or to dodge.
"""

from __future__ import annotations

import re

# "The source does not say" is a refusal only as a bare non-answer: a grounded skill may rightly answer
# "The table does not say. It lists only ..." and go on to explain.
_SOURCE_SILENT = (
    r"\b(?:the|this|that) (?:given |provided )?(?:context|passage|text|document|article|policy|manual|source|"
    r"information|excerpt|table) (?:does not|doesn't|did not|do not) "
    r"(?:mention|say|provide|contain|specify|include|state|discuss|give|cover)",
    r"\b(?:is|are) not (?:mentioned|provided|specified|stated|given|included|covered) in the "
    r"(?:context|passage|text|document|article|policy|manual|source|excerpt|table)",
    r"\b(?:there is|there's) no (?:information|mention) (?:about|of|on|regarding)\b",
)
_PATTERNS = (
    r"\bas an ai\b", r"\bas a (?:large )?language model\b", r"\bi(?:'m| am) (?:just )?an ai\b",
    r"\bi(?:'m| am) (?:sorry|afraid),? (?:but )?i (?:can(?:no|')t|am unable|won't|do not|don't)\b",
    r"\bi (?:can(?:no|')t|am unable to|am not able to|won't) (?:help|assist|provide|answer|comply|fulfil|do that)",
    r"\bi(?:'m| am) not (?:able|allowed|permitted) to\b",
    r"\bi do(?:n't| not) have (?:access to|the ability|enough information|information)",
    r"\bi cannot (?:determine|answer) (?:this|that|the question)\b",
    r"\bit is not (?:appropriate|ethical) for me\b", r"\bmy (?:knowledge cutoff|training data)\b",
)
_REFUSAL = re.compile("|".join(_PATTERNS), re.IGNORECASE)
_SILENT = re.compile("|".join(_SOURCE_SILENT), re.IGNORECASE)
_BARE_NON_ANSWER_WORDS = 25
_OPENING_CHARS = 160  # a refusal phrase this early means the whole answer is a refusal


def find_refusal(answer: str) -> str | None:
    """The refusal phrase when the answer is (mostly) a refusal or non-answer, else None.

    A phrase in the opening, or anywhere in a short answer, counts; a long answer that mentions one
    caveat in passing does not.
    """
    text = (answer or "").replace("\u2019", "'")
    match = _REFUSAL.search(text)
    if match is not None and (match.start() < _OPENING_CHARS or len(text.split()) < 60):
        return match.group(0)
    silent = _SILENT.search(text)
    if silent is not None and len(text.split()) < _BARE_NON_ANSWER_WORDS:
        return silent.group(0)
    return None
