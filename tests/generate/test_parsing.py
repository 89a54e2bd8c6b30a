"""Parsing real teacher output: numbering, bullets, preambles, prefixes, confidence notes, quotes, truncation."""

from __future__ import annotations

from labgen.generate.parsing import TRUNCATED, parse_answer, parse_contexts, parse_list, parse_qa_pairs


def test_numbered_list_with_preamble_emphasis_quotes_confidence_and_closing_remark() -> None:
    text = ('Sure! Here are 3 new instructions:\n\n1. Write a haiku about rain.\n2) **Compose a poem about the sea.**\n'
            '\n3. "Describe a sunset in one line." Confidence: 90%\n\nI hope these help!')
    parsed = parse_list(text)
    assert parsed.items == ("Write a haiku about rain.", "Compose a poem about the sea.",
                            "Describe a sunset in one line.")
    assert parsed.unparsed == ()


def test_bullets_and_labelled_items() -> None:
    assert parse_list("- Write A\n* Write B\n• Write C").items == ("Write A", "Write B", "Write C")
    assert parse_list("Instruction 1: Write A\nInstruction 2: Write B").items == ("Write A", "Write B")


def test_multiline_item_stays_whole() -> None:
    parsed = parse_list("1. Summarise this:\n   the meeting moved to Friday.\n2. Second one")
    assert parsed.items[0] == "Summarise this:\n   the meeting moved to Friday."
    assert parsed.items[1] == "Second one"


def test_plain_lines_without_markers_are_items_after_the_preamble() -> None:
    parsed = parse_list("Here are the instructions:\n\nWrite A\n\nWrite B\n")
    assert parsed.items == ("Write A", "Write B")


def test_truncated_last_item_is_unparsed_not_dropped_silently() -> None:
    parsed = parse_list("1. Write a haiku about snow.\n2. Write a sonnet about", truncated=True)
    assert parsed.items == ("Write a haiku about snow.",)
    assert [(u.text, u.reason) for u in parsed.unparsed] == [("Write a sonnet about", TRUNCATED)]


def test_repeats_and_extras_are_reported() -> None:
    parsed = parse_list("1. Same\n2. Same\n3. Other\n4. Fourth", expected=2)
    assert parsed.items == ("Same", "Other")
    assert sorted(u.reason for u in parsed.unparsed) == ["more items than asked for", "repeated item"]


def test_empty_output_gives_nothing_and_no_crash() -> None:
    assert parse_list("").items == ()
    assert parse_list("   \n\n").items == ()
    assert parse_qa_pairs("").pairs == ()


def test_contexts_with_headers_separators_and_none() -> None:
    headed = parse_contexts("Here are two contexts:\n\nContext 1:\nHello world.\nMore.\n\n**Context 2:**\nSecond one.")
    assert headed.items == ("Hello world.\nMore.", "Second one.")
    separated = parse_contexts("First text.\n---\nSecond text.")
    assert separated.items == ("First text.", "Second text.")
    assert parse_contexts("Just one context here.").items == ("Just one context here.",)
    truncated = parse_contexts("Context 1:\nFull.\n\nContext 2:\nCut", truncated=True)
    assert truncated.items == ("Full.",) and truncated.unparsed[0].reason == TRUNCATED


def test_qa_pairs_in_several_styles() -> None:
    text = ("Sure!\n\nQuestion: What is water?\nAnswer: H2O.\n\n**Q2:** Why does it rain?\n**A2:** Clouds cool.\n\n"
            "[Question]\nHow deep is it?\n[Answer]\nTen metres.\n[End]\n\n3. Question: Orphan?\nAnswer:")
    parsed = parse_qa_pairs(text)
    assert [(p.question, p.answer) for p in parsed.pairs] == [
        ("What is water?", "H2O."), ("Why does it rain?", "Clouds cool."), ("How deep is it?", "Ten metres.")]
    assert [u.reason for u in parsed.unparsed] == ["question without an answer"]


def test_qa_truncated_pair_and_unparsable_text_keep_their_raw() -> None:
    parsed = parse_qa_pairs("Q: One?\nA: Yes.\nQ: Two?\nA: Partial ans", truncated=True)
    assert [p.question for p in parsed.pairs] == ["One?"]
    assert parsed.unparsed[0].reason == TRUNCATED and "Partial ans" in parsed.unparsed[0].text
    nothing = parse_qa_pairs("I cannot help with that.")
    assert nothing.pairs == () and nothing.unparsed[0].text == "I cannot help with that."


def test_answer_loses_preamble_prefix_quotes_and_confidence() -> None:
    assert parse_answer('Sure! Here is the answer:\nResponse: "Cold rain on maples"\nConfidence: 90%') == \
        "Cold rain on maples"
    assert parse_answer("Answer: Paris is the capital. (Confidence: 85%)") == "Paris is the capital."
    # A first line that is content, not a preamble, is kept.
    assert parse_answer("Sure enough, the river froze.\nIt was cold.") == "Sure enough, the river froze.\nIt was cold."
