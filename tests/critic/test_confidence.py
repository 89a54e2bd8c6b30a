"""Confidence from the verdict token's probability, on fabricated logprobs."""

from __future__ import annotations

import math

import pytest

from labgen.critic.confidence import binary_class, confidence_from_score, locate_token, score_class
from labgen.critic.judges import TEXT_ONLY_CONFIDENCE, get_judge
from labgen.teachers.base import ChatRequest, Choice, Completion, TokenLogprob

L = math.log


def tokens_for(prefix: list[str], verdict: TokenLogprob, suffix: list[str] = ()) -> tuple[TokenLogprob, ...]:
    return tuple(TokenLogprob(t, L(0.9)) for t in prefix) + (verdict,) + tuple(TokenLogprob(t, L(0.9)) for t in suffix)


def completion_of(tokens: tuple[TokenLogprob, ...]) -> Completion:
    text = "".join(t.token for t in tokens)
    return Completion(request=ChatRequest(messages=()), choices=(Choice(text, "stop", tokens),))


PREFIX = ["Reason", ":", " the", " year", " is", " stated", ".\n", "Verdict", ":"]


def test_binary_confidence_sums_equivalent_spellings() -> None:
    verdict_token = TokenLogprob(" YES", L(0.6), ((" YES", L(0.6)), (" Yes", L(0.2)), ("yes", L(0.05)),
                                                 (" NO", L(0.1)), (" The", L(0.05))))
    verdict = get_judge("judge_faithfulness").parse(completion_of(tokens_for(PREFIX, verdict_token)))
    assert verdict.passed
    assert verdict.confidence == pytest.approx(0.85)
    assert verdict.score == pytest.approx(0.85 / 0.95)


def test_binary_no_with_low_probability_of_yes() -> None:
    verdict_token = TokenLogprob(" NO", L(0.7), ((" NO", L(0.7)), (" No", L(0.1)), (" YES", L(0.15))))
    verdict = get_judge("judge_faithfulness").parse(completion_of(tokens_for(PREFIX, verdict_token, ["\n"])))
    assert not verdict.passed
    assert verdict.confidence == pytest.approx(0.8)
    assert verdict.score == pytest.approx(0.15 / 0.95)


def test_threshold_on_probability_of_yes() -> None:
    from labgen.critic.config import CriticConfig

    verdict_token = TokenLogprob(" YES", L(0.55), ((" YES", L(0.55)), (" NO", L(0.45))))
    tokens = tokens_for(PREFIX, verdict_token)
    assert get_judge("judge_faithfulness").parse(completion_of(tokens)).passed
    strict = get_judge("judge_faithfulness", CriticConfig(judge_min_p_yes=0.8)).parse(completion_of(tokens))
    assert not strict.passed and strict.confidence == pytest.approx(0.45)


def test_the_verdict_token_not_an_earlier_yes_is_read() -> None:
    """A 'yes' inside the reason must not be mistaken for the verdict token."""
    prefix = ["Reason", ":", " yes", " the", " date", " is", " invented", ".\n", "Verdict", ":"]
    early = [TokenLogprob(t, L(0.9)) for t in prefix]
    early[2] = TokenLogprob(" yes", L(0.99), ((" yes", L(0.99)),))
    verdict_token = TokenLogprob(" NO", L(0.6), ((" NO", L(0.6)), (" YES", L(0.4))))
    verdict = get_judge("judge_faithfulness").parse(completion_of(tuple(early) + (verdict_token,)))
    assert not verdict.passed and verdict.confidence == pytest.approx(0.6)


def test_scale_confidence_is_mass_on_the_passing_side() -> None:
    prefix = ["Reason", ":", " brief", ".\n", "Score", ":"]
    score_token = TokenLogprob(" 2", L(0.5), ((" 2", L(0.5)), (" 3", L(0.3)), (" 1", L(0.2))))
    verdict = get_judge("judge_pair").parse(completion_of(tokens_for(prefix, score_token)))
    assert verdict.passed and "rated 2 of 3" in verdict.reason
    assert verdict.confidence == pytest.approx(0.8)
    assert verdict.score == pytest.approx((0.5 * 2 + 0.3 * 3 + 0.2 * 1 - 1) / 2)


def test_without_logprobs_confidence_is_the_text_only_prior() -> None:
    text = Completion(request=ChatRequest(messages=()), choices=(Choice("Verdict: YES", "stop", None),))
    assert get_judge("judge_safety").parse(text).confidence == TEXT_ONLY_CONFIDENCE


def test_split_verdict_tokens_are_found_when_tokens_do_not_rebuild_the_text() -> None:
    tokens = (TokenLogprob("Verdict", L(0.9)), TokenLogprob(":", L(0.9)),
              TokenLogprob("\u2581Y", L(0.7), (("\u2581Y", L(0.7)), ("\u2581N", L(0.3)))), TokenLogprob("ES", L(1.0)))
    text = Completion(request=ChatRequest(messages=()), choices=(Choice("Verdict: YES", "stop", tokens),))
    verdict = get_judge("judge_relevance").parse(text)
    assert verdict.passed and verdict.confidence == pytest.approx(0.7)


def test_token_classes() -> None:
    assert binary_class(" YES") is True and binary_class("Yes.") is True and binary_class("**No") is False
    assert binary_class(" Yesterday") is None and binary_class(" The") is None and binary_class("") is None
    assert score_class(" 3", 3) == 3 and score_class("4", 3) is None and score_class(" three", 3) is None
    tokens = tuple(TokenLogprob(t, 0.0) for t in ["a", " yes", " b"])
    assert locate_token(tokens, "a yes b", 2, binary_class) == 1
    assert locate_token((), "", 0, binary_class) is None


def test_derived_confidence_grows_with_distance_from_threshold() -> None:
    assert confidence_from_score(0.5, 0.5) == pytest.approx(0.5)
    assert 0.5 < confidence_from_score(0.6, 0.5) < confidence_from_score(0.9, 0.5) < 1.0
    assert confidence_from_score(0.1, 0.5) == pytest.approx(confidence_from_score(0.9, 0.5))
