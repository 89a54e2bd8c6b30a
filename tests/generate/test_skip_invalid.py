"""`labgen generate` over a tree with an invalid leaf: stop by default, --skip-invalid generates the rest;
and a skill leaf mixing examples with and without context generates from its majority kind's examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from labgen.cli import cli
from labgen.generate import GenerateConfig, generate
from tests.fakes import FakeTeacher, plausible_answer
from tests.generate.conftest import FREEFORM, GROUNDED, KNOWLEDGE, commit_all, write_leaf

BROKEN = "compositional_skills/writing/freeform/broken"


def _prompts(teacher: FakeTeacher) -> str:
    return "\n".join(m["content"] for request in teacher.history for m in request.messages)


@pytest.fixture
def broken_taxonomy(taxonomy: Path) -> Path:
    """The three good leaves plus a freeform leaf with only two seed examples (v2 needs five)."""
    write_leaf(taxonomy, BROKEN, {"version": 2, "created_by": "tests", "task_description": "Writing limericks.",
                                  "seed_examples": [{"question": "A limerick about a cat.", "answer": "There once..."},
                                                    {"question": "A limerick about a dog.", "answer": "A dog..."}]})
    commit_all(taxonomy, "a broken leaf")
    return taxonomy


@pytest.fixture
def teacher(monkeypatch: pytest.MonkeyPatch) -> FakeTeacher:
    fake = FakeTeacher(responder=plausible_answer, max_in_flight=8)
    monkeypatch.setattr("labgen.cli.teacher_options.teacher_from_cli", lambda options: fake)
    return fake


def _generate(taxonomy: Path, out: Path, *extra: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["generate", str(taxonomy), "--out", str(out), "--quiet", "--no-dedup",
                                    "--target-per-seed", "1", *extra])


def test_by_default_an_invalid_leaf_stops_the_run_before_any_teacher_call(broken_taxonomy: Path, tmp_path: Path,
                                                                          teacher: FakeTeacher) -> None:
    result = _generate(broken_taxonomy, tmp_path / "out")
    assert result.exit_code != 0
    assert "broken/qna.yaml" in result.output and "nothing was generated" in result.output
    assert "--skip-invalid" in result.output  # the hint names the way out
    assert teacher.history == [] and not (tmp_path / "out" / "run.json").exists()


def test_skip_invalid_generates_the_valid_leaves_and_lists_the_skipped_one(broken_taxonomy: Path, tmp_path: Path,
                                                                           teacher: FakeTeacher) -> None:
    out = tmp_path / "out"
    result = _generate(broken_taxonomy, out, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "skipped 1 invalid leaf" in result.output
    [line] = [row for row in result.output.splitlines() if row.startswith(f"  {BROKEN}: ")]
    assert "broken/qna.yaml:" in line and "needs at least 5" in line
    run = json.loads((out / "run.json").read_text())
    [skipped] = run["skipped_leaves"]
    assert skipped["path"] == BROKEN and skipped["file"].endswith(f"{BROKEN}/qna.yaml")
    assert isinstance(skipped["line"], int) and "needs at least 5" in skipped["error"]
    assert set(run["leaves"]) == {FREEFORM, GROUNDED, KNOWLEDGE}
    for leaf in (FREEFORM, GROUNDED, KNOWLEDGE):
        assert (out / leaf / "samples.jsonl").stat().st_size > 0
    assert not (out / BROKEN).exists()
    assert teacher.history and "limerick" not in _prompts(teacher).lower()


def test_skip_invalid_on_a_valid_tree_skips_nothing(taxonomy: Path, tmp_path: Path, teacher: FakeTeacher) -> None:
    result = _generate(taxonomy, tmp_path / "out", "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "skipped" not in result.output
    assert json.loads((tmp_path / "out" / "run.json").read_text())["skipped_leaves"] == []


def test_a_mostly_grounded_leaf_generates_from_its_examples_with_context(taxonomy: Path, tmp_path: Path) -> None:
    qna = taxonomy / GROUNDED / "qna.yaml"
    data = yaml.safe_load(qna.read_text())
    del data["seed_examples"][2]["context"]  # 4 of 5 keep their invoice
    odd_question = data["seed_examples"][2]["question"]
    qna.write_text(yaml.safe_dump(data, sort_keys=False))
    commit_all(taxonomy, "a mixed leaf")
    fake = FakeTeacher(responder=plausible_answer, max_in_flight=8)
    result = generate(taxonomy, tmp_path / "out", fake, GenerateConfig(dedup=False))
    assert result.leaves[GROUNDED].kept > 0
    grounded_prompts = "\n".join(m["content"] for r in fake.history if r.stage.startswith("grounded")
                                 for m in r.messages)
    assert "Invoice 100" in grounded_prompts and odd_question not in grounded_prompts
    [note] = [n for n in result.notes if n.startswith(GROUNDED)]
    assert "grounded skill from the 4 examples with a context" in note and "seed-2" in note
    assert note in json.loads((tmp_path / "out" / "run.json").read_text())["notes"]
