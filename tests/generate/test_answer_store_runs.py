"""Generate once, curate many times: with the answer store, a rerun with new curation settings sends no
request, and gives what a fresh run with those settings gives."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from labgen.generate import GenerateConfig, generate
from labgen.store.answers import request_key
from tests.fakes import FakeTeacher, plausible_answer
from tests.generate.conftest import FREEFORM, GROUNDED, KNOWLEDGE

# One round per unit: stricter settings cannot start new rounds, so a rerun needs no new request.
CONFIG = GenerateConfig(dedup=False, max_rounds=1)
LEAVES = (FREEFORM, GROUNDED, KNOWLEDGE)


def fake() -> FakeTeacher:
    return FakeTeacher(responder=plausible_answer, by_stage={"judge_pair": "Reason: fine\nScore: 3"})


def _files(out: Path) -> dict[str, tuple[bytes, bytes]]:
    return {leaf: ((out / leaf / "samples.jsonl").read_bytes(), (out / leaf / "rejects.jsonl").read_bytes())
            for leaf in LEAVES}


def test_new_threshold_and_system_prompt_cost_no_request_and_match_a_fresh_run(taxonomy: Path,
                                                                             tmp_path: Path) -> None:
    out = tmp_path / "out"
    first_teacher = fake()
    generate(taxonomy, out, first_teacher, CONFIG)
    assert first_teacher.history
    strict = replace(CONFIG, system_prompt="You are a terse assistant.",
                     critic=CONFIG.critic.with_overrides(min_lexical_support=0.95, pair_min_score=3))
    rerun_teacher = fake()
    rerun = generate(taxonomy, out, rerun_teacher, strict)
    assert rerun_teacher.history == []  # every answer came from the store
    assert rerun.units_generated > 0  # the units themselves were curated again
    run = json.loads((out / "run.json").read_text())
    assert run["answer_store"]["misses"] == 0 and run["answer_store"]["hits"] > 0
    assert run["teacher_accounting"]["total"]["requests"] == 0

    fresh = tmp_path / "fresh"
    generate(taxonomy, fresh, fake(), strict)
    assert _files(out) == _files(fresh)


def test_a_store_shared_between_output_folders(taxonomy: Path, tmp_path: Path) -> None:
    store = tmp_path / "answers.sqlite"
    generate(taxonomy, tmp_path / "a", fake(), CONFIG, answer_store=store)
    teacher = fake()
    generate(taxonomy, tmp_path / "b", teacher, CONFIG, answer_store=store)
    assert teacher.history == []
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_the_stricter_settings_do_change_the_kept_set(taxonomy: Path, tmp_path: Path) -> None:
    """Guards the test above: its settings really change what is kept, so its equality means something."""
    generate(taxonomy, tmp_path / "default", fake(), CONFIG)
    strict = replace(CONFIG, critic=CONFIG.critic.with_overrides(min_lexical_support=0.95, pair_min_score=3))
    generate(taxonomy, tmp_path / "strict", fake(), strict)
    assert _files(tmp_path / "default") != _files(tmp_path / "strict")


def test_with_rounds_left_a_stricter_rerun_asks_only_for_the_new_rounds(taxonomy: Path, tmp_path: Path) -> None:
    """Stricter settings leave units short of their target; with rounds left they start new rounds, and
    only those requests reach the teacher (every earlier one is answered from the store)."""
    config = replace(CONFIG, max_rounds=3)
    out = tmp_path / "out"
    first_teacher = fake()
    generate(taxonomy, out, first_teacher, config)
    strict = replace(config, critic=config.critic.with_overrides(pair_min_score=3, min_lexical_support=0.95))
    rerun_teacher = fake()
    generate(taxonomy, out, rerun_teacher, strict)
    identity = first_teacher.identity()
    first_keys = {request_key(r, identity) for r in first_teacher.history}
    assert rerun_teacher.history  # the stricter critic left some unit short: a new round was needed
    assert all(request.tag[1][0] >= 1 for request in rerun_teacher.history)  # only rounds after the first
    assert not any(request_key(r, identity) in first_keys for r in rerun_teacher.history)
    fresh = tmp_path / "fresh"
    generate(taxonomy, fresh, fake(), strict)
    assert _files(out) == _files(fresh)
