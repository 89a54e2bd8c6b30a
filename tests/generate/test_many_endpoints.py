"""`labgen generate` over three teacher servers (processes), one killed mid-run and restarted: the run
completes and writes exactly what a one-server run with the same seed writes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.generate.test_cli_resume import LABGEN, snapshot
from tests.teachers.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
LATENCY_S = "0.12"


class ServerProcess:
    """tests.generate.stage_server in a process of its own on a fixed port, so it can be killed and restarted."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}/v1"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ServerProcess:
        self.process = subprocess.Popen([sys.executable, "-m", "tests.generate.stage_server", str(self.port),
                                         LATENCY_S], cwd=ROOT, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "/models", timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError(f"the stage server on port {self.port} did not start")

    def requests(self) -> int:
        return int(httpx.get(f"http://127.0.0.1:{self.port}/stats", timeout=5).json()["requests"])

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def servers() -> list[ServerProcess]:
    started = [ServerProcess(free_port()).start() for _ in range(3)]
    yield started
    for server in started:
        server.stop()


def command(taxonomy: Path, out: Path, urls: list[str], in_flight: int = 2) -> list[str]:
    return [*LABGEN, "generate", str(taxonomy), "--out", str(out), "--teacher", "openai", "--max-in-flight",
            str(in_flight), "--target-per-seed", "3", "--seed", "7", "--quiet",
            *[a for url in urls for a in ("--teacher-url", url)]]


@pytest.mark.slow
def test_a_server_killed_mid_run_and_restarted_loses_and_repeats_nothing(
        taxonomy: Path, tmp_path: Path, servers: list[ServerProcess]) -> None:
    first, victim, third = servers
    # The in-flight limit changes the order of requests, never what is written: the reference may go faster.
    reference = subprocess.run(command(taxonomy, tmp_path / "one", [first.url], in_flight=8), capture_output=True,
                               text=True)
    assert reference.returncode == 0, reference.stderr
    one_server_requests = first.requests()

    run = subprocess.Popen(command(taxonomy, tmp_path / "three", [s.url for s in servers]),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while victim.requests() < 5 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    victim.kill()  # its in-flight requests die with it
    assert run.poll() is None, "the kill must land mid-run"
    victim.start()  # on the same port, while the run goes on without it
    stdout, stderr = run.communicate(timeout=120)
    assert run.returncode == 0, stderr

    assert snapshot(tmp_path / "three") == snapshot(tmp_path / "one")  # nothing lost, nothing twice
    after_restart = victim.requests()
    assert after_restart > 0, "the restarted server was probed back in and got requests"
    assert "left out" in stderr and "answers again" in stderr
    accounting = json.loads((tmp_path / "three" / "run.json").read_text())["teacher_accounting"]["total"]
    assert accounting["requests"] == one_server_requests and accounting["failures"] == 0
    assert accounting["retries"] >= 1  # what the killed server had in flight (and was sent before it was left out)
