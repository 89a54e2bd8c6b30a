"""The JSON Schemas: what each version accepts and refuses, and problems placed at the right lines."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from validate_leaves import errors, knowledge_text, skill_text, write_leaf

from labgen.taxonomy.leaf import FREEFORM_SKILL, GROUNDED_SKILL, KNOWLEDGE
from labgen.taxonomy.schema import SCHEMAS_DIR, compiled_validator, load_schema, supported_versions
from labgen.taxonomy.walk import load_leaf


def _report(tmp_path: Path, text: str, branch: str = "compositional_skills"):  # type: ignore[no-untyped-def]
    return load_leaf(write_leaf(tmp_path, f"{branch}/area/leaf", text))


@pytest.mark.parametrize(("text", "branch", "kind", "version"), [
    (skill_text(version=3), "compositional_skills", FREEFORM_SKILL, 3),
    (skill_text(version=2), "compositional_skills", FREEFORM_SKILL, 2),
    (skill_text(version=1), "compositional_skills", FREEFORM_SKILL, 1),
    (skill_text(version=None, count=2), "compositional_skills", FREEFORM_SKILL, 1),
    (skill_text(version=3, grounded=True), "compositional_skills", GROUNDED_SKILL, 3),
    (skill_text(version=2, grounded=True), "foundational_skills", GROUNDED_SKILL, 2),
    (skill_text(version=3), "foundational_skills", FREEFORM_SKILL, 3),
    (knowledge_text(), "knowledge", KNOWLEDGE, 3),
])
def test_good_leaves_of_every_kind_and_version(tmp_path: Path, text: str, branch: str, kind: str,
                                                version: int) -> None:
    report = _report(tmp_path, text, branch)
    assert errors(report) == []
    assert (report.kind, report.version, report.valid) == (kind, version, True)
    assert report.leaf is not None and report.leaf.kind == kind


@pytest.mark.parametrize("version", [1, 2])
def test_old_knowledge_versions_are_refused_with_the_reason(tmp_path: Path, version: int) -> None:
    text = (f"version: {version}\ncreated_by: bob\ndomain: Astronomy\ntask_description: Moon facts\n"
            "document:\n  repo: https://example.invalid/d.git\n  commit: abc\n  patterns: ['*.md']\n"
            "seed_examples:\n" + "".join(f"  - question: q{i}\n    answer: a{i}\n" for i in range(5)))
    report = _report(tmp_path, text, "knowledge")
    assert not report.valid and report.leaf is None
    [(line, message)] = errors(report)
    assert line == 1 and "knowledge leaves need version 3" in message and "docs/taxonomy.md" in message


def test_unknown_version_and_non_integer_version(tmp_path: Path) -> None:
    report = _report(tmp_path, skill_text(version=4))
    assert errors(report) == [(1, "unsupported version 4; use one of 1, 2, 3")]
    report = _report(tmp_path, skill_text().replace("version: 3", "version: three"))
    assert "whole number" in errors(report)[0][1]


def test_missing_required_field_is_at_its_parent_line(tmp_path: Path) -> None:
    text = skill_text().replace("    answer: Haiku 2 about rain, calm and brief.\n", "")
    report = _report(tmp_path, text)
    assert errors(report) == [(9, "seed_examples[2]: missing required field 'answer'; write the answer")]


def test_missing_top_level_fields(tmp_path: Path) -> None:
    report = _report(tmp_path, "version: 3\nseed_examples: []\n")
    found = [message for _, message in errors(report)]
    assert "missing required field 'created_by'; add your GitHub user name" in found
    assert "missing required field 'task_description'; describe the skill in a sentence" in found
    assert "seed_examples: has 0 seed examples, needs at least 5; add 5 more" in found


def test_fewer_than_five_seed_examples(tmp_path: Path) -> None:
    report = _report(tmp_path, skill_text(count=4))
    assert errors(report) == [(4, "seed_examples: has 4 seed examples, needs at least 5; add 1 more")]


def test_unknown_field_is_at_its_own_line(tmp_path: Path) -> None:
    text = skill_text().replace("    answer: Haiku 1", "    answr: oops\n    answer: Haiku 1")
    report = _report(tmp_path, text)
    [(line, message)] = errors(report)
    assert line == 8 and "unknown field 'answr'" in message and "allowed: answer, context, question" in message


def test_empty_answer_and_wrong_type(tmp_path: Path) -> None:
    text = skill_text().replace("answer: Haiku 0 about rain, calm and brief.", "answer: ''")
    text = text.replace("answer: Haiku 3 about rain, calm and brief.", "answer: 42")
    report = _report(tmp_path, text)
    assert errors(report) == [(6, "seed_examples[0].answer: is empty; write the answer"),
                              (12, "seed_examples[3].answer: must be text, not a number; quote it")]


def test_knowledge_needs_three_pairs_and_a_full_document(tmp_path: Path) -> None:
    text = knowledge_text().replace("  commit: 0123456789abcdef\n", "")
    lines = text.splitlines(keepends=True)
    del lines[15:17]  # the third question-answer pair of the first seed example
    report = _report(tmp_path, "".join(lines), "knowledge")
    found = errors(report)
    assert (5, "document: missing required field 'commit'; add the commit to read") in found
    assert any(line == 11 and "seed_examples[0].questions_and_answers: has 2 items, needs at least 3" in message
               for line, message in found)


def test_knowledge_document_outline_is_required(tmp_path: Path) -> None:
    text = knowledge_text().replace("document_outline: Facts about the Moon\n", "")
    report = _report(tmp_path, text, "knowledge")
    assert [m for _, m in errors(report)] == [
        "missing required field 'document_outline'; summarise the documents in a sentence"]


def test_identical_seed_examples_are_refused(tmp_path: Path) -> None:
    text = skill_text() + ("  - question: Write a haiku about rain number 0\n"
                           "    answer: Haiku 0 about rain, calm and brief.\n")
    report = _report(tmp_path, text)
    assert any("seed_examples[5] repeats seed_examples[0] exactly" in m for _, m in errors(report))


def test_version_1_skills_need_a_task_description(tmp_path: Path) -> None:
    report = _report(tmp_path, skill_text(version=None, description=False))
    assert errors(report) == [(1, "missing required field 'task_description'; describe the skill in a sentence")]
    report = _report(tmp_path, skill_text(version=None).replace("Write a short haiku", "''"))
    assert report.valid  # present but empty: InstructLab's v1 schema sets no minLength, and labgen follows it


def test_every_shipped_schema_is_a_valid_draft_2020_12_schema() -> None:
    names = sorted(p.relative_to(SCHEMAS_DIR).as_posix() for p in SCHEMAS_DIR.glob("v*/*.json"))
    assert names == [f"v{v}/{n}.json" for v in (1, 2, 3) for n in ("compositional_skills", "knowledge", "version")]
    assert supported_versions("compositional_skills") == (1, 2, 3) and supported_versions("knowledge") == (3,)
    for family in ("compositional_skills", "knowledge"):
        for version in supported_versions(family):
            validator, fast = compiled_validator(family, version)
            assert fast is not None  # every supported schema gets the fast pre-check


# -- the fast pre-check never says "valid" where jsonschema says "invalid" ------------------------------------

_GOOD = {("compositional_skills", 3): yaml.safe_load(skill_text()),
         ("compositional_skills", 1): yaml.safe_load(skill_text(version=None)),
         ("compositional_skills", 2): yaml.safe_load(skill_text(version=2, grounded=True)),
         ("knowledge", 3): yaml.safe_load(knowledge_text())}
_REPLACEMENTS = st.one_of(st.none(), st.booleans(), st.integers(-3, 5), st.floats(0, 5), st.just(""),
                          st.just("text"), st.just([]), st.just({}), st.just(True))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(_GOOD)), st.data())
def test_fast_check_agrees_with_jsonschema(key: tuple[str, int], data: st.DataObject) -> None:
    document = copy.deepcopy(_GOOD[key])
    validator, fast = compiled_validator(*key)
    assert fast is not None and fast(document) and validator.is_valid(document)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(document)))
        action = data.draw(st.sampled_from(["replace", "delete", "add", "duplicate"]))
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        if not path:
            continue
        if action == "replace":
            parent[path[-1]] = data.draw(_REPLACEMENTS)
        elif action == "delete":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[data.draw(st.sampled_from(["extra", "context", "version", "answer"]))] = data.draw(_REPLACEMENTS)
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[path[-1]]))
    if fast(document):
        assert validator.is_valid(document), document


def test_schemas_are_json_files_next_to_the_module() -> None:
    assert load_schema("knowledge", 3)["properties"]["seed_examples"]["minItems"] == 5
    assert load_schema("compositional_skills", 2)["unevaluatedProperties"] is False
    assert load_schema("knowledge", 1)["deprecated"] is True


def test_old_knowledge_without_version_is_refused_with_the_reason(tmp_path: Path) -> None:
    text = ("created_by: bob\ndomain: animal\ntask_description: cats\ndocument:\n repo: https://example.invalid/d\n"
            " commit: abc\n patterns:\n   - cats.md\nseed_examples:\n"
            + "".join(f"- question: q{i}?\n  answer: a{i}.\n" for i in range(5)))
    [(line, message)] = errors(_report(tmp_path, text, "knowledge"))
    assert line == 1 and "knowledge leaves need version 3" in message and "no `version`" in message


def test_attribution_belongs_in_attribution_txt_not_in_qna_yaml(tmp_path: Path) -> None:
    # InstructLab's schemas (v1 included) refuse an `attribution` key; labgen follows them
    v1 = skill_text(version=None).replace("created_by: alice\n", "created_by: alice\nattribution: 'self authored'\n")
    [(line, message)] = errors(_report(tmp_path, v1))
    assert line == 2 and "unknown field 'attribution'" in message
    v3 = skill_text(version=3).replace("created_by: alice\n", "created_by: alice\nattribution: 'self authored'\n")
    [(line, message)] = errors(_report(tmp_path, v3))
    assert line == 3 and "unknown field 'attribution'" in message


def test_thousands_of_distinct_examples_do_not_stall_validation(tmp_path: Path) -> None:
    # jsonschema's uniqueItems is quadratic; a hostile file must not make it run for minutes
    examples = "".join(f"- {{question: q{i}, answr: b}}\n" for i in range(20_000))
    text = "version: 3\ncreated_by: a\ntask_description: t\nseed_examples:\n" + examples
    started = time.perf_counter()
    report = _report(tmp_path, text)
    assert time.perf_counter() - started < 10.0
    assert errors(report) == [(4, "seed_examples: has 20,000 items, more than the 1,000 a leaf may hold; "
                                  "split it into several leaves")]
    valid = text.replace("answr", "answer")
    assert _report(tmp_path, valid).valid  # the fast check proves uniqueness in linear time
