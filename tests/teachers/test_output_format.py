"""Judges' two-line output format: its grammar and regex, and the embedded backend enforcing it."""

from __future__ import annotations

import re

import pytest

from labgen.critic.judges import JUDGE_NAMES, get_judge
from labgen.teachers.base import ChatRequest, OutputFormat, SamplingParams


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
