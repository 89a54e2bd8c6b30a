"""Decontamination: 13-gram overlap, short items contained whole, eval item reported, bad eval lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labgen.dedup import ContaminationIndex, DedupConfig, EvalItem, dedup_run, load_eval_items
from labgen.errors import ConfigError
from labgen.jsonl import read_jsonl

from .run_builder import make_sample, write_run

LEAF = "knowledge/history/rivers"
LONG_EVAL = ("The Danube flows through ten countries, more than any other river in the world, "
             "before it reaches the Black Sea in Romania.")


def write_eval(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_shared_13_gram_and_whole_short_item_are_contamination() -> None:
    index = ContaminationIndex([EvalItem(LONG_EVAL, "eval.jsonl", 1), EvalItem("Who painted the Mona Lisa", "e", 2),
                                EvalItem("Who wrote it", "e", 3)], DedupConfig())
    hit = index.find(["Quiz: the danube flows through ten countries, more than any other river in the world!"])
    assert hit is not None and hit.item.line == 1 and hit.rule == "13-gram overlap"
    assert hit.overlap == "the danube flows through ten countries more than any other river in the"
    assert index.find(["The Danube flows through ten countries and many cities."]) is None  # 7 shared words only
    short = index.find([None, "Tell me: who painted the Mona Lisa?"])
    assert short is not None and short.item.line == 2 and short.rule == "contains eval item"
    assert index.find(["Who painted the Sistine chapel"]) is None
    assert [i.line for i in index.skipped] == [3]  # three words: too generic to judge


def test_dedup_run_removes_contaminated_samples_and_names_the_eval_item(tmp_path: Path) -> None:
    eval_file = write_eval(tmp_path / "eval.jsonl", [
        {"text": "An unrelated question about volcanoes and their ash clouds"},
        {"messages": [{"role": "user", "content": "Which river flows through the most countries?"},
                      {"role": "assistant", "content": LONG_EVAL}]}])
    rows = [make_sample(LEAF, "Which river crosses most countries?", LONG_EVAL, kind="knowledge"),
            make_sample(LEAF, "How long is the Nile?", "About 6,650 kilometres.", kind="knowledge")]
    out = write_run(tmp_path / "out", {LEAF: rows})
    report = dedup_run(out, eval_items=load_eval_items([eval_file]))
    [removal] = report.removals
    assert removal.sample_id == rows[0]["id"] and removal.stage == "decontaminate"
    assert removal.duplicate_of == f"eval:{eval_file}:2"
    [reject] = list(read_jsonl(out / LEAF / "rejects.jsonl"))
    assert reject["eval_item"]["line"] == 2 and reject["eval_item"]["file"] == str(eval_file)
    summary = json.loads((out / "dedup.json").read_text())
    assert summary["contamination"][0]["sample"] == rows[0]["id"] and summary["contamination"][0]["line"] == 2
    stats = json.loads((out / LEAF / "stats.json").read_text())
    assert stats["decontaminate_removed"] == 1 and stats["kept"] == 1


@pytest.mark.parametrize(("content", "message"), [
    ('{"text": "fine"}\nnot json\n', "not valid JSON"),
    ('{"text": "fine"}\n["a list"]\n', "not a JSON object"),
    ('{"text": "fine"}\n{"label": 3}\n', "has no text"),
    ('{"text": "fine"}\n{"messages": [{"role": "user"}]}\n', "string content"),
])
def test_bad_eval_lines_name_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message) as error:
        load_eval_items([path])
    assert error.value.path == str(path) and error.value.line == 2
    assert f"{path}:2:" in error.value.render()


def test_missing_eval_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read evaluation file"):
        load_eval_items([tmp_path / "none.jsonl"])
