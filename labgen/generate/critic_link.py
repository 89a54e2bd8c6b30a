"""The generate side of the critic contract: deterministic checks and the combined critic record.

Kept in one module so the pipeline stages depend on the critic through these functions only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from labgen.critic.config import CriticConfig
from labgen.records import Verdict

if TYPE_CHECKING:
    from labgen.critic.checks import CheckInput


def check_input(*, question: str, answer: str, context: str | None, finish_reason: str | None, prompt_text: str,
                seed_texts: tuple[str, ...]) -> CheckInput:
    """One pair as the critic's token-free checks take it (empty, truncated, refusal, echo, seed copy,
    support...); `measure_checks` of it gives each verdict with the measure a new threshold decides again
    (kept in the sample record)."""
    from labgen.critic.checks import CheckInput

    return CheckInput(question=question, answer=answer, context=context, finish_reason=finish_reason,
                      prompt_text=prompt_text, seed_texts=seed_texts)


def critic_summary(verdicts: list[Verdict]) -> dict[str, Any]:
    """{"score", "verdicts"} as the critic combines them."""
    from labgen.critic.combine import critic_record

    return critic_record(verdicts)
