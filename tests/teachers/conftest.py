"""Shared fixtures: one loaded embedded model and one llama.cpp server per test session."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from labgen.teachers.embedded import EmbeddedTeacher, embedded_model_path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def embedded_teacher() -> Iterator[EmbeddedTeacher]:
    teacher = EmbeddedTeacher(n_ctx=1024)
    yield teacher
    teacher.close()


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama.cpp's own OpenAI-compatible server with the embedded model; yields its /v1 URL."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama_server") / "server.log"
    log = open(log_path, "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.teachers.llama_server", str(embedded_model_path()), str(port), "1024"],
        stdout=log, stderr=subprocess.STDOUT, text=True, cwd=Path(__file__).parents[2])
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 60
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the llama.cpp server exited: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(url + "/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the llama.cpp server did not answer /v1/models within 60 s")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
