"""The word tokenizer of the echo and seed-copy checks, and the echo measure's prompt search."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from labgen.critic.similarity import normalized_words
from labgen.critic.surface import echo_measure

# ASCII, accented and other-script letters, digits in other scripts, Unicode spaces, dashes, quotes,
# a case-folding surprise (Kelvin sign, dotted I), a lone surrogate and an emoji.
ALPHABET = st.sampled_from([chr(c) for c in range(128)] + list("éKİßΣ٣\u3000\xa0—’\u2028\x85\u200b😀") + ["\ud800"])


@settings(max_examples=400, deadline=None)
@given(st.text(ALPHABET, max_size=60))
def test_normalized_words_are_the_regex_words_of_the_lower_cased_text(text: str) -> None:
    assert normalized_words(text) == re.findall(r"\w+", text.lower())


def test_echo_counts_answer_shingles_found_in_the_prompt_but_not_in_the_context() -> None:
    prompt = "Write about: the quick brown fox, jumps over the lazy dog. Context: green hills far away"
    answer = "The quick brown fox jumps over green hills far away"
    similarity, source = echo_measure("Tell me a story", answer, prompt, "green hills far away")
    # 8 answer shingles: "the quick brown" .. "fox jumps over" (4) are in the prompt across its punctuation,
    # "jumps over green" and "over green hills" are not, "green hills far" and "hills far away" are the
    # context's: 4 of 8 are echo.
    assert (similarity, source) == (0.5, "prompt")
