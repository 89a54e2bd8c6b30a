"""Every judge template renders with exactly the variables of the judge contract."""

from __future__ import annotations

import re

import pytest

from labgen.critic.judges import JUDGE_NAMES, get_judge
from labgen.critic.judgment_text import parse_binary, parse_scale
from labgen.errors import ConfigError

CONTRACT = {
    "judge_instruction": {"task_description", "seed_examples", "question"},
    "judge_question": {"task_description", "context", "question"},
    "judge_pair": {"task_description", "question", "answer", "context"},
    "judge_faithfulness": {"context", "question", "answer"},
    "judge_relevance": {"context", "question", "answer"},
    "judge_standalone": {"question"},
    "judge_safety": {"question", "answer"},
}
VALUES = {
    "task_description": "TASK-DESCRIPTION-MARK",
    "seed_examples": [{"question": "SEED-Q-ONE", "answer": "SEED-A-ONE", "context": None},
                      {"question": "SEED-Q-TWO", "answer": "b", "context": "SEED-CONTEXT"}],
    "question": "QUESTION-MARK", "answer": "ANSWER-MARK", "context": "CONTEXT-MARK",
}


@pytest.mark.parametrize("name", JUDGE_NAMES)
def test_judge_renders_with_exactly_its_variables(name: str) -> None:
    judge = get_judge(name)
    assert judge.name == name == judge.template.id
    assert set(judge.template.variables) == CONTRACT[name]
    messages = judge.render(**{k: VALUES[k] for k in CONTRACT[name]})
    text = "\n".join(m["content"] for m in messages)
    for key in CONTRACT[name] - {"seed_examples"}:
        assert VALUES[key] in text
    # The per-request text comes last, after every constant part (prefix caching).
    assert text.rstrip().endswith(VALUES["answer"] if "answer" in CONTRACT[name] else VALUES["question"])
    with pytest.raises(ConfigError):
        judge.render(**{k: VALUES[k] for k in CONTRACT[name]}, extra="x")


def test_instruction_judge_renders_seed_instructions_with_and_without_context() -> None:
    text = get_judge("judge_instruction").render(**{k: VALUES[k] for k in CONTRACT["judge_instruction"]})[-1]["content"]
    assert "SEED-Q-ONE" in text and "SEED-Q-TWO" in text and "SEED-CONTEXT" in text
    # An instruction is judged against the seeds' instructions; their answers would only lengthen the prompt.
    assert "SEED-A-ONE" not in text
    assert text.index("SEED-Q-ONE") < text.index("QUESTION-MARK")


@pytest.mark.parametrize("name", ["judge_pair", "judge_relevance", "judge_question", "judge_faithfulness"])
def test_empty_context_renders_without_a_dangling_context(name: str) -> None:
    judge = get_judge(name)
    values = {k: VALUES[k] for k in CONTRACT[name]} | {"context": ""}
    text = judge.render(**values)[-1]["content"]
    tail = text[text.rindex("Now"):]
    assert "Context: \n" not in tail and "CONTEXT-MARK" not in text


def test_judges_sample_greedily_with_logprobs_and_short_outputs() -> None:
    for name in JUDGE_NAMES:
        params = get_judge(name).params
        assert params.temperature == 0 and params.logprobs and params.max_tokens <= 128


@pytest.mark.parametrize("name", JUDGE_NAMES)
def test_worked_examples_end_in_a_verdict_the_parser_reads(name: str) -> None:
    """Each example in a prompt has a reason and a verdict, and the judge's parser reads that verdict."""
    judge = get_judge(name)
    source = "\n".join(text for _, text in judge.template.messages)
    examples = re.findall(r"Reason: (?!<)(.+)\n(Verdict|Score): (\S+)", source)
    if name not in ("judge_question",):
        assert len(examples) >= 2
    for reason, label, value in examples:
        parsed = parse_scale(f"{label}: {value}", 3) if judge.scale_max else parse_binary(f"{label}: {value}")
        assert parsed is not None
        # An example's explanation must agree with its answer (the sdg prompt bug).
        negative = re.search(r"\b(not|never|wrong|instead|cannot|unsupported)\b", reason, re.IGNORECASE)
        good = parsed.value is True or (judge.scale_max and parsed.value >= 2)
        assert bool(negative) != bool(good), (name, reason, value)
