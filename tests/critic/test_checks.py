"""Every deterministic check on passing and failing inputs."""

from __future__ import annotations

import pytest

from labgen.critic.checks import CheckInput, run_checks
from labgen.critic.config import CriticConfig
from labgen.records import Verdict

CONTEXT = ("The Eiffel Tower was completed in 1889 for the World's Fair in Paris. It is 330 metres tall and "
           "was the tallest man-made structure in the world until 1930, when the Chrysler Building in New "
           "York surpassed it.")
QUESTION = "When was the Eiffel Tower completed?"
GOOD = "It was completed in 1889, in time for the World's Fair held in Paris."


def verdicts(**fields: object) -> dict[str, Verdict]:
    config = fields.pop("config", None)
    item = CheckInput(**{"question": QUESTION, "answer": GOOD, "context": CONTEXT, **fields})  # type: ignore[arg-type]
    return {v.check: v for v in run_checks(item, config)}  # type: ignore[arg-type]


def test_a_good_grounded_answer_passes_every_check() -> None:
    found = verdicts(finish_reason="stop", prompt_text=f"Answer from the context.\n{CONTEXT}\n{QUESTION}",
                     seed_texts=("What is the height of the tower?\nIt is 330 metres tall.",))
    assert set(found) == {"empty", "truncated", "refusal", "echo", "seed_copy", "language", "lexical_support", "pii"}
    assert all(v.passed for v in found.values()), {k: v.reason for k, v in found.items() if not v.passed}
    assert all(0.0 <= v.score <= 1.0 and 0.0 <= v.confidence <= 1.0 for v in found.values())


def test_checks_that_do_not_apply_are_left_out() -> None:
    found = verdicts(context=None)
    assert "lexical_support" not in found and "truncated" not in found and "seed_copy" not in found
    assert "language" not in verdicts(config=CriticConfig(language=None))


@pytest.mark.parametrize("answer", ["", "   ", "...", "\n\n"])
def test_empty_answer_fails(answer: str) -> None:
    found = verdicts(answer=answer)
    assert not found["empty"].passed and "answer is empty" in found["empty"].reason
    assert "lexical_support" not in found  # nothing to measure


def test_empty_question_fails() -> None:
    assert not verdicts(question=" ")["empty"].passed


def test_truncated_by_the_token_limit_fails() -> None:
    assert not verdicts(finish_reason="length")["truncated"].passed
    assert verdicts(finish_reason="stop")["truncated"].passed


@pytest.mark.parametrize("answer", [
    "As an AI language model, I cannot browse the internet.",
    "I'm sorry, but I can't help with that request.",
    "The context does not mention when the tower was completed.",
    "This information is not provided in the passage.",
    "I do not have access to real-time information about the tower.",
])
def test_refusals_and_non_answers_fail(answer: str) -> None:
    assert not verdicts(answer=answer)["refusal"].passed


def test_a_long_answer_with_a_late_caveat_is_not_a_refusal() -> None:
    long_answer = " ".join([GOOD] * 8) + " The context does not mention the architect."
    assert verdicts(answer=long_answer)["refusal"].passed


def test_echo_of_the_question_fails() -> None:
    assert not verdicts(answer=QUESTION)["echo"].passed
    assert not verdicts(answer="When was the Eiffel Tower completed")["echo"].passed


def test_echo_of_the_prompt_instructions_fails_but_copying_the_context_does_not() -> None:
    instructions = ("You are a careful assistant. Answer the question using only the context below and keep "
                    "the answer short and precise.")
    prompt = f"{instructions}\nContext:\n{CONTEXT}\nQuestion: {QUESTION}"
    assert not verdicts(answer=instructions, prompt_text=prompt)["echo"].passed
    extractive = "The Eiffel Tower was completed in 1889 for the World's Fair in Paris."
    assert verdicts(answer=extractive, prompt_text=prompt.replace("\n", "  "))["echo"].passed


def test_copy_of_a_seed_example_fails() -> None:
    seeds = ("When was the Eiffel Tower completed?\nIt was completed in 1889, in time for the World's Fair held "
             "in Paris.", "How tall is it?\nIt is 330 metres tall.")
    found = verdicts(seed_texts=seeds)
    assert not found["seed_copy"].passed and "seed example 0" in found["seed_copy"].reason
    assert verdicts(seed_texts=seeds[1:])["seed_copy"].passed


def test_wrong_language_and_gibberish_fail() -> None:
    french = "La tour Eiffel a été achevée en 1889 pour l'Exposition universelle de Paris."
    assert not verdicts(answer=french, question="Quand la tour Eiffel a-t-elle été achevée ?")["language"].passed
    gibberish = "xqzt plmk vbnr trwq zzxk ghjq wrtp mnbv lkjh qwpz"
    assert not verdicts(answer=gibberish, question=gibberish)["language"].passed
    assert verdicts(answer=french, question="Quand la tour Eiffel a-t-elle été achevée ?",
                    config=CriticConfig(language="fr"))["language"].passed


def test_lexical_support_fails_an_answer_that_invents_facts() -> None:
    invented = "It was completed in 1887 by Gustave Eiffel's company at a cost of 7 million francs."
    found = verdicts(answer=invented)["lexical_support"]
    assert not found.passed
    assert "1887" in found.reason and "Gustave" in found.reason


@pytest.mark.parametrize("text, kind", [
    ("You can reach her at jane.doe@example.org.", "email"),
    ("His number is +44 20 7946 0958.", "phone"),
    ("Call (555) 123-4567 after noon.", "phone"),
    ("Pay with card 4111 1111 1111 1111.", "card"),
    ("Her SSN is 078-05-1120.", "ssn"),
    ("Transfer it to GB82 WEST 1234 5698 7654 32.", "iban"),
    # the fewest digits each pattern takes (find_pii skips a pattern for a text with fewer)
    ("Dial +1 23 45 67 tonight.", "phone"),
    ("Card 4222222222222 was charged.", "card"),
])
def test_personal_data_fails(text: str, kind: str) -> None:
    found = verdicts(answer=text)["pii"]
    assert not found.passed and kind in found.reason


@pytest.mark.parametrize("text", [
    "The tower cost 7,799,401 francs in 1889 and drew 1,896,987 visitors.",
    "Card 4111 1111 1111 1112 fails the Luhn check.",
    "The 2019-2020 season ran from 12-08-2019 to 1-1-2020 with 380 matches.",
    "ISBN 978-3-16-148410-0 identifies the book.",
    "Dial +1 23 45 6 tonight.",
])
def test_numbers_that_are_not_personal_data_pass(text: str) -> None:
    assert verdicts(answer=text)["pii"].passed


def test_blocklist_matches_whole_words_case_insensitively() -> None:
    config = CriticConfig(blocklist=("Chrysler", "new york"))
    assert not verdicts(answer="It lost the record to the CHRYSLER Building.", config=config)["blocklist"].passed
    assert verdicts(answer="It lost the record to the Chryslers.", config=config)["blocklist"].passed
    assert "blocklist" not in verdicts()
    assert "blocklist" not in verdicts(config=CriticConfig(blocklist=("", "  ")))


def test_config_overrides_reject_unknown_names() -> None:
    from labgen.errors import ConfigError

    assert CriticConfig().with_overrides(blocklist=["x"]).blocklist == ("x",)
    with pytest.raises(ConfigError):
        CriticConfig().with_overrides(no_such_setting=1)


def test_an_answer_stopping_on_a_function_word_is_truncated_even_without_a_finish_reason() -> None:
    found = verdicts(answer="The usual adult dose of paracetamol is")
    assert not found["truncated"].passed and "'is'" in found["truncated"].reason
    assert "truncated" not in verdicts(answer="It was completed in 1889")  # ends on a number: fine


def test_a_fragment_of_the_question_given_back_is_an_echo() -> None:
    assert not verdicts(answer="When was the Eiffel Tower")["echo"].passed
    assert verdicts(answer="The Eiffel Tower was completed in 1889.")["echo"].passed


def test_language_judges_question_and_answer_apart() -> None:
    german = "Der Turm wurde im Jahr 1889 für die Weltausstellung in Paris fertiggestellt."
    found = verdicts(answer=german)["language"]
    assert not found.passed and found.reason.startswith("answer")


@pytest.mark.parametrize("answer", [
    "The policy does not specify when remote days must be recorded.",
    "The completion date is not mentioned in the text.",
])
def test_non_answers_about_the_source_fail(answer: str) -> None:
    assert not verdicts(answer=answer)["refusal"].passed


def test_saying_the_source_is_silent_is_fine_when_the_answer_goes_on_to_explain() -> None:
    explained = ("The table does not say. It lists only the monthly price, the data allowance and the calls and "
                 "texts for each plan, so you would need the provider's full terms to find out about roaming.")
    assert verdicts(answer=explained)["refusal"].passed
    assert not verdicts(answer="The table does not say.")["refusal"].passed
