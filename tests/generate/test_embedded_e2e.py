"""End to end on the embedded teacher (SmolLM2 via llama.cpp): the real default path, tiny scale."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from labgen.jsonl import read_jsonl
from tests.generate.conftest import FREEFORM, build_taxonomy

pytest.importorskip("xllamacpp")

TINY = """generate:
  per_request: 2
  max_tokens: {freeform_instructions: 64, freeform_response: 48}
  critic: {judge_max_tokens: 24}
"""


@pytest.mark.slow
def test_default_teacher_generates_a_leaf_end_to_end(tmp_path: Path) -> None:
    taxonomy = build_taxonomy(tmp_path / "taxonomy", kinds=("freeform",))
    config = tmp_path / "labgen.yaml"
    config.write_text(TINY)
    out = tmp_path / "out"
    labgen = str(Path(sys.executable).parent / "labgen")
    done = subprocess.run([labgen, "generate", str(taxonomy), "--out", str(out), "--config", str(config), "--target-per-seed", "0.4"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert FREEFORM in done.stdout and str(out) in done.stdout

    run = json.loads((out / "run.json").read_text())
    assert run["teacher"]["backend"] == "local" and "SmolLM2" in run["teacher"]["model"]
    assert run["tokens"]["completion"] > 0
    stats = json.loads((out / FREEFORM / "stats.json").read_text())
    samples = list(read_jsonl(out / FREEFORM / "samples.jsonl"))
    rejects = list(read_jsonl(out / FREEFORM / "rejects.jsonl"))
    # The weak model's outputs mostly fail the critic; whatever happened is accounted for, nothing silently lost.
    assert stats["generated"] == len(samples) + len(rejects) >= 1
    assert stats["teacher"]["stages"]["freeform_instructions"]["requests"] == 1
    for reject in rejects:
        assert reject["stage"] and reject["reason"]
    for sample in samples:
        assert sample["messages"][2]["content"] and sample["provenance"]["teacher"]["backend"] == "local"
