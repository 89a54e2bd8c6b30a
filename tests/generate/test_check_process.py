"""The critic's checks and top-up dedup in a process of their own (labgen/generate/check_process.py): the
same files as checking in the run's process, the worker killed mid-run or sent Ctrl-C, and the setting."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

import labgen.critic.checks
import labgen.dedup
from labgen.critic.checks import CheckInput, measure_checks
from labgen.critic.config import DEFAULT_CONFIG
from labgen.dedup.config import DedupConfig
from labgen.errors import ConfigError
from labgen.generate import GenerateConfig, generate
from labgen.generate import check_process
from labgen.generate.check_process import CheckProcess
from labgen.generate.config import config_from_file
from labgen.generate.top_up import leaf_progress
from labgen.taxonomy.leaf import FREEFORM_SKILL
from labgen.teachers.config import TeacherConfig, build_teacher
from tests.generate.conftest import build_taxonomy
from tests.generate.stage_server import StageServer
from tests.generate.test_cli_resume import snapshot

ITEMS = [CheckInput(question=f"Write a short line about the sea, number {i}.",
                    answer="As I said, the sea is dark tonight." if i % 3 else "I'm sorry, but I can't help with that.",
                    context=None if i % 2 else "The sea is dark at night and the waves are high.",
                    finish_reason="stop", prompt_text="Write a short line about the sea.",
                    seed_texts=("Write a line about the sea\nThe sea is dark tonight.",)) for i in range(12)]


def worker_pid(checks: CheckProcess) -> int:
    assert checks.pool is not None
    return int(checks.pool.submit(os.getpid).result(timeout=60))


async def measured(checks: CheckProcess, items: list[CheckInput]) -> list[list]:
    return list(await asyncio.gather(*(checks.measure(item, DEFAULT_CONFIG) for item in items)))


def run(taxonomy: Path, out: Path, server: StageServer, **settings: object) -> dict:
    teacher = build_teacher(TeacherConfig(backend="openai", urls=(server.base_url,), max_in_flight=8, max_retries=1))
    try:
        generate(taxonomy, out, teacher, GenerateConfig(target_per_seed=3.0, seed=7, **settings))
    finally:
        teacher.close()
    parameters = json.loads((out / "run.json").read_text())["parameters"]
    return {key: value for key, value in parameters.items() if key != "check_process"}


@pytest.fixture(scope="module")
def taxonomy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_taxonomy(tmp_path_factory.mktemp("checks") / "taxonomy")


@pytest.fixture(scope="module")
def reference(taxonomy: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    """A run that checks every candidate in its own process: (its files, its run.json parameters)."""
    out = tmp_path_factory.mktemp("checks") / "in-process"
    with StageServer(latency_s=0.002) as server:
        parameters = run(taxonomy, out, server, check_process=False)
    return snapshot(out), parameters


def test_the_check_process_writes_what_checking_here_writes(taxonomy: Path, reference: tuple[dict, dict],
                                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    here = []  # checks run in this process
    real = labgen.critic.checks.measure_checks
    monkeypatch.setattr(labgen.critic.checks, "measure_checks", lambda *a: here.append(1) or real(*a))
    with StageServer(latency_s=0.002) as server:
        parameters = run(taxonomy, tmp_path / "out", server, check_process=True)
    assert here == []  # every candidate was checked by the worker
    assert (snapshot(tmp_path / "out"), parameters) == reference
    assert any(b'"verdicts"' in data for data in reference[0].values())  # the files do hold checks' verdicts


def test_a_check_process_killed_mid_run_costs_nothing(taxonomy: Path, reference: tuple[dict, dict], tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    real = CheckProcess.measure
    calls = []

    async def measure(self: CheckProcess, item: CheckInput, config: object) -> list:
        calls.append(1)
        if len(calls) == 6:  # a few candidates in: the worker is killed, batches may be on their way
            os.kill(worker_pid(self), signal.SIGKILL)
        return await real(self, item, config)

    monkeypatch.setattr(CheckProcess, "measure", measure)
    with caplog.at_level(logging.WARNING, logger="labgen.teachers"), StageServer(latency_s=0.002) as server:
        parameters = run(taxonomy, tmp_path / "out", server, check_process=True)
    assert len(calls) > 6
    assert (snapshot(tmp_path / "out"), parameters) == reference
    assert "the check process stopped" in caplog.text and "same results" in caplog.text
    fresh = CheckProcess(lambda text: None)  # the next run gets a new worker
    assert asyncio.run(measured(fresh, ITEMS)) == [measure_checks(item) for item in ITEMS]


def test_the_worker_ignores_ctrl_c_and_answers_as_the_checks_do() -> None:
    notices: list[str] = []
    checks = CheckProcess(notices.append)
    pid = worker_pid(checks)
    os.kill(pid, signal.SIGINT)  # what a terminal's Ctrl-C sends the whole process group
    assert asyncio.run(measured(checks, ITEMS)) == [measure_checks(item) for item in ITEMS]
    assert worker_pid(checks) == pid and notices == []


def test_a_top_up_count_from_the_worker_is_remembered_here(monkeypatch: pytest.MonkeyPatch) -> None:
    leaf = SimpleNamespace(path="skills/worker_memo", kind=FREEFORM_SKILL, seed_examples=())
    kept = [{"question": "Write a line about the moon at night.", "answer": "The moon is bright."},
            {"question": "Write a line about the moon at night!", "answer": "The moon is bright."},
            {"question": "Name a fruit that is red.", "answer": "A cherry."}]
    counted = CheckProcess(lambda text: None).leaf_progress(leaf, [(3, kept)], DedupConfig())
    assert (counted.kept, counted.unique, counted.capped) == (3, 2, False)
    calls = []
    real = labgen.dedup.find_duplicates
    monkeypatch.setattr(labgen.dedup, "find_duplicates", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert leaf_progress(leaf, [(3, kept)], DedupConfig()) == counted and calls == []  # the curation pass's replay
    assert leaf_progress(leaf, [(4, kept[:2])], DedupConfig()).capped and calls == [1]


def test_the_setting_from_the_file_and_automatic_by_cores_and_teacher(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config_file = tmp_path / "labgen.yaml"
    config_file.write_text("generate:\n  check_process: false\n", encoding="utf-8")
    assert config_from_file(config_file).check_process is False
    config_file.write_text("generate:\n  check_process: sometimes\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="check_process must be true, false or null"):
        config_from_file(config_file)
    monkeypatch.setattr(check_process, "usable_cores", lambda: 1)
    assert not check_process.wanted(None, "openai") and check_process.wanted(True, "openai")
    monkeypatch.setattr(check_process, "usable_cores", lambda: 2)
    assert check_process.wanted(None, "openai") and check_process.wanted(None, "vllm")
    assert not check_process.wanted(False, "openai")
    assert not check_process.wanted(None, "local") and check_process.wanted(True, "local")  # the embedded teacher


def test_the_worker_does_not_run_the_users_script_again(tmp_path: Path) -> None:
    """spawn would import a script that has no `if __name__ == "__main__":` block again in the worker, and so
    do what it does twice (here: print, and check)."""
    script = tmp_path / "unguarded.py"
    script.write_text(
        "import asyncio\n"
        "from labgen.critic.checks import CheckInput\n"
        "from labgen.critic.config import DEFAULT_CONFIG\n"
        "from labgen.generate.check_process import CheckProcess\n"
        "print('top of the script', flush=True)\n"
        "checks = CheckProcess(print)\n"
        "item = CheckInput(question='Name a colour of the sky.', answer='Blue, on a clear day.', context=None)\n"
        "marks = asyncio.run(checks.measure(item, DEFAULT_CONFIG))\n"
        "print('checked', [m.verdict.check for m in marks], 'in', checks.pool is not None and 'the worker', flush=True)\n",
        encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("top of the script") == 1, done.stdout
    assert "checked ['empty', 'refusal', 'echo', 'language', 'pii'] in the worker" in done.stdout
    assert "stopped" not in done.stdout + done.stderr


def test_a_worker_that_cannot_start_leaves_the_checks_here(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoProcesses:  # what a machine out of processes gives: spawning fails
        def submit(self, *args: object) -> None:
            raise OSError(11, "Resource temporarily unavailable")

        def shutdown(self, **kwargs: object) -> None:
            pass

    monkeypatch.setattr(check_process, "_POOL", NoProcesses())
    notices: list[str] = []
    checks = CheckProcess(notices.append)
    assert checks.pool is None and len(notices) == 1 and "Resource temporarily unavailable" in notices[0]
    assert asyncio.run(measured(checks, ITEMS)) == [measure_checks(item) for item in ITEMS]
    assert check_process._POOL is None  # the next run tries a new worker


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (ended, its new parent not yet told) has stopped too
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_the_worker_ends_when_the_run_is_killed_outright(tmp_path: Path) -> None:
    """kill -9 (or the OOM killer) gives the run no chance to stop its worker: the worker sees its parent
    end and exits, instead of waiting on its task pipe for good."""
    script = tmp_path / "killed.py"
    script.write_text("import os, time\n"
                      "from labgen.generate.check_process import CheckProcess\n"
                      "checks = CheckProcess(print)\n"
                      "print(checks.pool.submit(os.getpid).result(timeout=60), flush=True)\n"
                      "time.sleep(120)\n", encoding="utf-8")
    run = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        worker = int(run.stdout.readline())  # type: ignore[union-attr]
        assert _running(worker)
    finally:
        run.kill()
        run.wait(30)
    deadline = time.monotonic() + 30
    while _running(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _running(worker):
        os.kill(worker, signal.SIGKILL)
        pytest.fail("the check worker outlived the killed run")
