"""Judges read verdicts out of noisy text and never raise."""

from __future__ import annotations

import pytest

from labgen.critic.judges import get_judge
from labgen.teachers.base import ChatRequest, Choice, Completion


def completion(text: str, finish_reason: str | None = "stop") -> Completion:
    return Completion(request=ChatRequest(messages=()), choices=(Choice(text, finish_reason),))


@pytest.mark.parametrize("text, passed", [
    ("Reason: every claim is in the context.\nVerdict: YES", True),
    ("Reason: the date is invented.\nVerdict: NO", False),
    ("Sure! Here is my judgment.\n\n**Verdict:** Yes", True),
    ("## Verdict\nNO", False),
    ("yes.", True),
    ("No, the answer adds a name.", False),
    ("Reason: fine.\nVerdict: YES\nConfidence: 90%", True),
    ("Reason: unsupported.\nVerdict: **NO**\n\nConfidence: 95%", False),
    ("The final answer is: no", False),
    ("Let me think about it.\n\nYES", True),
    ("Verdict: yes, but the answer then says no", True),
    ("Verdict: NO. Reason: yes is not supported.", False),
])
def test_binary_verdicts_survive_noise(text: str, passed: bool) -> None:
    verdict = get_judge("judge_faithfulness").parse(completion(text))
    assert verdict.check == "faithfulness"
    assert verdict.passed is passed
    assert verdict.score == (1.0 if passed else 0.0)
    assert verdict.raw == text
    assert not verdict.reason.startswith("unparsable")


@pytest.mark.parametrize("text, rating", [
    ("Reason: correct and complete.\nScore: 3", 3),
    ("**Score:** 2", 2),
    ("Score: 3/3", 3),
    ("I would give it a rating of 1.", 1),
    ("Reason: brief.\nScore: 2\nConfidence: 80%", 2),
    ("3", 3),
    ("2/3 - correct but short", 2),
    ("The answer deserves a score of 3 out of 3.", 3),
    ("Rating: 1 (the answer is wrong)", 1),
])
def test_scale_verdicts_survive_noise(text: str, rating: int) -> None:
    verdict = get_judge("judge_pair").parse(completion(text))
    assert verdict.check == "pair_quality"
    assert verdict.passed is (rating >= 2)
    assert verdict.score == pytest.approx((rating - 1) / 2)
    assert f"rated {rating} of 3" in verdict.reason


@pytest.mark.parametrize("text, finish, why", [
    ("", "stop", "empty output"),
    ("   \n", "stop", "empty output"),
    ("Reason: the answer states that the tower", "length", "truncated"),
    ("I am not sure what to say here.", "stop", "no verdict found"),
    ("Confidence: 90%", "stop", "no verdict found"),
])
@pytest.mark.parametrize("name", ["judge_faithfulness", "judge_pair"])
def test_unparsable_judgments_fail_with_the_raw_text(text: str, finish: str, why: str, name: str) -> None:
    verdict = get_judge(name).parse(completion(text, finish))
    assert verdict.passed is False
    assert verdict.reason.startswith("unparsable judgment:") and why in verdict.reason
    assert verdict.raw == text and verdict.confidence == 0.0


def test_out_of_scale_scores_are_unparsable() -> None:
    assert get_judge("judge_pair").parse(completion("Score: 5")).reason.startswith("unparsable")
    assert get_judge("judge_pair").parse(completion("Score: 7/10")).reason.startswith("unparsable")


def test_failed_request_becomes_a_failing_verdict() -> None:
    failed = Completion(request=ChatRequest(messages=()), error="HTTP 500 after 5 retries")
    verdict = get_judge("judge_safety").parse(failed)
    assert verdict.passed is False and "HTTP 500" in verdict.reason and verdict.check == "safety"


def test_pair_threshold_follows_the_config() -> None:
    from labgen.critic.config import CriticConfig

    strict = get_judge("judge_pair", CriticConfig(pair_min_score=3))
    assert strict.parse(completion("Score: 2")).passed is False
    assert strict.parse(completion("Score: 3")).passed is True


def test_unknown_judge_is_a_config_error() -> None:
    from labgen.errors import ConfigError

    with pytest.raises(ConfigError):
        get_judge("judge_vibes")
