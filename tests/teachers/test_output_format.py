"""Judges' two-line output format: its grammar and regex, and the embedded backend enforcing it."""

from __future__ import annotations

import re

import pytest

from labgen.critic.judges import JUDGE_NAMES, get_judge
from labgen.teachers.base import ChatRequest, ListFormat, OutputFormat, SamplingParams


def test_regex_accepts_the_format_and_rejects_anything_else() -> None:
    fmt = OutputFormat("Verdict", ("YES", "NO"))
    pattern = re.compile(fmt.regex())
    assert pattern.fullmatch("Reason: the question names its subject.\nVerdict: NO")
    assert not pattern.fullmatch("Verdict: YES")
    assert not pattern.fullmatch("Reason: ok\nVerdict: MAYBE")
    assert not pattern.fullmatch("Reason: two\nlines\nVerdict: YES")


def test_every_judge_asks_for_a_format_its_parser_reads() -> None:
    for name in JUDGE_NAMES:
        judge = get_judge(name)
        fmt = judge.params.output_format
        assert fmt is not None, name
        assert fmt.label in judge.template.messages[-1][1], f"{name}: prompt does not ask for {fmt.label}"
        sample = f"Reason: a plain explanation.\n{fmt.label}: {fmt.choices[0]}"
        assert re.fullmatch(fmt.regex(), sample)


@pytest.mark.slow
def test_embedded_backend_enforces_the_format(embedded_teacher) -> None:
    fmt = OutputFormat("Verdict", ("YES", "NO"), reason_chars=60)
    request = ChatRequest(
        messages=({"role": "user", "content": "Write a limerick about a cat."},),  # an off-format request
        params=SamplingParams(temperature=0.0, max_tokens=48, seed=1, output_format=fmt), stage="test")
    completion = next(iter(embedded_teacher.stream([request])))
    assert completion.ok, completion.error
    assert re.fullmatch(fmt.regex(), completion.text), completion.text


def test_list_format_counts_items_and_fields() -> None:
    numbered, blocks = ListFormat(3), ListFormat(2, ("Question", "Answer"))
    assert re.fullmatch(numbered.regex(), "1. First thing\n2. Second thing")
    assert not re.fullmatch(numbered.regex(), "1. a\n2. b\n3. c\n4. d")  # no more than asked for
    assert not re.fullmatch(numbered.regex(), "1. a\n3. b")  # numbered in order
    assert not re.fullmatch(numbered.regex(), "1.  \n2. b")  # no blank item
    assert re.fullmatch(blocks.regex(), "Question: Why?\nAnswer: Because.\n\nQuestion: How?\nAnswer: So.")
    assert not re.fullmatch(blocks.regex(), "Question: Why?")
    assert SamplingParams(output_format=blocks).as_dict()["output_format"] == {
        "list": 2, "fields": ["Question", "Answer"], "item_chars": 400}


def test_list_stages_ask_the_teacher_for_the_format_their_parser_reads() -> None:
    from labgen.generate.config import LIST_STAGES, GenerateConfig
    from labgen.generate.parsing import parse_list, parse_qa_pairs
    from labgen.prompts import get_template

    config = GenerateConfig()
    for stage, (fields, _) in LIST_STAGES.items():
        fmt = config.sampling(stage, count=3).output_format
        assert isinstance(fmt, ListFormat) and fmt.count == 3 and fmt.fields == fields
        assert config.sampling(stage).output_format is None  # no count, no format
        prompt = "".join(text for _, text in get_template(stage).messages)
        sample = ("Question: What is it?\nAnswer: A thing.\n\nQuestion: Where?\nAnswer: Here." if fields
                  else "1. Write a poem about rain.\n2. Describe a quiet street.")
        assert re.fullmatch(fmt.regex(), sample)
        if fields:
            assert all(f"{label}:" in prompt for label in fields)
            assert len(parse_qa_pairs(sample).pairs) == 2
        else:
            assert "numbered" in prompt and len(parse_list(sample).items) == 2


@pytest.mark.slow
def test_embedded_backend_enforces_a_list_format(embedded_teacher) -> None:
    for fmt in (ListFormat(3, item_chars=80), ListFormat(2, ("Question", "Answer"), item_chars=80)):
        request = ChatRequest(messages=({"role": "user", "content": "Tell me about the sea."},),
                              params=SamplingParams(temperature=0.7, max_tokens=120, seed=4, output_format=fmt))
        completion = next(iter(embedded_teacher.stream([request])))
        assert completion.ok, completion.error
        if completion.finish_reason == "stop":
            assert re.fullmatch(fmt.regex(), completion.text), completion.text
        else:  # cut at max_tokens: what came is a prefix of the format
            assert completion.text.startswith("Question: " if fmt.fields else "1. ")
