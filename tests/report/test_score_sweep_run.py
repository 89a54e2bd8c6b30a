"""The per-score sweep on a run the fake teacher produced, through summarize_run and `labgen report`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from labgen.cli import cli
from labgen.generate import GenerateConfig, generate
from labgen.jsonl import read_jsonl
from labgen.report import render_html, summarize_run
from labgen.teachers.base import ChatRequest
from tests.fakes import FakeTeacher, plausible_answer
from tests.generate.conftest import build_taxonomy


def mixed_judge(request: ChatRequest) -> str:
    """plausible_answer, except that judges disagree with some samples (by a hash of the prompt)."""
    bucket = hashlib.sha256(f"{request.messages[-1]['content']}|{request.params.seed}".encode()).digest()[0] % 4
    if request.stage == "judge_pair":
        return f"Reason: fine.\nScore: {[1, 2, 3, 3][bucket]}"
    if request.stage in ("judge_faithfulness", "judge_relevance", "judge_safety"):
        return "Reason: hm.\nVerdict: " + ("NO" if bucket == 0 else "YES")
    return plausible_answer(request)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("score_sweep")
    out = root / "out"
    generate(build_taxonomy(root / "taxonomy"), out, FakeTeacher(responder=mixed_judge, max_in_flight=8),
             GenerateConfig(dedup=False))
    return out


def rows(out: Path, name: str) -> list[dict]:
    return [row for path in sorted(out.rglob(name)) for row in read_jsonl(path)]


def test_sweeps_of_a_fake_run_match_a_direct_count(run_dir: Path) -> None:
    summary = summarize_run(run_dir, score_steps=6)
    samples, rejects = rows(run_dir, "samples.jsonl"), rows(run_dir, "rejects.jsonl")
    sweeps = {sweep.name: sweep for sweep in summary.score_sweeps}
    seen = {name for row in samples + rejects for name in ((row.get("critic") or {}).get("verdicts") or {})}
    assert set(sweeps) == seen and {"pair_quality", "lexical_support", "safety", "echo"} <= seen
    judge_of = {"pair_quality": "judge_pair", "safety": "judge_safety", "faithfulness": "judge_faithfulness",
                "relevance": "judge_relevance"}
    assert sweeps["pair_quality"].own_rejects == sum(1 for r in rejects if r["stage"] == "judge_pair") > 0
    for name, sweep in sweeps.items():
        own = [r for r in rejects if r["stage"] in (name, judge_of.get(name))]
        other = [r for r in rejects if r not in own and name in ((r.get("critic") or {}).get("verdicts") or {})]
        assert (sweep.samples, sweep.own_rejects, sweep.other_rejects) == (len(samples), len(own), len(other)), name
        for point in sweep.points:
            def below(row: dict) -> bool:
                verdict = ((row.get("critic") or {}).get("verdicts") or {}).get(name)
                return verdict is not None and verdict["score"] < point.threshold - 1e-9

            assert point.kept == sum(1 for s in samples if not below(s)), (name, point)
            assert point.dropped == len(samples) - point.kept
            assert point.caught == sum(1 for r in other if below(r)), (name, point)
            assert point.let_through == sum(1 for r in own if not below(r)), (name, point)
        if sweep.configured is not None:
            at = next(p for p in sweep.points if p.configured)
            assert at.dropped == 0, name  # every kept sample passed the threshold it was generated with
            assert at.threshold == sweep.configured
    pair = sweeps["pair_quality"]
    assert pair.configured == 0.5 and [p.threshold for p in pair.points] == [0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0]
    rated_two = sum(1 for s in samples
                    if s["critic"]["verdicts"].get("pair_quality", {}).get("reason", "").startswith("rated 2"))
    assert pair.points[-1].dropped == rated_two > 0  # threshold 1 keeps only "rated 3 of 3"


def test_report_command_prints_and_renders_the_sweeps(run_dir: Path, tmp_path: Path) -> None:
    html_file = tmp_path / "report.html"
    result = CliRunner().invoke(cli, ["report", str(run_dir), "--score-steps", "6", "--html", str(html_file)])
    assert result.exit_code == 0, result.output
    text = result.output.split("Threshold sweep per score")[1]
    summary = summarize_run(run_dir, score_steps=6)
    pair = next(s for s in summary.score_sweeps if s.name == "pair_quality")
    block = text.split("\n  pair_quality: ")[1].split("\n\n")[0].splitlines()
    assert block[0].endswith("configured threshold 0.50 (*)")
    assert block[1].split() == ["threshold", "kept", "drops", "caught", "caught", "share", "let", "through"]
    by_threshold = {p.threshold: p for p in pair.points}
    labels = []
    for line in block[3:]:  # under the header and its rule: "0.60-1.00  kept  drops  caught  share  let"
        cells = line.replace(" *", "*").split()
        labels.append(cells[0])
        point = by_threshold[float(cells[0].rstrip("*").split("-")[0])]
        assert [int(c.replace(",", "")) for c in (cells[1], cells[2], cells[3], cells[5])] == [
            point.kept, point.dropped, point.caught, point.let_through]
    configured = [label for label in labels if label.endswith("*")]
    assert len(configured) == 1
    low, _, high = configured[0].rstrip("*").partition("-")
    assert float(low) <= 0.5 <= float(high or low)
    assert labels[0].startswith("0.00") and labels[-1].rstrip("*").endswith("1.00")
    page = html_file.read_text()
    assert page.count("<h3>") == len(summary.score_sweeps) + 1  # + "Rejected by leaf and stage"
    assert "<h3>pair_quality: " in page and "Threshold sweep per score" in page
    assert render_html(summary) == page
    run = json.loads((run_dir / "run.json").read_text())
    assert run["parameters"]["critic"]["pair_min_score"] == 2  # where the configured threshold came from
