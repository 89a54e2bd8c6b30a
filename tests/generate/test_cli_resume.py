"""The installed `labgen generate` against a local OpenAI-compatible server: CLI contract, and kill -9
mid-run then rerun, which must end exactly where an uninterrupted run ends: the answer store loses at most
the requests in flight, and curating the resumed run changes nothing."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from labgen.cli import cli
from labgen.jsonl import read_jsonl
from tests.generate.conftest import FREEFORM, GROUNDED, KNOWLEDGE
from tests.generate.stage_server import StageServer

LABGEN = [str(Path(sys.executable).parent / "labgen")]  # the installed entry point
LEAVES = (FREEFORM, GROUNDED, KNOWLEDGE)


def command(taxonomy: Path, out: Path, server: StageServer, *extra: str) -> list[str]:
    return [*LABGEN, "generate", str(taxonomy), "--out", str(out), "--teacher", "openai", "--teacher-url",
            server.base_url, "--max-in-flight", "2", "--target-per-seed", "3", "--quiet", *extra]


def snapshot(out: Path) -> dict[str, bytes]:
    return {f"{leaf}/{name}": (out / leaf / name).read_bytes() for leaf in LEAVES
            for name in ("samples.jsonl", "rejects.jsonl")}


def unit_files(out: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(out).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in (out / ".labgen" / "units").rglob("u-*.json")}


def test_kill_9_mid_run_then_rerun_equals_an_uninterrupted_run(taxonomy: Path, tmp_path: Path) -> None:
    env = {**os.environ, "LABGEN_TEACHER_MAX_RETRIES": "1"}
    with StageServer(latency_s=0.03) as server:
        reference = tmp_path / "reference"
        done = subprocess.run(command(taxonomy, reference, server), capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr
        total_units = len(unit_files(reference))
        full_requests = len(server.log)
        assert total_units >= 6

        out = tmp_path / "killed"
        process = subprocess.Popen(command(taxonomy, out, server), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + 60
        while len(unit_files(out)) < 2 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait()
        finished = unit_files(out)
        assert 2 <= len(finished) < total_units, "the kill must land mid-run"
        requests_before_rerun = len(server.log)

        rerun = subprocess.run(command(taxonomy, out, server), capture_output=True, text=True, env=env)
        assert rerun.returncode == 0, rerun.stderr
        rerun_requests = len(server.log) - requests_before_rerun

    after = unit_files(out)
    assert set(after) == set(unit_files(reference))  # no unit missing, none extra
    for name, identity in finished.items():
        assert after[name] == identity, f"{name} was generated twice"
    assert 0 < rerun_requests < full_requests  # the finished units were not asked again
    # Every answer received before the kill was stored: only the requests in flight (at most 2) are asked twice.
    assert requests_before_rerun - full_requests + rerun_requests <= full_requests + 2
    with sqlite3.connect(out / ".labgen" / "answers.sqlite") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == full_requests
    assert snapshot(out) == snapshot(reference)
    curated = subprocess.run([*LABGEN, "curate", str(out), "--no-teacher"], capture_output=True, text=True, env=env)
    assert curated.returncode == 0, curated.stderr
    assert "0 judgments asked of the teacher, 0 missing" in curated.stdout
    assert snapshot(out) == snapshot(reference)  # the same settings re-decide the same files
    for leaf in LEAVES:
        ids = [row["id"] for row in read_jsonl(out / leaf / "samples.jsonl")]
        assert len(ids) == len(set(ids))
    assert not list(out.rglob("*.tmp"))


def test_cli_prints_a_summary_and_exits_0_with_rejects(taxonomy: Path, tmp_path: Path) -> None:
    with StageServer() as server:
        result = CliRunner().invoke(cli, ["generate", str(taxonomy), "--out", str(tmp_path / "out"), "--teacher",
                                          "openai", "--teacher-url", server.base_url, "--quiet"])
    assert result.exit_code == 0, result.output
    assert "generated" in result.output and "kept" in result.output and "rejected" in result.output
    assert FREEFORM in result.output and str(tmp_path / "out") in result.output
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert set(run["leaves"]) == set(LEAVES)


def test_cli_dry_run_calls_no_teacher(taxonomy: Path, tmp_path: Path) -> None:
    with StageServer() as server:
        result = CliRunner().invoke(cli, ["generate", str(taxonomy), "--out", str(tmp_path / "out"), "--teacher",
                                          "openai", "--teacher-url", server.base_url, "--teacher-model", "m",
                                          "--dry-run"])
        assert server.log == []
    assert result.exit_code == 0, result.output
    assert FREEFORM in result.output and "requests" in result.output
    assert not (tmp_path / "out" / "run.json").exists()


def _total_requests(output: str) -> tuple[int, int]:
    """(requests of one round, requests with every round) from the dry run's total row."""
    total = next(line for line in output.splitlines() if line.startswith("total")).split()
    return int(total[2]), int(total[3])


def _total_prompt_tokens(output: str) -> int:
    return int(next(line for line in output.splitlines() if line.startswith("total")).split()[4])


def test_cli_embedded_teacher_defaults_to_one_round_and_three_seeds(taxonomy: Path, tmp_path: Path) -> None:
    """The embedded demo model runs one round per unit unless told otherwise; a served teacher gets the
    library's default rounds. The same function gives both the CLI and bench/embedded_speed.py its defaults."""
    runner = CliRunner()
    embedded = runner.invoke(cli, ["generate", str(taxonomy), "--out", str(tmp_path / "a"), "--dry-run"])
    assert embedded.exit_code == 0, embedded.output
    one_round, every_round = _total_requests(embedded.output)
    assert one_round == every_round > 0
    with StageServer() as server:
        served = runner.invoke(cli, ["generate", str(taxonomy), "--out", str(tmp_path / "b"), "--teacher", "openai",
                                     "--teacher-url", server.base_url, "--teacher-model", "m", "--dry-run"])
    assert served.exit_code == 0, served.output
    assert _total_requests(served.output)[1] > _total_requests(served.output)[0] == one_round
    told = runner.invoke(cli, ["generate", str(taxonomy), "--out", str(tmp_path / "c"), "--dry-run",
                               "--max-rounds", "3"])
    assert _total_requests(told.output)[1] > one_round
    # Fewer seed examples per prompt on the embedded teacher: shorter prompts for the same requests.
    same_window = runner.invoke(cli, ["generate", str(taxonomy), "--out", str(tmp_path / "d"), "--dry-run",
                                      "--prompt-seeds", "10"])
    assert _total_prompt_tokens(embedded.output) < _total_prompt_tokens(same_window.output)


def test_cli_generate_reads_its_settings_from_the_config_file_given(taxonomy: Path, tmp_path: Path) -> None:
    """--config FILE sets the generate section too, not only the teacher's (it used to read ./labgen.yaml)."""
    config = tmp_path / "elsewhere" / "settings.yaml"
    config.parent.mkdir()
    config.write_text("generate:\n  max_rounds: 3\n")
    runner = CliRunner()
    default = runner.invoke(cli, ["generate", str(taxonomy), "--out", str(tmp_path / "a"), "--dry-run"])
    given = runner.invoke(cli, ["generate", str(taxonomy), "--out", str(tmp_path / "b"), "--dry-run",
                                "--config", str(config)])
    assert default.exit_code == 0 and given.exit_code == 0, given.output
    assert _total_requests(given.output)[1] > _total_requests(default.output)[1]


def test_cli_usage_errors_exit_2_and_bad_taxonomy_exits_1(taxonomy: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    missing_out = runner.invoke(cli, ["generate", str(taxonomy)])
    assert missing_out.exit_code == 2
    base_alone = runner.invoke(cli, ["generate", str(taxonomy), "--out", str(tmp_path / "o"), "--base", "main",
                                     "--teacher", "openai", "--teacher-url", "http://127.0.0.1:9/v1"])
    assert base_alone.exit_code == 2 and "--changed" in base_alone.output
    (taxonomy / FREEFORM / "qna.yaml").write_text("version: 2\ncreated_by: x\nseed_examples: [\n")
    bad = runner.invoke(cli, ["generate", str(taxonomy), "--out", str(tmp_path / "o"), "--teacher", "openai",
                              "--teacher-url", "http://127.0.0.1:9/v1", "--teacher-model", "m"])
    assert bad.exit_code == 1 and "riddles" in bad.output and "Traceback" not in bad.output


def test_cli_exits_1_when_the_teacher_is_unreachable(taxonomy: Path, tmp_path: Path) -> None:
    env = {**os.environ, "LABGEN_TEACHER_MAX_RETRIES": "0", "LABGEN_TEACHER_REQUEST_TIMEOUT": "2"}
    done = subprocess.run([*LABGEN, "generate", str(taxonomy), "--out", str(tmp_path / "o"), "--teacher", "openai",
                           "--teacher-url", "http://127.0.0.1:9/v1", "--teacher-model", "m", "--quiet"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "error:" in done.stderr and "Traceback" not in done.stderr
