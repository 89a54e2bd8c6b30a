"""End-to-end mixing over fake runs: sizes, replay, caps and floors, determinism, format, drops."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mix_fake_run import leaf_rows, read_rows, sample, write_run, write_sized_run

from labgen.errors import OutputError
from labgen.hashing import sha256_file
from labgen.mix import MANIFEST_FILE, conformance_problem, load_recipe, mix, parse_recipe

SETTINGS = settings(max_examples=25, deadline=None)

RECIPE = """\
version: 1
name: prop
seed: {seed}
system_prompt: You are the student.
phases:
  - name: knowledge
    sources:
      - name: know
        kinds: [knowledge]
        ratio: {ratio}
        per_leaf: {{cap: {cap}, floor: {floor}}}
      - name: found
        branches: [foundational_skills]
  - name: skills
    sources:
      - name: comp
        branches: [compositional_skills]
    replay:
      fraction: {fraction}
"""

leaf_sizes = st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=5)


def _sizes(knowledge: list[int], foundational: list[int], compositional: list[int]) -> list[tuple[str, int]]:
    return ([(f"knowledge/topic{i}", n) for i, n in enumerate(knowledge)]
            + [(f"foundational_skills/skill{i}", n) for i, n in enumerate(foundational)]
            + [(f"compositional_skills/writing/s{i}", n) for i, n in enumerate(compositional)])


def _manifest(out: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((out / MANIFEST_FILE).read_text(encoding="utf-8"))
    return manifest


@SETTINGS
@given(knowledge=leaf_sizes, foundational=leaf_sizes, compositional=leaf_sizes,
       ratio=st.sampled_from([0.3, 0.5, 1.0]), cap=st.integers(min_value=5, max_value=25),
       floor=st.integers(min_value=0, max_value=5), fraction=st.sampled_from([0.0, 0.1, 0.25, 0.5, 1.0]),
       seed=st.integers(min_value=0, max_value=10_000))
def test_phase_sizes_replay_caps_and_floors(tmp_path_factory: pytest.TempPathFactory, knowledge: list[int],
                                            foundational: list[int], compositional: list[int], ratio: float,
                                            cap: int, floor: int, fraction: float, seed: int) -> None:
    root = tmp_path_factory.mktemp("run")
    write_sized_run(root / "run", _sizes(knowledge, foundational, compositional))
    recipe = parse_recipe(RECIPE.format(seed=seed, ratio=ratio, cap=cap, floor=floor, fraction=fraction))
    result = mix(root / "run", recipe, root / "out")
    first, second = (read_rows(phase.file) for phase in result.phases)

    # Phase 1: only knowledge and foundational rows, no repeats, caps and floors per knowledge leaf.
    assert {r["metadata"]["kind"] for r in first} <= {"knowledge", "freeform_skill"}
    assert all(not r["metadata"]["leaf"].startswith("compositional") for r in first)
    assert len({r["metadata"]["sample_id"] for r in first}) == len(first)
    per_leaf = Counter(r["metadata"]["leaf"] for r in first if r["metadata"]["source"] == "know")
    for i, available in enumerate(knowledge):
        got = per_leaf.get(f"knowledge/topic{i}", 0)
        assert min(floor, available) <= got <= min(cap, available)
    assert sum(1 for r in first if r["metadata"]["source"] == "found") == sum(foundational)

    # Phase 2: every compositional row, plus round(fraction * phase 1) replayed rows of phase 1.
    new = [r for r in second if not r["metadata"]["replayed"]]
    replayed = [r for r in second if r["metadata"]["replayed"]]
    assert len(new) == sum(compositional)
    assert len(replayed) == int(fraction * len(first) + 0.5)
    first_ids = {r["metadata"]["sample_id"] for r in first}
    assert {r["metadata"]["sample_id"] for r in replayed} <= first_ids
    assert len({r["metadata"]["sample_id"] for r in replayed}) == len(replayed)
    assert all(r["metadata"]["phase"] == "skills" for r in second)

    # Every row is in the training format; the manifest agrees with the files.
    for row in first + second:
        assert conformance_problem(row) is None, row
        assert row["messages"][0]["content"] == "You are the student."
    manifest = _manifest(root / "out")
    for entry, rows, phase in zip(manifest["phases"], (first, second), result.phases):
        assert entry["rows"] == len(rows) == phase.rows
        assert entry["sha256"] == sha256_file(phase.file)
        leaf_counts = Counter(r["metadata"]["leaf"] for r in rows if not r["metadata"]["replayed"])
        assert {leaf: c["rows"] for leaf, c in entry["leaves"].items() if c["rows"]} == dict(leaf_counts)
    assert manifest["phases"][1]["replayed"] == len(replayed)
    assert manifest["seed"] == seed


@settings(max_examples=12, deadline=None)
@given(sizes=st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=6),
       seed=st.integers(min_value=0, max_value=10_000))
def test_same_inputs_and_seed_give_byte_identical_files(tmp_path_factory: pytest.TempPathFactory,
                                                        sizes: list[int], seed: int) -> None:
    root = tmp_path_factory.mktemp("det")
    leaves = [(f"knowledge/k{i}", n) for i, n in enumerate(sizes)] + [
        (f"compositional_skills/c{i}", n) for i, n in enumerate(sizes)]
    write_sized_run(root / "run", leaves)
    recipe = load_recipe("lab-paper")
    one = mix(root / "run", recipe, root / "a", seed=seed)
    two = mix(root / "run", recipe, root / "b", seed=seed)
    for left, right in zip(one.phases, two.phases):
        assert (left.file is None) == (right.file is None)
        if left.file is not None and right.file is not None:
            assert left.file.read_bytes() == right.file.read_bytes()
    assert (root / "a" / MANIFEST_FILE).read_bytes() == (root / "b" / MANIFEST_FILE).read_bytes()


def test_a_different_seed_picks_different_rows(tmp_path: Path) -> None:
    write_sized_run(tmp_path / "run", [("knowledge/a", 200), ("compositional_skills/b", 200)])
    results = [mix(tmp_path / "run", load_recipe("default"), tmp_path / f"out{seed}", seed=seed)
               for seed in (1, 2)]
    # Replay draws 20% of 200 knowledge rows: two seeds agreeing would be a 1-in-10^40 event.
    assert results[0].phases[1].file.read_bytes() != results[1].phases[1].file.read_bytes()
    assert results[0].phases[0].file.read_bytes() == results[1].phases[0].file.read_bytes()  # takes all


def test_lab_paper_splits_answer_styles_and_replays_only_own_rows(tmp_path: Path) -> None:
    rows = (leaf_rows("knowledge/history", 40) + leaf_rows("knowledge/science", 21)
            + leaf_rows("foundational_skills/math", 10) + leaf_rows("compositional_skills/haiku", 15))
    write_run(tmp_path / "run", rows)
    result = mix(tmp_path / "run", load_recipe("lab-paper"), tmp_path / "out")
    short, long_, skills = (read_rows(phase.file) for phase in result.phases)
    assert [p.file.name for p in result.phases] == [
        "phase1_knowledge_short.jsonl", "phase2_knowledge_long.jsonl", "phase3_skills.jsonl"]
    assert len(short) == 20 + 11 and {r["metadata"]["source"] for r in short} == {"knowledge_short"}
    long_new = [r for r in long_ if not r["metadata"]["replayed"]]
    assert Counter(r["metadata"]["source"] for r in long_new) == {"knowledge_long": 30, "foundational_skills": 10}
    assert sum(r["metadata"]["replayed"] for r in long_) == 6  # 20% of 31
    replayed = Counter(r["metadata"]["source"] for r in skills if r["metadata"]["replayed"])
    # 20% of phase 1's 31 own rows, and 20% of phase 2's 40 own rows (never its 6 replayed ones).
    assert replayed["knowledge_short"] == 6
    assert replayed["knowledge_long"] + replayed["foundational_skills"] == 8
    manifest = _manifest(tmp_path / "out")
    assert [(r["from"], r["written"]) for r in manifest["phases"][2]["replay"]] == [
        ("knowledge_short", 6), ("knowledge_long", 8)]


def test_replay_rows_are_spread_through_the_phase(tmp_path: Path) -> None:
    write_sized_run(tmp_path / "run", [("knowledge/a", 100), ("compositional_skills/b", 100)])
    result = mix(tmp_path / "run", load_recipe("default"), tmp_path / "out")
    flags = [r["metadata"]["replayed"] for r in read_rows(result.phases[1].file)]
    positions = [i for i, flag in enumerate(flags) if flag]
    assert len(positions) == 20
    assert positions[0] < 10 and positions[-1] > 100  # not bunched at either end


def test_the_recipe_system_prompt_replaces_the_samples_own(tmp_path: Path) -> None:
    no_system = [{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Hello."}]
    write_run(tmp_path / "run", [sample("compositional_skills/a", 0),
                                 sample("compositional_skills/a", 1, messages=no_system)])
    result = mix(tmp_path / "run", load_recipe("default"), tmp_path / "out")
    rows = read_rows(result.phases[1].file)
    assert len(rows) == 2
    for row in rows:
        assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant"]
        assert row["messages"][0]["content"].startswith("You are a cautious assistant.")


def test_rows_that_break_the_format_are_dropped_and_counted(tmp_path: Path) -> None:
    leaf = "compositional_skills/a"
    bad = [
        sample(leaf, 0, messages=[{"role": "user", "content": "Q?"}, {"role": "assistant", "content": "  "}]),
        sample(leaf, 1, messages=[{"role": "user", "content": "Q?"}, {"role": "user", "content": "A."}]),
        sample(leaf, 2, messages=[{"role": "assistant", "content": "A."}, {"role": "user", "content": "Q?"}]),
        sample(leaf, 3, messages=[{"role": "user", "content": "Q?"}]),
        {**sample(leaf, 4), "messages": None},
    ]
    multi_turn = [{"role": "user", "content": "Q1?"}, {"role": "assistant", "content": "A1."},
                  {"role": "user", "content": "Q2?"}, {"role": "assistant", "content": "A2."}]
    write_run(tmp_path / "run", [*bad, sample(leaf, 5), sample(leaf, 6, messages=multi_turn)])
    result = mix(tmp_path / "run", load_recipe("default"), tmp_path / "out")
    rows = read_rows(result.phases[1].file)
    assert len(rows) == 2 and all(conformance_problem(r) is None for r in rows)
    assert len(rows[1]["messages"]) == 5
    assert result.phases[1].dropped == {"bad_roles": 3, "empty_content": 1, "no_messages": 1}
    entry = _manifest(tmp_path / "out")["phases"][1]
    assert entry["dropped"] == result.phases[1].dropped
    assert entry["sources"]["compositional_skills"]["written"] == 2


def test_max_seq_len_drops_long_rows_and_reports_them(tmp_path: Path) -> None:
    leaf = "compositional_skills/a"
    long_answer = "word " * 400
    write_run(tmp_path / "run", [sample(leaf, i, answer=long_answer if i % 3 == 0 else "Short.")
                                 for i in range(9)])
    result = mix(tmp_path / "run", load_recipe("default"), tmp_path / "out", max_seq_len=1000)
    assert result.phases[1].rows == 6 and result.dropped_too_long == 3
    manifest = _manifest(tmp_path / "out")
    assert manifest["dropped_too_long"] == 3 and manifest["max_seq_len"] == 1000
    assert manifest["length_count"] == "upper_bound"


def test_an_external_messages_dataset_is_mixed_in(tmp_path: Path) -> None:
    write_sized_run(tmp_path / "run", [("knowledge/a", 4), ("compositional_skills/b", 4)])
    external = tmp_path / "recipes" / "extra.jsonl"
    external.parent.mkdir()
    lines = [{"messages": [{"role": "system", "content": "old"}, {"role": "user", "content": f"Q{i}?"},
                           {"role": "assistant", "content": f"A{i}."}]} for i in range(10)]
    lines[3]["id"] = "ext-3"
    external.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    recipe_file = tmp_path / "recipes" / "r.yaml"
    recipe_file.write_text(
        "version: 1\nname: ext\nsystem_prompt: Sys.\nphases:\n  - name: only\n    sources:\n"
        "      - {name: tax, kinds: [knowledge]}\n      - {name: extra, path: extra.jsonl, count: 10}\n",
        encoding="utf-8")
    result = mix(tmp_path / "run", load_recipe(recipe_file), tmp_path / "out")
    rows = read_rows(result.phases[0].file)
    external_rows = [r for r in rows if r["metadata"]["source"] == "extra"]
    assert len(rows) == 14 and len(external_rows) == 10
    assert all(r["metadata"]["kind"] == "external" and r["metadata"]["leaf"] == "" for r in external_rows)
    assert all(r["messages"][0] == {"role": "system", "content": "Sys."} for r in external_rows)
    ids = {r["metadata"]["sample_id"] for r in external_rows}
    assert "ext-3" in ids and "extra.jsonl:1" in ids


def test_replacement_upsamples_every_row_evenly(tmp_path: Path) -> None:
    write_sized_run(tmp_path / "run", [("knowledge/a", 5)])
    recipe = parse_recipe("version: 1\nname: up\nsystem_prompt: S.\nphases:\n  - name: only\n    sources:\n"
                          "      - {name: k, kinds: [knowledge], ratio: 3, replacement: true}\n")
    rows = read_rows(mix(tmp_path / "run", recipe, tmp_path / "out").phases[0].file)
    assert sorted(Counter(r["metadata"]["sample_id"] for r in rows).values()) == [3] * 5


def test_a_torn_last_line_is_ignored(tmp_path: Path) -> None:
    write_sized_run(tmp_path / "run", [("compositional_skills/a", 3)])
    with open(tmp_path / "run/compositional_skills/a/samples.jsonl", "a", encoding="utf-8") as handle:
        handle.write('{"id": "torn", "messa')
    result = mix(tmp_path / "run", load_recipe("default"), tmp_path / "out")
    assert result.phases[1].rows == 3


def test_a_malformed_line_is_an_error_naming_file_and_line(tmp_path: Path) -> None:
    write_sized_run(tmp_path / "run", [("compositional_skills/a", 3)])
    path = tmp_path / "run/compositional_skills/a/samples.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(lines[0] + "{not json\n" + "".join(lines[1:]), encoding="utf-8")
    with pytest.raises(OutputError) as info:
        mix(tmp_path / "run", load_recipe("default"), tmp_path / "out")
    assert info.value.line == 2 and str(path) in str(info.value)


def test_rows_no_source_selects_are_counted(tmp_path: Path) -> None:
    rows = leaf_rows("knowledge/a", 4) + [sample("knowledge/a", 9, answer_style="medium")]
    write_run(tmp_path / "run", rows + leaf_rows("compositional_skills/b", 2))
    mix(tmp_path / "run", load_recipe("lab-paper"), tmp_path / "out")
    assert _manifest(tmp_path / "out")["input"]["unmatched_rows"] == 1


def test_a_run_without_samples_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "run" / "knowledge" / "a").mkdir(parents=True)
    (tmp_path / "run" / "knowledge" / "a" / "samples.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(OutputError, match="holds no samples"):
        mix(tmp_path / "run", load_recipe("default"), tmp_path / "out")
    with pytest.raises(OutputError, match="run directory not found"):
        mix(tmp_path / "missing", load_recipe("default"), tmp_path / "out")


def test_rows_written_in_any_json_style_come_out_the_same(tmp_path: Path) -> None:
    leaf = "compositional_skills/a"
    turns = [{"role": "system", "content": "own"}, {"role": "user", "content": "Ça va? \u2603 \"quoted\"\n"},
             {"role": "assistant", "content": "Très bien.", "name": "bot"}]
    rows = [sample(leaf, i, messages=turns) for i in range(3)]
    for style, options in (("compact", {"separators": (",", ":"), "ensure_ascii": False}),
                           ("spaced", {"ensure_ascii": True})):
        path = tmp_path / style / leaf / "samples.jsonl"
        path.parent.mkdir(parents=True)
        path.write_text("".join(json.dumps(row, **options) + "\n" for row in rows), encoding="utf-8")
    compact, spaced = (read_rows(mix(tmp_path / style, load_recipe("default"), tmp_path / f"out-{style}")
                                 .phases[1].file) for style in ("compact", "spaced"))
    assert compact == spaced and len(compact) == 3
    for row in compact:
        assert conformance_problem(row) is None
        assert row["messages"][1:] == [{"role": "user", "content": "Ça va? \u2603 \"quoted\"\n"},
                                       {"role": "assistant", "content": "Très bien."}]


def test_mix_accepts_a_recipe_name_and_the_seed_reaches_the_manifest(tmp_path: Path) -> None:
    write_sized_run(tmp_path / "run", [("knowledge/a", 3), ("compositional_skills/b", 3)])
    result = mix(tmp_path / "run", "lab-paper", tmp_path / "out", seed=5)
    assert [p.name for p in result.phases] == ["knowledge_short", "knowledge_long", "skills"]
    assert _manifest(tmp_path / "out")["recipe"]["as_used"]["seed"] == 5
