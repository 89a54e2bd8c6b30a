"""`labgen curate`: new curation settings applied to a finished run give what a fresh `labgen generate` with
those settings keeps (ids and content), with no teacher request when the store holds every judgment, only
the missing judgments asked otherwise, and an honest report where new generation would be needed."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from labgen.cli import cli
from labgen.curate.rerun import curate
from labgen.generate import GenerateConfig, generate
from labgen.jsonl import read_jsonl
from tests.curate.varied_teacher import VariedTeacher, bucket
from tests.generate.conftest import FREEFORM, GROUNDED, KNOWLEDGE

LEAVES = (FREEFORM, GROUNDED, KNOWLEDGE)
BASE = GenerateConfig(target_per_seed=2, max_rounds=1)  # one round: stricter settings start no new round
STRICT = replace(BASE, system_prompt="You answer riddles tersely.",
                 critic=BASE.critic.with_overrides(pair_min_score=3, min_lexical_support=0.9))


def rows(out: Path, name: str) -> dict[str, list[dict[str, Any]]]:
    """Each leaf's rows; provenance.unit names the unit file the row came from, whose address (for now)
    hashes the curation settings too, so it is compared apart (see `unit_files_exist`)."""
    out_rows = {}
    for leaf in LEAVES:
        out_rows[leaf] = [{**row, "provenance": {**(row.get("provenance") or {}), "unit": None}}
                          for row in read_jsonl(out / leaf / name)]
    return out_rows


def unit_files_exist(out: Path) -> bool:
    return all((out / ".labgen" / "units" / leaf / f"{row['provenance']['unit']}.json").is_file()
               for leaf in LEAVES for row in read_jsonl(out / leaf / "samples.jsonl"))


BEYOND = {"beyond the unit's target under these settings",
          "beyond the leaf's target under these settings (a fresh run would not top it up)"}


def without_beyond(leaf_rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Rejects a fresh run would not have: candidates of rounds or top-up units it would not start (curate
    keeps them as rejects of stage "curate", so nothing paid for is lost)."""
    assert all(row["reason"] in BEYOND for rows in leaf_rows.values() for row in rows if row["stage"] == "curate")
    return {leaf: [row for row in rows if row["stage"] != "curate"] for leaf, rows in leaf_rows.items()}


def kept_ids(out: Path) -> set[str]:
    return {row["id"] for leaf in LEAVES for row in read_jsonl(out / leaf / "samples.jsonl")}


def test_stricter_thresholds_and_system_prompt_cost_nothing_and_equal_a_fresh_run(taxonomy: Path,
                                                                                  tmp_path: Path) -> None:
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    generate(taxonomy, out, VariedTeacher(), BASE)
    before = kept_ids(out)
    teacher = VariedTeacher()
    result = curate(out, STRICT, teacher=teacher)
    assert teacher.history == [] and result.passed.judgments_asked == 0
    assert result.passed.store_lookups > 0  # judge_pair verdicts re-read from the stored answers
    assert not result.needs_generation

    generate(taxonomy, fresh, VariedTeacher(), STRICT)
    assert rows(out, "samples.jsonl") == rows(fresh, "samples.jsonl")
    assert without_beyond(rows(out, "rejects.jsonl")) == rows(fresh, "rejects.jsonl")
    assert unit_files_exist(out)
    assert kept_ids(out) < before  # the settings did change the kept set
    samples = [row for leaf in LEAVES for row in read_jsonl(out / leaf / "samples.jsonl")]
    assert {row["messages"][0]["content"] for row in samples} == {"You answer riddles tersely."}
    run = json.loads((out / "run.json").read_text())
    assert run["parameters"]["critic"]["pair_min_score"] == 3 and run["curation"]["judgments_asked"] == 0

    again = curate(out, BASE)  # and back: the first run's files, still without the teacher
    assert kept_ids(out) == before and again.passed.judgments_asked == 0


def test_labgen_curate_reads_labgen_yaml_and_keeps_the_runs_other_settings(taxonomy: Path, tmp_path: Path) -> None:
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    generate(taxonomy, out, VariedTeacher(), BASE)
    config = tmp_path / "labgen.yaml"
    config.write_text(yaml.safe_dump({"generate": {"system_prompt": "You answer riddles tersely.",
                                                   "critic": {"pair_min_score": 3, "min_lexical_support": 0.9}}}))
    result = CliRunner().invoke(cli, ["curate", str(out), "--config", str(config), "--no-teacher"])
    assert result.exit_code == 0, result.output
    assert "0 judgments asked of the teacher, 0 missing" in result.output
    generate(taxonomy, fresh, VariedTeacher(), STRICT)  # target_per_seed=2 came from the run, not the file
    assert rows(out, "samples.jsonl") == rows(fresh, "samples.jsonl")

    config.write_text(yaml.safe_dump({"generate": {"target_per_seed": 5}}))
    refused = CliRunner().invoke(cli, ["curate", str(out), "--config", str(config)])
    assert refused.exit_code == 2 and "target_per_seed" in refused.output and "labgen generate" in refused.output


def test_looser_settings_ask_only_the_missing_judgments_and_drop_rounds_a_fresh_run_would_not_start(
        taxonomy: Path, tmp_path: Path) -> None:
    # Without dedup there are no top-up units: this test is about rounds and judgments (top-ups are
    # tests/generate/test_reach_target.py's).
    strict = replace(STRICT, max_rounds=3, dedup=False)
    loose = replace(BASE, max_rounds=3, dedup=False)
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    generate(taxonomy, out, VariedTeacher(), strict)
    teacher = VariedTeacher()
    result = curate(out, loose, teacher=teacher)
    fresh_teacher = VariedTeacher()
    generate(taxonomy, fresh, fresh_teacher, loose)

    # The knowledge unit reaches its target sooner: the rounds a fresh run would not start are rejects
    # of stage "curate", and its files equal the fresh run's. The skill units need later rounds that a
    # fresh run asks for other counts (round counts follow the unit's own decisions): curate says so.
    needing = {path for path, leaf in result.passed.leaves.items() if any(r.needs_generation for r in leaf.replays)}
    assert result.needs_generation and needing == {FREEFORM, GROUNDED}
    assert rows(out, "samples.jsonl")[KNOWLEDGE] == rows(fresh, "samples.jsonl")[KNOWLEDGE]
    knowledge_rejects = {KNOWLEDGE: rows(out, "rejects.jsonl")[KNOWLEDGE]}
    assert without_beyond(knowledge_rejects)[KNOWLEDGE] == rows(fresh, "rejects.jsonl")[KNOWLEDGE]
    asked = {request.stage for request in teacher.history}
    assert teacher.history and asked <= {"judge_safety", "judge_pair", "judge_faithfulness", "judge_relevance",
                                         "judge_standalone"}
    assert len(teacher.history) == result.passed.judgments_asked < len(fresh_teacher.history)
    reasons = {row["reason"] for leaf in LEAVES for row in read_jsonl(out / leaf / "rejects.jsonl")
               if row["stage"] == "curate"}
    assert "beyond the unit's target under these settings" in reasons
    assert any(reason.startswith("needs generation: under these settings the round asks") for reason in reasons)

    second = VariedTeacher()  # what was asked is in the store now
    curate(out, loose, teacher=second)
    assert second.history == [] and rows(out, "samples.jsonl")[KNOWLEDGE] == rows(fresh, "samples.jsonl")[KNOWLEDGE]


def test_without_a_teacher_missing_judgments_are_reported_not_guessed(taxonomy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    generate(taxonomy, out, VariedTeacher(), STRICT)
    result = curate(out, BASE, teacher=None)
    assert result.passed.judgments_missing > 0
    undecided = [row for row in read_jsonl(out / FREEFORM / "rejects.jsonl") if row["stage"] == "curate"]
    assert undecided and all(row["reason"].startswith("judgment not stored: judge_safety") for row in undecided)
    assert any("not stored and no teacher was asked" in note for note in result.notes)


def test_a_unit_short_of_its_target_with_rounds_left_needs_generation(taxonomy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    generate(taxonomy, out, VariedTeacher(), replace(BASE, max_rounds=3))
    result = curate(out, replace(STRICT, max_rounds=3), teacher=None)
    freeform = result.passed.leaves[FREEFORM]
    assert freeform.needs()["short_units"] > 0 and result.needs_generation
    assert any(FREEFORM in note and "run `labgen generate`" in note for note in result.notes)
    printed = CliRunner().invoke(cli, ["curate", str(out), "--no-teacher"])  # the settings curate last applied
    assert printed.exit_code == 0 and "some units need generation under these settings" in printed.output
    assert not curate(out, replace(BASE, max_rounds=3), teacher=None).needs_generation


def test_a_gate_that_now_passes_needs_the_answer_generated(taxonomy: Path, tmp_path: Path) -> None:
    """judge_instruction runs before the answer is paid for: passing it now means an answer to generate."""

    def p_yes(request: Any) -> float:
        return 0.6 if request.stage == "judge_instruction" else 0.99

    logprobs = BASE.critic.with_overrides(judge_logprobs=True)
    picky = replace(BASE, critic=logprobs.with_overrides(judge_min_p_yes=0.7))
    out = tmp_path / "out"
    generate(taxonomy, out, VariedTeacher(p_yes=p_yes), picky)
    assert list(read_jsonl(out / FREEFORM / "samples.jsonl")) == []
    result = curate(out, replace(BASE, critic=logprobs), teacher=VariedTeacher(p_yes=p_yes))
    freeform = result.passed.leaves[FREEFORM]
    assert freeform.samples_needing_generation == 10 and freeform.counts.kept == 0  # never faked
    reasons = {row["reason"] for row in read_jsonl(out / FREEFORM / "rejects.jsonl")}
    assert reasons == {"needs generation: its answer was never generated (run labgen generate)"}
    printed = CliRunner().invoke(cli, ["curate", str(out), "--no-teacher"])
    assert printed.exit_code == 0

    generate(taxonomy, out, VariedTeacher(p_yes=p_yes), replace(BASE, critic=logprobs))  # the way out
    assert len(list(read_jsonl(out / FREEFORM / "samples.jsonl"))) > 0


def test_a_new_judge_setting_that_changes_the_request_asks_again(taxonomy: Path, tmp_path: Path) -> None:
    """judge_max_tokens is part of what the teacher sees: every judgment is a new request."""
    out = tmp_path / "out"
    generate(taxonomy, out, VariedTeacher(), BASE)
    teacher = VariedTeacher()
    changed = replace(BASE, critic=BASE.critic.with_overrides(judge_max_tokens=64))
    result = curate(out, changed, teacher=teacher)
    assert teacher.history and {r.stage for r in teacher.history} <= {f"judge_{n}" for n in (
        "instruction", "question", "pair", "faithfulness", "relevance", "standalone", "safety")}
    assert all(r.params.max_tokens == 64 for r in teacher.history)
    fresh = tmp_path / "fresh"
    generate(taxonomy, fresh, VariedTeacher(), changed)
    assert rows(out, "samples.jsonl") == rows(fresh, "samples.jsonl") and result.passed.judgments_asked > 0


def test_every_recorded_judge_key_is_the_key_curation_renders(taxonomy: Path, tmp_path: Path) -> None:
    """The record's store key and curation's rendering of the same judge request agree (so a judgment
    asked by curation is the one generate would have asked)."""
    from labgen.curate.inputs import load_leaf, read_manifests
    from labgen.curate.judgments import Judges, judge_request, key_of
    from labgen.generate.pipelines import pipeline_for

    out = tmp_path / "out"
    generate(taxonomy, out, VariedTeacher(), BASE)
    judges, checked = Judges(), 0
    for info in read_manifests(out):
        leaf = load_leaf(out, info)
        for unit in leaf.units:
            for record in unit.records:
                for name, mark in record.judges.items():
                    step = pipeline_for(info.kind).step(name)
                    request = judge_request(step, judges.get(name, unit.critic), record, unit, info)
                    assert key_of(request, unit) == mark.key, (info.path, record.slot, name)
                    checked += 1
    assert checked > 20


def test_ids_do_not_depend_on_curation_settings(taxonomy: Path, tmp_path: Path) -> None:
    generate(taxonomy, tmp_path / "a", VariedTeacher(), BASE)
    generate(taxonomy, tmp_path / "b", VariedTeacher(), STRICT)
    ids_a = {row["sample_id"] for leaf in LEAVES for row in read_jsonl(tmp_path / "a" / leaf / "rejects.jsonl")}
    ids_a |= kept_ids(tmp_path / "a")
    ids_b = {row["sample_id"] for leaf in LEAVES for row in read_jsonl(tmp_path / "b" / leaf / "rejects.jsonl")}
    assert kept_ids(tmp_path / "b") <= ids_a and ids_b <= ids_a | {None}


def test_bucket_helper_spreads_the_scores() -> None:
    """Guards the fake: its judge_pair scores really spread over 1..3, so threshold tests can fail."""
    counts = [0, 0, 0]
    for i in range(300):
        counts[bucket(f"text {i}", 3)] += 1
    assert min(counts) > 60 and math.isclose(sum(counts), 300)
