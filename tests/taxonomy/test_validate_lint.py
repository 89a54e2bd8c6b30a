"""Lint: what the schema cannot say — grounding mix, repeated questions, seed length, names, placement."""

from __future__ import annotations

import random
from pathlib import Path

from validate_leaves import errors, knowledge_text, skill_text, write_leaf

from labgen.taxonomy.lint import _token_ceiling
from labgen.taxonomy.options import ValidateOptions
from labgen.taxonomy.walk import load_leaf
from labgen.tokens import estimate_tokens


def _warnings(report: object) -> list[str]:
    return [p.message for p in report.problems if p.severity == "warning"]  # type: ignore[attr-defined]


def test_a_mostly_freeform_leaf_with_one_context_is_valid_with_a_warning(tmp_path: Path) -> None:
    text = skill_text().replace("  - question: Write a haiku about rain number 3",
                                "  - context: A grey sky.\n    question: Write a haiku about rain number 3")
    report = load_leaf(write_leaf(tmp_path, "compositional_skills/a/b", text))
    assert report.valid and errors(report) == []
    [problem] = [p for p in report.problems if "mix grounded and freeform" in p.message]
    assert problem.severity == "warning" and problem.line == 11
    assert "freeform skill" in problem.message and "seed_examples[3]" in problem.message
    assert report.kind == "freeform_skill" and report.leaf is not None and report.leaf.kind == "freeform_skill"


def test_a_mostly_grounded_leaf_is_a_grounded_skill_and_names_the_example_without_context(tmp_path: Path) -> None:
    text = skill_text()
    for index in (0, 1, 2, 4):
        text = text.replace(f"  - question: Write a haiku about rain number {index}",
                            f"  - context: Sky {index}.\n    question: Write a haiku about rain number {index}")
    report = load_leaf(write_leaf(tmp_path, "compositional_skills/a/b", text))
    assert report.valid and report.kind == "grounded_skill"
    [problem] = [p for p in report.problems if "mix grounded and freeform" in p.message]
    assert problem.severity == "warning" and "grounded skill" in problem.message
    assert "(seed_examples[3])" in problem.message


def test_an_even_split_is_a_freeform_skill(tmp_path: Path) -> None:
    text = skill_text() + "  - question: Write a haiku about rain number 5\n    answer: Haiku 5.\n"
    for index in (0, 1, 2):
        text = text.replace(f"  - question: Write a haiku about rain number {index}",
                            f"  - context: Sky {index}.\n    question: Write a haiku about rain number {index}")
    report = load_leaf(write_leaf(tmp_path, "compositional_skills/a/b", text))
    assert report.valid and report.kind == "freeform_skill"


def test_a_repeated_freeform_question_is_a_warning_not_an_error(tmp_path: Path) -> None:
    text = skill_text().replace("Write a haiku about rain number 4", "  write a HAIKU about   rain number 1 ")
    report = load_leaf(write_leaf(tmp_path, "compositional_skills/a/b", text))
    assert report.valid
    [problem] = [p for p in report.problems if p.severity == "warning" and "repeats" in p.message]
    assert problem.line == 13 and "seed_examples[4].question" in problem.message
    assert "seed_examples[1]" in problem.message


def test_grounded_examples_may_ask_the_same_question_of_different_contexts(tmp_path: Path) -> None:
    text = skill_text()
    for index in range(5):
        text = text.replace(f"  - question: Write a haiku about rain number {index}",
                            f"  - context: Sky number {index}.\n    question: Summarize the text above")
    report = load_leaf(write_leaf(tmp_path, "compositional_skills/a/b", text))
    assert report.valid and report.kind == "grounded_skill"
    assert not [p for p in report.problems if "repeats" in p.message]


def test_knowledge_may_ask_the_same_question_of_different_contexts(tmp_path: Path) -> None:
    text = knowledge_text().replace("Question 2 about Moon fact 3?", "Question 0 about Moon fact 1?")
    report = load_leaf(write_leaf(tmp_path, "knowledge/a/b", text))
    assert report.valid and errors(report) == []


def test_too_long_seed_example_and_configurable_budget(tmp_path: Path) -> None:
    long_answer = " ".join(["word"] * 1200)
    text = skill_text().replace("answer: Haiku 2 about rain, calm and brief.", f"answer: {long_answer}")
    file = write_leaf(tmp_path, "compositional_skills/a/b", text)
    report = load_leaf(file)
    [problem] = report.problems
    assert (problem.severity, problem.line) == ("warning", 9) and report.valid  # the format allows long seeds
    assert "seed_examples[2] is about 1211 tokens, over the 1024-token budget" in problem.message
    assert load_leaf(file, options=ValidateOptions(max_seed_tokens=2000)).problems == ()


def test_missing_and_empty_attribution_are_warnings(tmp_path: Path) -> None:
    report = load_leaf(write_leaf(tmp_path, "compositional_skills/a/b", skill_text(), attribution=None))
    assert report.valid and any("no attribution.txt" in w for w in _warnings(report))
    report = load_leaf(write_leaf(tmp_path, "compositional_skills/a/c", skill_text(), attribution=" \n"))
    assert report.valid and any("attribution.txt is empty" in w for w in _warnings(report))
    report = load_leaf(write_leaf(tmp_path, "compositional_skills/a/d", skill_text()))
    assert _warnings(report) == []


def test_misnamed_leaf_file_must_be_renamed(tmp_path: Path) -> None:
    for name in ("qna.yml", "QNA.yaml", "Qna.yaml"):
        report = load_leaf(write_leaf(tmp_path, f"compositional_skills/{name}", skill_text(), name=name))
        [(line, message)] = errors(report)
        assert f"named '{name}'; rename it to 'qna.yaml'" in message and line == 1


def test_leaf_outside_the_branch_folders(tmp_path: Path) -> None:
    (tmp_path / "knowledge").mkdir()
    file = write_leaf(tmp_path, "skills/writing/haiku", skill_text())
    report = load_leaf(file, tmp_path)
    [(_, message)] = errors(report)
    assert "outside the taxonomy's top folders" in message
    assert "knowledge/, compositional_skills/, foundational_skills/" in message


def test_version_1_with_few_examples_gets_a_warning(tmp_path: Path) -> None:
    report = load_leaf(write_leaf(tmp_path, "compositional_skills/a/b", skill_text(count=3, version=1)))
    assert report.valid and any("only 3 seed examples" in w for w in _warnings(report))


def test_token_ceiling_never_underestimates() -> None:
    rng = random.Random(5)
    alphabet = "abcXYZ  019.,;!-\n\té€😀٣\u00a0’"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        assert estimate_tokens(text) <= _token_ceiling(text)
