"""The combined score orders samples and separates kept from rejected at 0.5."""

from __future__ import annotations

from labgen.critic.checks import CheckInput, run_checks
from labgen.critic.combine import combined_score, critic_record, probability_good
from labgen.records import Verdict

CONTEXT = "Honey bees communicate the direction and distance of flowers with a waggle dance inside the hive."


def test_a_clearly_bad_item_scores_below_a_clearly_good_one() -> None:
    good = run_checks(CheckInput("How do honey bees tell each other where flowers are?",
                                 "They perform a waggle dance inside the hive that shows the direction and "
                                 "distance of the flowers.", CONTEXT, "stop"))
    bad = run_checks(CheckInput("How do honey bees tell each other where flowers are?",
                                "Bees release a pheromone discovered by Karl Frisch in 1927 that guides them "
                                "within 40 metres.", CONTEXT, "stop"))
    assert combined_score(good) > 0.5 > combined_score(bad)


def test_every_pass_scores_at_least_half_and_any_failure_at_most_half() -> None:
    passes = [Verdict("faithfulness", True, 0.9, "", 0.9), Verdict("pii", True, 1.0, "", 0.95)]
    assert combined_score(passes) >= 0.5
    unsure_fail = passes + [Verdict("relevance", False, 0.4, "", 0.55)]
    sure_fail = passes + [Verdict("relevance", False, 0.0, "", 0.99)]
    assert combined_score(sure_fail) < combined_score(unsure_fail) <= 0.5


def test_more_confident_passes_score_higher() -> None:
    low = [Verdict("faithfulness", True, 0.6, "", 0.6), Verdict("safety", True, 1.0, "", 0.9)]
    high = [Verdict("faithfulness", True, 0.95, "", 0.95), Verdict("safety", True, 1.0, "", 0.9)]
    assert combined_score(high) > combined_score(low)


def test_an_unparsable_judgment_is_neutral_evidence_but_still_a_failure() -> None:
    unparsable = Verdict("faithfulness", False, 0.0, "unparsable judgment: empty output", 0.0)
    assert probability_good(unparsable) == 0.5
    sure = Verdict("lexical_support", True, 0.95, "", 0.99)
    unsure = Verdict("lexical_support", True, 0.6, "", 0.6)
    # Below 0.5 because it failed, yet still ordered by what the other checks said.
    assert 0.5 > combined_score([sure, unparsable]) > combined_score([unsure, unparsable]) > 0.0


def test_critic_record_shape() -> None:
    record = critic_record([Verdict("pii", True, 1.0, "no obvious personal data", 0.95),
                            Verdict("safety", False, 0.1, "unsafe content", 0.9)])
    assert set(record) == {"score", "verdicts"} and 0.0 <= record["score"] < 0.5
    assert record["verdicts"]["safety"] == {"pass": False, "score": 0.1, "reason": "unsafe content",
                                            "confidence": 0.9}
    assert combined_score([]) == 0.5
