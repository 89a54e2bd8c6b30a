"""The critic's settings: thresholds of the deterministic checks and of the teacher judges."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from labgen.errors import ConfigError


@dataclass(frozen=True)
class CriticConfig:
    """Every threshold the critic applies; the defaults are the ones measured in docs/critic.md."""

    # Teacher judges.
    pair_min_score: int = 2  # judge_pair keeps samples rated >= this on the 1-3 scale
    judge_min_p_yes: float = 0.5  # a YES/NO judge passes when P(YES) >= this (token probabilities known)
    judge_max_tokens: int = 96
    judge_logprobs: bool = True
    judge_top_logprobs: int = 5
    # Deterministic checks.
    language: str | None = "en"  # expected language of question and answer; None disables the check
    min_language_score: float = 0.5
    min_lexical_support: float = 0.55  # grounding score below this fails lexical_support
    min_sentence_support: float = 0.35  # the least-supported answer sentence must reach this
    echo_similarity: float = 0.9  # answer this similar to the prompt/question is an echo
    seed_copy_similarity: float = 0.9  # question+answer this similar to a seed example is a copy
    blocklist: tuple[str, ...] = ()  # words or phrases that fail a sample (case-insensitive, whole words)
    check_pii: bool = True

    def with_overrides(self, **overrides: Any) -> CriticConfig:
        """A copy with some settings changed; unknown names are a ConfigError."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ConfigError(f"unknown critic settings {unknown}", hint=f"known settings: {sorted(known)}")
        if "blocklist" in overrides:
            overrides["blocklist"] = tuple(overrides["blocklist"] or ())
        return replace(self, **overrides)


DEFAULT_CONFIG = CriticConfig()
