"""Phase files load in Hugging Face `datasets` (what TRL, instructlab-training and axolotl read them
with) in the three cases of issue 13: a long external source first, every row dropped, and
table-heavy rows at a tight --max-seq-len."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment
from mix_fake_run import sample, write_run
from real_tokenizers import llama_cpp_vocab, mistral_conversation_tokens, smollm2

from labgen.errors import OutputError
from labgen.mix import MANIFEST_FILE, load_recipe, mix, parse_recipe
from labgen.teachers.embedded import embedded_model_path

datasets = pytest.importorskip("datasets")


def _load(path: Path) -> Any:
    return datasets.load_dataset("json", data_files=str(path), split="train")


def _table(rows: int, seed: int) -> str:
    lines = ["| id | name | value | share |", "|---:|:-----|------:|------:|"]
    lines += [f"| {seed * 100 + i} | item {i} | {i * 1234.5:,.1f} | {i % 7 * 3.25:.2f}% |" for i in range(rows)]
    return "Here is the table:\n\n" + "\n".join(lines) + "\n\nTotal:  " + " " * (seed % 5) + f"{rows * 99}"


def _table_run(run: Path, count: int = 24) -> list[dict[str, Any]]:
    rows = [sample("compositional_skills/tables/answer_from_table", i, question=f"Sum the values of table {i}.",
                   answer=_table(2 + i % 12, i)) for i in range(count)]
    write_run(run, rows)
    return rows


def _recipe(on_empty: str = "warn") -> Any:
    return parse_recipe(
        "version: 1\nname: t\nsystem_prompt: You are a careful assistant.\n"
        f"on_empty: {on_empty}\nphases:\n"
        "  - name: skills\n    sources:\n      - {name: tables, branches: [compositional_skills]}\n")


def test_a_long_external_source_first_loads_with_string_metadata(tmp_path: Path) -> None:
    write_run(tmp_path / "run", [sample("knowledge/a", i) for i in range(5)])
    external = tmp_path / "extra.jsonl"
    answer = "An external answer. " * 50
    with external.open("w", encoding="utf-8") as handle:
        for i in range(11_000):  # ~1.1 KB a row: more than datasets' first 10 MiB block
            handle.write(json.dumps({"messages": [{"role": "user", "content": f"Q{i}?"},
                                                  {"role": "assistant", "content": answer}]}) + "\n")
    assert external.stat().st_size > 10 * 2**20
    recipe = tmp_path / "r.yaml"
    recipe.write_text("version: 1\nname: ext\nsystem_prompt: S.\nphases:\n  - name: one\n    sources:\n"
                      "      - {name: extra, path: extra.jsonl}\n      - {name: tax, kinds: [knowledge]}\n",
                      encoding="utf-8")
    result = mix(tmp_path / "run", load_recipe(recipe), tmp_path / "out")
    data = _load(result.phases[0].file)
    assert data.num_rows == 11_005
    leaves = data["metadata"]
    assert {m["leaf"] for m in leaves[:11_000]} == {""} and leaves[-1]["leaf"] == "knowledge/a"
    assert all(isinstance(m[key], str) for m in leaves for key in ("leaf", "kind", "sample_id", "source"))


def test_every_row_dropped_writes_no_file_and_warns_or_fails(tmp_path: Path) -> None:
    _table_run(tmp_path / "run", 4)
    result = mix(tmp_path / "run", _recipe("warn"), tmp_path / "out", max_seq_len=50)
    assert result.phases[0].file is None and result.phases[0].dropped == {"too_long": 4}
    assert not (tmp_path / "out" / "phase1_skills.jsonl").exists()
    assert result.warnings and "phase 'skills' is empty" in result.warnings[0]
    manifest = json.loads((tmp_path / "out" / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["phases"][0]["file"] is None and manifest["warnings"] == list(result.warnings)
    with pytest.raises(OutputError, match="phase 'skills' would be empty") as caught:
        mix(tmp_path / "run", _recipe("error"), tmp_path / "out2", max_seq_len=50)
    assert caught.value.hint and "on_empty" in caught.value.hint
    assert not (tmp_path / "out2" / "phase1_skills.jsonl").exists()


def test_a_skills_phase_of_replay_only_is_written_with_a_warning(tmp_path: Path) -> None:
    leaf = "compositional_skills/a"
    write_run(tmp_path / "run", [sample("knowledge/k", i) for i in range(10)]
              + [sample(leaf, i, answer="word " * 400) for i in range(3)])
    result = mix(tmp_path / "run", load_recipe("default"), tmp_path / "out", max_seq_len=1000)
    skills = result.phases[1]
    assert skills.rows == skills.replayed == 2 and skills.dropped == {"too_long": 3}
    assert any("phase 'skills' holds none of its sources' rows, only 2 replayed" in w for w in result.warnings)
    assert skills.file is not None and _load(skills.file).num_rows == 2


def test_table_rows_at_a_tight_limit_fit_real_tokenizers_without_one(tmp_path: Path) -> None:
    _table_run(tmp_path / "run")
    limit = 400
    result = mix(tmp_path / "run", _recipe(), tmp_path / "out", max_seq_len=limit)
    assert result.phases[0].file is not None and result.dropped_too_long > 0
    data = _load(result.phases[0].file)
    assert data.num_rows == result.phases[0].rows > 0
    for messages in data["messages"]:
        assert smollm2().count(messages) < limit and mistral_conversation_tokens(messages) < limit


def _instructlab_kept(rows: list[dict[str, Any]], system: str, max_seq_len: int) -> list[str]:
    """instructlab-training's length rule (data_process.py): a row is kept when the chat template
    applied to its messages, tokenized, has fewer than max_seq_len tokens. Counted here with
    llama.cpp's own reading of the GGUF and the template as transformers renders it."""
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(llama_cpp_vocab().metadata["tokenizer.chat_template"])
    kept = []
    for row in rows:
        messages = [{"role": "system", "content": system}, *row["messages"][1:]]
        text = template.render(messages=messages, add_generation_prompt=False)
        if len(llama_cpp_vocab().tokenize(text.encode("utf-8"), add_bos=False, special=True)) < max_seq_len:
            kept.append(row["id"])
    return kept


@pytest.mark.skipif(llama_cpp_vocab() is None, reason="the llama.cpp runtime (xllamacpp) is not installed")
def test_with_a_gguf_tokenizer_the_counts_are_what_instructlab_keeps(tmp_path: Path) -> None:
    rows = _table_run(tmp_path / "run")
    system = "You are a careful assistant."
    counts = sorted(smollm2().count([{"role": "system", "content": system}, *r["messages"][1:]]) for r in rows)
    limit = counts[len(counts) // 2]  # a row of exactly `limit` tokens exists: it must be dropped
    result = mix(tmp_path / "run", _recipe(), tmp_path / "out", max_seq_len=limit, tokenizer=embedded_model_path())
    kept = _instructlab_kept(rows, system, limit)
    manifest = json.loads((tmp_path / "out" / MANIFEST_FILE).read_text(encoding="utf-8"))
    phase = manifest["phases"][0]
    assert phase["rows"] == len(kept) and phase["dropped"] == {"too_long": len(rows) - len(kept)}
    assert manifest["length_count"] == f"tokenizer:{embedded_model_path().name}"
    assert result.phases[0].file is not None
    data = _load(result.phases[0].file)
    assert [m["sample_id"] for m in data["metadata"]] == kept
