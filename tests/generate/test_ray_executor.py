"""`labgen generate --executor ray` on a local Ray cluster (2 CPUs) against the scripted stage server: the
same files as a one-process run, a worker SIGKILLed mid-run costing only its requests in flight, resume
and `labgen curate` on a Ray-made folder, the teacher-actor path (the embedded model in one too), and the
CLI's errors."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray
import yaml
from click.testing import CliRunner

from labgen.cli import cli
from labgen.errors import ConfigError
from labgen.generate import GenerateConfig, generate
from labgen.generate.ray_executor import RayExecutor
from labgen.generate.progress import QuietProgress
from labgen.generate.ray_worker import LeafJob, WorkerTeacher, run_leaf_job
from labgen.teachers.base import ChatRequest, Choice, Completion, SamplingParams
from labgen.teachers.config import TeacherConfig, build_teacher
from tests.generate.conftest import build_taxonomy
from tests.generate.stage_server import StageServer
from tests.generate.test_cli_resume import LABGEN, LEAVES, snapshot, unit_files
from tests.teachers.conftest import free_port

SEED, TARGET = 7, 3.0  # a float, as the CLI passes it: 3 and 3.0 hash to different unit ids


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """One local Ray cluster for the module; yields its address (for a second driver, the CLI)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAY_USAGE_STATS_ENABLED", "0")  # no report home from CI (there is no network)
        # Ray starts a handful of Python processes, and each cluster's workers import labgen anew: with
        # bytecode cached that takes a third of the time (ray.init ~7 s against ~20 s on 2 busy cores).
        patch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
        auth_mode = os.environ.get("RAY_AUTH_MODE")
        ray.init(num_cpus=2, include_dashboard=False, object_store_memory=100 * 1024 * 1024,
                 logging_level=logging.WARNING)
        # ray.init turned on token authentication (RAY_AUTH_MODE=token in this process's environment, its
        # default for a local cluster): the CLI below inherits it and joins with the token in ~/.ray/auth_token.
        yield ray.get_runtime_context().gcs_address
        ray.shutdown()
        if auth_mode is None:
            os.environ.pop("RAY_AUTH_MODE", None)  # as it was before this module


@pytest.fixture(scope="module")
def taxonomy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_taxonomy(tmp_path_factory.mktemp("ray") / "taxonomy")


def teacher_config(server: StageServer, in_flight: int = 4) -> TeacherConfig:
    return TeacherConfig(backend="openai", urls=(server.base_url,), max_in_flight=in_flight, max_retries=1)


def run(taxonomy: Path, out: Path, server: StageServer, executor: RayExecutor | None = None) -> None:
    config = teacher_config(server) if executor is None else executor.teacher
    teacher = build_teacher(config)
    try:
        generate(taxonomy, out, teacher, GenerateConfig(target_per_seed=TARGET, seed=SEED), executor=executor)
    finally:
        teacher.close()


@pytest.fixture(scope="module")
def reference(taxonomy: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A one-process run: its folder and the requests it sent."""
    out = tmp_path_factory.mktemp("ray") / "local"
    with StageServer(latency_s=0.005) as server:
        run(taxonomy, out, server)
        return out, len(server.log)


def run_json(out: Path) -> dict:
    """run.json without what differs between any two runs (times, latencies, the folder's own path)."""
    data = json.loads((out / "run.json").read_text())
    for key in ("started_at", "finished_at", "elapsed_s", "answer_store"):
        data.pop(key)
    for counters in [data["teacher_accounting"]["total"], *data["teacher_accounting"]["stages"].values()]:
        counters.pop("latency_s")
        counters.pop("mean_latency_s")
    return data


def stored_answers(out: Path) -> int:
    with sqlite3.connect(out / ".labgen" / "answers.sqlite") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return int(conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0])


def test_a_ray_run_writes_what_a_local_run_writes_and_resumes_and_curates(
        cluster: str, taxonomy: Path, reference: tuple[Path, int], tmp_path: Path) -> None:
    local, local_requests = reference
    out = tmp_path / "ray"
    with StageServer(latency_s=0.005) as server:
        run(taxonomy, out, server, RayExecutor(teacher=teacher_config(server)))
        assert len(server.log) == local_requests  # one request per distinct prompt, as in one process
        assert snapshot(out) == snapshot(local)
        assert set(unit_files(out)) == set(unit_files(local))
        assert run_json(out) == run_json(local)
        assert stored_answers(out) == stored_answers(local) == local_requests

        finished = unit_files(out)
        run(taxonomy, out, server, RayExecutor(teacher=teacher_config(server)))  # resume: all done already
        assert len(server.log) == local_requests, "a rerun asks nothing"
        assert unit_files(out) == finished
        assert json.loads((out / "run.json").read_text())["units"]["generated"] == 0

    # Curation under stricter settings re-reads judgments from the store: the Ray-made folder's store
    # answers them all, and both folders end the same.
    copy = tmp_path / "local"
    shutil.copytree(local, copy)
    strict = tmp_path / "labgen.yaml"
    strict.write_text(yaml.safe_dump({"generate": {"critic": {"pair_min_score": 3, "min_lexical_support": 0.9}}}))
    for folder in (out, copy):
        curated = CliRunner().invoke(cli, ["curate", str(folder), "--config", str(strict), "--no-teacher"])
        assert curated.exit_code == 0, curated.output
        assert "0 judgments asked of the teacher, 0 missing" in curated.output
        assert json.loads((folder / "run.json").read_text())["curation"]["store_lookups"] > 0
    assert snapshot(out) == snapshot(copy)


def test_teacher_actors_write_the_same(cluster: str, taxonomy: Path, reference: tuple[Path, int],
                                       tmp_path: Path) -> None:
    local, local_requests = reference
    out = tmp_path / "actors"
    with StageServer(latency_s=0.005) as server:
        run(taxonomy, out, server, RayExecutor(teacher=teacher_config(server), teacher_actors=2))
        assert len(server.log) == local_requests
    assert snapshot(out) == snapshot(local)
    assert run_json(out)["units"] == run_json(local)["units"]


class Recording(QuietProgress):
    """Every unit_done and leaf_done, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []

    def unit_done(self, leaf: str, *, kept: int, rejected: int, reused: bool, unit: str = "") -> None:
        self.events.append(("unit", leaf, unit))

    def leaf_done(self, leaf: str, *, kept: int, rejected: int, elapsed_s: float) -> None:
        self.events.append(("leaf", leaf, ""))


def test_progress_comes_as_the_units_finish_each_unit_once(cluster: str, taxonomy: Path,
                                                           reference: tuple[Path, int], tmp_path: Path) -> None:
    local, _ = reference
    progress, out = Recording(), tmp_path / "progress"
    with StageServer(latency_s=0.03) as server:
        config = teacher_config(server, in_flight=2)
        teacher = build_teacher(config)
        try:
            generate(taxonomy, out, teacher, GenerateConfig(target_per_seed=TARGET, seed=SEED), progress=progress,
                     executor=RayExecutor(teacher=config))
        finally:
            teacher.close()
    units = [(leaf, unit) for kind, leaf, unit in progress.events if kind == "unit"]
    assert len(units) == len(set(units)) == len(unit_files(local)), "every unit shown once"
    assert all(unit for _, unit in units)
    finished = [leaf for kind, leaf, _ in progress.events if kind == "leaf"]
    assert sorted(finished) == sorted(set(finished)) and len(finished) == len(LEAVES)
    for leaf in finished:  # a leaf is done after all its units
        last_unit = max(i for i, event in enumerate(progress.events) if event[0] == "unit" and event[1] == leaf)
        assert progress.events.index(("leaf", leaf, "")) > last_unit
    # Shown as they finished, not when their leaf's task returned: some leaf's units came before another
    # leaf, running at the same time, was done.
    first_done = progress.events.index(("leaf", finished[0], ""))
    assert any(kind == "unit" and leaf != finished[0] for kind, leaf, _ in progress.events[:first_done])
    run_units = json.loads((out / "run.json").read_text())["units"]
    assert run_units["generated"] == len(units)


def leaf_workers() -> list[int]:
    """Processes running a leaf task now (Ray titles a worker `ray::<function>` while it runs one)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cmdline").read_bytes().startswith(b"ray::run_leaf_job"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def talks_to(pid: int, port: int) -> bool:
    """Whether the process holds a TCP connection to 127.0.0.1:port (so it has asked the teacher)."""
    sockets = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith("socket:["):
                sockets.add(target[8:-1])
    except OSError:
        return False
    remote = f"0100007F:{port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[2] == remote and fields[9] in sockets:
            return True
    return False


def ancestors(pid: int) -> set[int]:
    found = set()
    while pid > 1:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            break
        pid = int(stat.rsplit(")", 1)[1].split()[1])
        found.add(pid)
    return found


def test_a_worker_killed_mid_run_costs_only_its_requests_in_flight(
        cluster: str, taxonomy: Path, reference: tuple[Path, int], tmp_path: Path) -> None:
    """Through the installed CLI, a second driver on the module's cluster (--ray-address)."""
    local, local_requests = reference
    out, in_flight = tmp_path / "killed", 2
    with StageServer(latency_s=0.03) as server:
        command = [*LABGEN, "generate", str(taxonomy), "--out", str(out), "--teacher", "openai", "--teacher-url",
                   server.base_url, "--max-in-flight", str(in_flight), "--target-per-seed", str(TARGET), "--seed",
                   str(SEED), "--quiet", "--executor", "ray", "--ray-address", cluster]
        # The environment as ray.init left it: RAY_AUTH_MODE=token lets the CLI join with the cluster's token.
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                                   env={k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"})
        victim, deadline = None, time.monotonic() + 90
        while victim is None and process.poll() is None and time.monotonic() < deadline:
            asking = [pid for pid in leaf_workers() if talks_to(pid, server.port)]
            if asking and len(unit_files(out)) >= 2:
                victim = asking[0]
            else:
                time.sleep(0.01)
        assert victim is not None, process.stderr.read() if process.poll() is not None else "no leaf task ran"
        assert process.pid not in ancestors(victim), "the leaf ran on the module's cluster, not one the CLI started"
        finished = unit_files(out)
        os.kill(victim, signal.SIGKILL)
        assert process.poll() is None, "the kill must land mid-run"
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
        asked = len(server.log)

    assert 0 <= asked - local_requests <= in_flight  # only what the killed worker had in flight is asked again
    assert snapshot(out) == snapshot(local)
    after = unit_files(out)
    assert set(after) == set(unit_files(local))
    for name, identity in finished.items():
        assert after[name] == identity, f"{name} was generated twice"
    written = json.loads((out / "run.json").read_text())
    assert written["teacher_accounting"]["total"]["requests"] < asked, "the killed attempt's requests were lost"
    units = written["units"]
    assert units["generated"] + units["reused"] == len(after)  # the retried leaf reused what the dead one stored
    assert stored_answers(out) == local_requests


TINY = """generate:
  per_request: 2
  max_tokens: {freeform_instructions: 64, freeform_response: 48}
  critic: {judge_max_tokens: 24}
"""


@pytest.mark.slow
def test_the_embedded_teacher_in_a_ray_actor_generates_and_stores_its_answers(cluster: str, tmp_path: Path) -> None:
    """`--teacher local --executor ray`: the embedded model loaded by one teacher actor, the leaf task asking
    it, every answer in the head's store (its batched decoding is not reproducible run to run, so this
    checks the path, not bytes: see "Determinism of the embedded teacher" in docs/teachers.md)."""
    from tests.generate.conftest import FREEFORM

    taxonomy = build_taxonomy(tmp_path / "taxonomy", kinds=("freeform",))
    (tmp_path / "labgen.yaml").write_text(TINY)
    out = tmp_path / "out"
    command = [*LABGEN, "generate", str(taxonomy), "--out", str(out), "--config", str(tmp_path / "labgen.yaml"),
               "--target-per-seed", "0.4", "--quiet", "--executor", "ray", "--ray-address", cluster]
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    run = json.loads((out / "run.json").read_text())
    assert run["teacher"]["backend"] == "local" and "SmolLM2" in run["teacher"]["model"]
    asked = run["teacher_accounting"]["total"]["requests"]
    assert asked >= 3 and run["tokens"]["completion"] > 0
    assert run["answer_store"]["misses"] == asked and stored_answers(out) == asked
    stats = json.loads((out / FREEFORM / "stats.json").read_text())
    assert stats["generated"] == stats["kept"] + stats["rejected"] >= 1

    before = (out / FREEFORM / "rejects.jsonl").read_bytes(), (out / FREEFORM / "samples.jsonl").read_bytes()
    again = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
    assert again.returncode == 0, again.stderr
    rerun = json.loads((out / "run.json").read_text())
    assert rerun["teacher_accounting"]["total"]["requests"] == 0 and rerun["units"]["generated"] == 0
    assert ((out / FREEFORM / "rejects.jsonl").read_bytes(), (out / FREEFORM / "samples.jsonl").read_bytes()) == before


def test_the_store_actor_answers_lookups_and_writes_in_batches(cluster: str, tmp_path: Path) -> None:
    from labgen.store.remote import AnswerStoreServer, RemoteAnswers

    actor = ray.remote(AnswerStoreServer).remote(str(tmp_path / "answers.sqlite"))
    requests = [ChatRequest(messages=({"role": "user", "content": f"q{i}"},), params=SamplingParams(seed=i),
                            stage="judge_pair", tag=i) for i in range(5)]

    async def roundtrip() -> list[Completion | None]:
        store = RemoteAnswers(actor)
        answers = [Completion(request=r, choices=(Choice(text=f"a{r.tag}", finish_reason="stop"),), prompt_tokens=3,
                              completion_tokens=1, model="m") for r in requests]
        await asyncio.gather(*[store.aput(f"k{i}", answer) for i, answer in enumerate(answers)])
        return list(await asyncio.gather(*[store.aget(f"k{i}", r) for i, r in enumerate(requests)],
                                         store.aget("absent", requests[0])))

    found = asyncio.run(roundtrip())
    assert [c.text for c in found[:5]] == ["a0", "a1", "a2", "a3", "a4"]
    assert [c.request for c in found[:5]] == requests  # each answer comes back as a completion of its asker
    assert found[5] is None
    ray.get(actor.close.remote())
    with sqlite3.connect(tmp_path / "answers.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*), SUM(prompt_tokens) FROM answers").fetchone() == (5, 15)


def test_a_node_with_another_labgen_refuses_the_leaf() -> None:
    job = LeafJob(plan=None, config=GenerateConfig(), info=None, dedup=None, out_dir="/nowhere",  # type: ignore[arg-type]
                  teacher=WorkerTeacher(TeacherConfig()), answers=None, fingerprint="another-labgen")
    with pytest.raises(ConfigError, match="differs from the head's"):
        run_leaf_job(job)


def test_ray_options_need_the_ray_executor(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["generate", str(tmp_path), "--out", str(tmp_path / "out"),
                                      "--ray-address", "127.0.0.1:6379"])
    assert result.exit_code == 2
    assert "--ray-address needs --executor ray" in result.output


def test_without_ray_installed_the_error_says_how_to_install_it(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails as if it were not installed
    result = CliRunner().invoke(cli, ["generate", str(tmp_path), "--out", str(tmp_path / "out"), "--executor", "ray"])
    assert result.exit_code == 1
    assert "--executor ray needs the ray package" in result.output
    assert "pip install 'labgen[ray]'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("address, message", [("127.0.0.1:{port}", "cannot reach the Ray cluster at 127.0.0.1:"),
                                              ("no-port-here", "is not HOST:PORT")])
def test_a_bad_ray_address_is_a_clear_error_before_any_teacher_call(tmp_path: Path, address: str,
                                                                    message: str) -> None:
    result = subprocess.run([*LABGEN, "generate", str(tmp_path), "--out", str(tmp_path / "out"), "--teacher",
                             "openai", "--teacher-url", f"http://127.0.0.1:{free_port()}/v1", "--executor", "ray",
                             "--ray-address", address.format(port=free_port())],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert message in result.stderr
    assert "--ray-address" in result.stderr  # the hint names the option to fix
    assert "Traceback" not in result.stderr
