"""Lexical support and the language detector, on the cases they exist for."""

from __future__ import annotations

import pytest

from labgen.critic.grounding import lexical_support, word_overlap_baseline
from labgen.critic.language import detect_language
from labgen.critic.lexicon import stem, words
from labgen.errors import ConfigError

CONTEXT = ("Marie Curie was born in Warsaw in 1867. She moved to Paris in 1891 to study physics at the "
           "Sorbonne. In 1903 she shared the Nobel Prize in Physics with Pierre Curie and Henri Becquerel, "
           "and in 1911 she won a second Nobel Prize, in Chemistry, for discovering polonium and radium.")
QUESTION = "Which prizes did Marie Curie win?"


def test_paraphrase_scores_above_a_fluent_fabrication_with_more_overlap() -> None:
    paraphrase = ("She was awarded the 1903 physics prize jointly with Pierre Curie and Becquerel, and a second "
                  "Nobel, for chemistry, in 1911 after discovering radium and polonium.")
    fabricated = ("Marie Curie won the Nobel Prize in Physics in 1903 and the Nobel Prize in Chemistry in 1921, "
                  "shared with Albert Einstein.")
    good, bad = lexical_support(paraphrase, CONTEXT, QUESTION), lexical_support(fabricated, CONTEXT, QUESTION)
    assert good.score > 0.6 > bad.score
    assert "1921" in bad.missing_numbers and "Einstein" in bad.missing_names
    # The trivial baseline cannot tell them apart the same way: the fabrication reuses the context's words.
    assert word_overlap_baseline(fabricated, CONTEXT) > 0.6


def test_one_invented_sentence_sinks_an_otherwise_supported_answer() -> None:
    supported = "Marie Curie was born in Warsaw in 1867 and moved to Paris in 1891 to study physics."
    extra = supported + " Her laboratory notebooks are still radioactive and stored in lead-lined boxes."
    assert lexical_support(extra, CONTEXT).score < lexical_support(supported, CONTEXT).score - 0.2
    assert lexical_support(extra, CONTEXT).weakest_text.startswith("Her laboratory")


def test_words_of_the_question_count_as_support() -> None:
    answer = "The prizes she won were two Nobel Prizes."
    assert lexical_support(answer, CONTEXT, "How many prizes did she win?").score >= \
        lexical_support(answer, CONTEXT, "").score


def test_numbers_match_across_spellings() -> None:
    context = "The bridge cost 7,800,000 dollars and took three years to build."
    assert not lexical_support("It cost 7.8 million dollars over 3 years.", context).missing_numbers
    assert lexical_support("It cost 9 million dollars.", context).missing_numbers == ("9 million",)


def test_answer_without_content_words_is_not_penalised() -> None:
    assert lexical_support("Yes, it is.", CONTEXT).score == 1.0


def test_stems_and_names() -> None:
    assert stem("discovering") == stem("discovered") and stem("studies") == "study"
    parsed = words("In 1903 she met Pierre Curie.")
    assert [w.surface for w in parsed if w.is_name] == ["Pierre", "Curie"]
    assert [w.stem for w in parsed if w.is_number] == ["1903"]


@pytest.mark.parametrize("text, expected, ok", [
    ("Photosynthesis turns light into chemical energy that the plant stores as sugar.", "en", True),
    ("Use `sorted(xs)`:\n```python\nprint(sorted([3, 1, 2]))\n```\nThis returns a new list.", "en", True),
    ("Tokyo, Osaka, Kyoto, Nagoya, Sapporo.", "en", True),
    ("def double(x):\n    return x * 2\nprint(double(21))  # prints 42", "en", True),
    ("Zorbix quentar fluvim dorkas pelvantor migrel stoben kwarfil.", "en", False),
    ("Die Photosynthese wandelt Licht in chemische Energie um, die die Pflanze als Zucker speichert.", "en", False),
    ("La fotosíntesis convierte la luz en energía química que la planta almacena como azúcar.", "en", False),
    ("Фотосинтез превращает свет в химическую энергию, которую растение запасает.", "en", False),
    ("xqzt plmk vbnr trwq zzxk ghjq wrtp mnbv", "en", False),
    ("La fotosíntesis convierte la luz en energía química que la planta almacena como azúcar.", "es", True),
])
def test_language_detector(text: str, expected: str, ok: bool) -> None:
    assert (detect_language(text, expected).score >= 0.5) is ok


def test_short_texts_are_not_judged() -> None:
    assert detect_language("Paris.", "en").detected == "unknown"


def test_unknown_language_code_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        detect_language("some text here to read", "klingon")


def test_results_of_shown_arithmetic_are_grounded_but_wrong_sums_are_not() -> None:
    from labgen.critic.arithmetic import derived_results

    table = "Month | Rainfall (mm)\nJanuary | 78\nFebruary | 61\nMarch | 55"
    right = lexical_support("From January to March, 78 + 61 + 55 = 194 mm of rain fell.", table)
    wrong = lexical_support("From January to March, 78 + 61 + 55 = 204 mm of rain fell.", table)
    assert not right.missing_numbers and wrong.missing_numbers == ("204",)
    assert derived_results("2 × €3.50 = €7.00; 260 ÷ 3 ≈ 86.7") == [(["2", "3.50"], "7.00"), (["260", "3"], "86.7")]


def test_json_keys_are_structure_not_content() -> None:
    context = "Hi all, Jordan here. Quick sync on the website launch on Tuesday at 3 pm in room B."
    answer = '{\n  "title": "Quick sync on the website launch",\n  "organizer": "Jordan",\n  "date": "Tuesday"\n}'
    assert lexical_support(answer, context).score > 0.8
