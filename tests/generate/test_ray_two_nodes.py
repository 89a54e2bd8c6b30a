"""`--executor ray` on a cluster of two nodes: two raylets on this machine (ray.cluster_utils.Cluster, as
Ray's own tests make one), each with one CPU, its own worker processes and object store. The store actor
and the progress queue are pinned to the head node while leaf tasks run on both; the output is the same
as a one-process run. (Both nodes see one file system here: what shared storage such as NFS adds is not
exercised.)"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray
from ray.cluster_utils import Cluster

from labgen.generate import GenerateConfig, generate
from labgen.generate.ray_executor import RayExecutor
from labgen.teachers.config import TeacherConfig, build_teacher
from tests.generate.conftest import build_taxonomy
from tests.generate.stage_server import StageServer
from tests.generate.test_cli_resume import snapshot, unit_files
from tests.generate.test_ray_executor import ancestors, leaf_workers, run_json, stored_answers

_STORE = 80 * 1024 * 1024


@pytest.fixture(scope="module")
def two_nodes() -> Iterator[Cluster]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAY_USAGE_STATS_ENABLED", "0")
        patch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)  # workers import labgen faster (see test_ray_executor)
        # The nodes start with this process's environment, and must use the authentication this process
        # already uses: a ray.init of a local cluster earlier in the session (test_ray_executor) turned token
        # authentication on for the whole process (and saved the token), which RAY_AUTH_MODE alone would
        # not tell the new nodes.
        from ray._private.authentication.authentication_utils import is_token_auth_enabled

        patch.setenv("RAY_AUTH_MODE", "token" if is_token_auth_enabled() else "disabled")
        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False,
                                                                "object_store_memory": _STORE})
        cluster.add_node(num_cpus=1, object_store_memory=_STORE)
        ray.init(address=cluster.address)
        cluster.wait_for_nodes()
        try:
            yield cluster
        finally:
            ray.shutdown()
            cluster.shutdown()


def raylets() -> set[int]:
    """This machine's raylet processes (one per node)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                program = (entry / "cmdline").read_bytes().split(b"\0")[0]
            except OSError:
                continue
            if program.endswith(b"/raylet"):
                found.add(int(entry.name))
    return found


def test_leaves_on_both_nodes_write_what_one_process_writes(two_nodes: Cluster, tmp_path: Path) -> None:
    assert len([node for node in ray.nodes() if node["Alive"]]) == 2
    taxonomy = build_taxonomy(tmp_path / "taxonomy")
    nodes_seen: set[int] = set()
    stop = threading.Event()

    def watch() -> None:  # which raylet each running leaf task's worker belongs to
        known = raylets()
        while not stop.is_set():
            for pid in leaf_workers():
                nodes_seen.update(ancestors(pid) & known)
            time.sleep(0.005)

    def run(out: Path, server: StageServer, executor: RayExecutor | None) -> None:
        teacher = build_teacher(executor.teacher if executor else config(server))
        try:
            generate(taxonomy, out, teacher, GenerateConfig(target_per_seed=3.0, seed=7), executor=executor)
        finally:
            teacher.close()

    def config(server: StageServer) -> TeacherConfig:
        return TeacherConfig(backend="openai", urls=(server.base_url,), max_in_flight=4, max_retries=1)

    local, out = tmp_path / "local", tmp_path / "ray"
    with StageServer(latency_s=0.02) as server:
        run(local, server, None)
        local_requests = len(server.log)
        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            run(out, server, RayExecutor(teacher=config(server)))
        finally:
            stop.set()
            watcher.join()
        assert len(server.log) == 2 * local_requests
    assert len(nodes_seen) == 2, "leaf tasks ran on both nodes"
    assert snapshot(out) == snapshot(local)
    assert set(unit_files(out)) == set(unit_files(local))
    assert run_json(out) == run_json(local)
    assert stored_answers(out) == local_requests
