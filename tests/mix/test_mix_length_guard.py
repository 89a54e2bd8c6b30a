"""The length guard's fast count must equal labgen.tokens' estimate on any text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from labgen.mix.length_guard import conversation_tokens, text_tokens
from labgen.tokens import estimate_message_tokens, estimate_tokens

ascii_text = st.text(alphabet=st.characters(max_codepoint=127), max_size=300)


@settings(max_examples=300, deadline=None)
@given(text=ascii_text | st.text(max_size=200))
def test_fast_count_equals_the_estimate(text: str) -> None:
    assert text_tokens(text) == estimate_tokens(text)


def test_edge_characters() -> None:
    for text in ("", "   ", "\x1c\x1d\x1e\x1f", "a\x00b", "Hello, world! 12 apples.", "abcdefghi", "x\x0by"):
        assert text_tokens(text) == estimate_tokens(text), repr(text)


@settings(max_examples=50, deadline=None)
@given(system=st.text(max_size=50), contents=st.lists(ascii_text, min_size=2, max_size=4))
def test_conversation_count_equals_the_message_estimate(system: str, contents: list[str]) -> None:
    turns = [{"role": "user" if i % 2 == 0 else "assistant", "content": c} for i, c in enumerate(contents)]
    expected = estimate_message_tokens([{"role": "system", "content": system}, *turns])
    assert conversation_tokens(system, turns) == expected
