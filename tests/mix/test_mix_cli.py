"""`labgen mix` through click's CliRunner and through the installed entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from mix_fake_run import read_rows, write_sized_run

from labgen.cli import cli
from labgen.mix import MANIFEST_FILE, conformance_problem

SIZES = [("knowledge/a", 10), ("foundational_skills/b", 5), ("compositional_skills/c", 8)]


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["mix", *args])
    return result.exit_code, result.output


def test_mix_writes_phase_files_and_prints_a_summary(tmp_path: Path) -> None:
    write_sized_run(tmp_path / "run", SIZES)
    code, output = _invoke(str(tmp_path / "run"), "--out", str(tmp_path / "out"))
    assert code == 0, output
    assert "phase1_knowledge.jsonl: 15 rows, 0 replayed" in output
    assert "phase2_skills.jsonl: 11 rows, 3 replayed" in output
    assert "mix_manifest.json" in output
    for name in ("phase1_knowledge.jsonl", "phase2_skills.jsonl"):
        assert all(conformance_problem(row) is None for row in read_rows(tmp_path / "out" / name))


def test_seed_and_max_seq_len_options(tmp_path: Path) -> None:
    write_sized_run(tmp_path / "run", SIZES)
    code, output = _invoke(str(tmp_path / "run"), "--out", str(tmp_path / "out"), "--recipe", "lab-paper",
                           "--seed", "7", "--max-seq-len", "1000")
    assert code == 0, output
    assert "dropped as longer than 1000 tokens: 0" in output
    manifest = json.loads((tmp_path / "out" / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["seed"] == 7 and manifest["recipe"]["name"] == "lab-paper"
    code, output = _invoke(str(tmp_path / "run"), "--out", str(tmp_path / "out2"), "--max-seq-len", "5")
    assert code == 0 and "dropped as longer than 5 tokens: 23" in output
    # Every row was dropped: no phase file is written, and the output says so.
    assert "warning: phase 'knowledge' is empty and was not written" in output
    assert not list((tmp_path / "out2").glob("phase*.jsonl"))


def test_a_bad_recipe_is_a_usage_error_pointing_at_the_field(tmp_path: Path) -> None:
    write_sized_run(tmp_path / "run", SIZES)
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("version: 1\nname: r\nsystem_prompt: S.\nphases:\n  - name: a\n    sources: [{name: x}]\n"
                      "  - name: b\n    sources: [{name: y}]\n    replay: {fraction: 1.5}\n", encoding="utf-8")
    code, output = _invoke(str(tmp_path / "run"), "--out", str(tmp_path / "out"), "--recipe", str(recipe))
    assert code == 2
    assert "recipe.yaml:9: phases[1].replay.fraction: must be between 0 and 1" in output
    assert "Traceback" not in output


def test_an_unknown_recipe_name_is_a_usage_error(tmp_path: Path) -> None:
    write_sized_run(tmp_path / "run", SIZES)
    code, output = _invoke(str(tmp_path / "run"), "--out", str(tmp_path / "out"), "--recipe", "nope")
    assert code == 2 and "no recipe file or shipped recipe named 'nope'" in output


def test_data_errors_exit_1(tmp_path: Path) -> None:
    code, output = _invoke(str(tmp_path / "missing"), "--out", str(tmp_path / "out"))
    assert code == 1 and "run directory not found" in output
    (tmp_path / "empty").mkdir()
    code, output = _invoke(str(tmp_path / "empty"), "--out", str(tmp_path / "out"))
    assert code == 1 and "holds no samples" in output


def test_out_is_required() -> None:
    code, output = _invoke("somewhere")
    assert code == 2 and "--out" in output


def test_entry_point_output_does_not_depend_on_hash_randomisation(tmp_path: Path) -> None:
    write_sized_run(tmp_path / "run", [(f"knowledge/k{i}", 30) for i in range(4)] + [
        (f"compositional_skills/c{i}", 30) for i in range(4)])
    outputs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"out{hash_seed}"
        completed = subprocess.run(
            [sys.executable, "-c", "import sys; from labgen.cli import main; main(sys.argv[1:])",
             "mix", str(tmp_path / "run"), "--out", str(out), "--recipe", "lab-paper"],
            capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONHASHSEED": hash_seed})
        assert completed.returncode == 0, completed.stderr
        assert "phase3_skills.jsonl: " in completed.stdout
        outputs.append([path.read_bytes() for path in sorted(out.iterdir())])
    assert len(outputs[0]) == 4 and outputs[0] == outputs[1]


def test_an_output_folder_that_cannot_be_made_is_a_data_error(tmp_path: Path) -> None:
    write_sized_run(tmp_path / "run", SIZES)
    (tmp_path / "blocker").write_text("a file", encoding="utf-8")
    code, output = _invoke(str(tmp_path / "run"), "--out", str(tmp_path / "blocker" / "out"))
    assert code == 1 and "cannot create the output folder" in output and "Traceback" not in output


def test_tokenizer_option_counts_with_a_local_gguf(tmp_path: Path) -> None:
    from labgen.teachers.embedded import embedded_model_path

    write_sized_run(tmp_path / "run", SIZES)
    gguf = str(embedded_model_path())
    code, output = _invoke(str(tmp_path / "run"), "--out", str(tmp_path / "out"), "--tokenizer", gguf)
    assert code == 2 and "--max-seq-len" in output and "Traceback" not in output
    # Each row is about 50 SmolLM2 tokens: the byte bound would drop them all at 120, the tokenizer none.
    code, output = _invoke(str(tmp_path / "run"), "--out", str(tmp_path / "out"), "--max-seq-len", "120",
                           "--tokenizer", gguf)
    assert code == 0, output
    assert "dropped as longer than 120 tokens: 0" in output
    code, output = _invoke(str(tmp_path / "run"), "--out", str(tmp_path / "out2"), "--max-seq-len", "120")
    assert code == 0 and "dropped as longer than 120 tokens: 23" in output
    code, output = _invoke(str(tmp_path / "run"), "--out", str(tmp_path / "out3"), "--max-seq-len", "120",
                           "--tokenizer", str(tmp_path / "nope.gguf"))
    assert code == 2 and "nope.gguf" in output and "Traceback" not in output
