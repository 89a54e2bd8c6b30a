"""`labgen generate --executor ray`: a run's leaves spread over a Ray cluster, with the same output files.

The head (this process) plans, writes the manifests, finishes each leaf and runs the one curation pass,
as in a local run. Each leaf is one Ray task (ray_worker.run_leaf_job) that runs the leaf's units and
top-ups by the same code as a local run and stores each unit, atomically, in OUT on shared storage;
answers go to one store actor on the head node (labgen/store/remote.py). Scheduling, placement and fault
tolerance are Ray's: a task whose worker or node dies is run again (`max_retries`), and the new attempt
reuses every unit the lost one stored and every answer the store holds, so only the requests that were
in flight are asked again; teacher and store actors are restarted by Ray and the calls they held are
retried on the new instance (`max_restarts`, `max_task_retries`).

ray is imported only here, and only when a run uses this executor.
"""

from __future__ import annotations

import logging
import socket
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from labgen.errors import ClusterError, ConfigError, LabgenError, TeacherError, import_optional
from labgen.generate.execution import RunState, finish_leaf, unit_counts
from labgen.generate.plan import LeafPlan
from labgen.teachers.config import TeacherConfig

INSTALL_HINT = "install it with pip install 'labgen[ray]'"
_PROGRESS_POLL_S = 0.5  # how often the head shows the progress events the leaf tasks sent
_PROBE_TIMEOUT_S = 5.0


def import_ray() -> Any:
    """The ray module, or a ClusterError saying how to install it."""
    return import_optional("ray", ClusterError, "--executor ray", INSTALL_HINT)


@dataclass(frozen=True)
class RayExecutor:
    """Run each leaf as a Ray task. `teacher`: the configuration every worker builds its teacher from.
    `teacher_actors`: how many Ray actors hold the teacher (None: none for an OpenAI-compatible server,
    each task its own client; one per GPU group for vllm; one per node for the embedded model).
    `address`: the cluster (None: Ray's own choice, RAY_ADDRESS, a `ray start` cluster on this machine,
    else a new local one); when this process is already connected to Ray, that connection is used."""

    teacher: TeacherConfig
    address: str | None = None
    teacher_actors: int | None = None
    gpus_per_teacher: int = 1  # vllm: GPUs (tensor-parallel size) of each engine actor
    max_retries: int = 3  # Ray task retries of a leaf whose worker died
    max_restarts: int = 3  # restarts of a teacher or store actor that died

    def validated(self) -> RayExecutor:
        if self.teacher_actors is not None and self.teacher_actors < 1:
            raise ConfigError(f"--ray-teacher-actors must be at least 1, got {self.teacher_actors}")
        if self.gpus_per_teacher < 1:
            raise ConfigError(f"--ray-gpus-per-teacher must be at least 1, got {self.gpus_per_teacher}")
        if self.max_retries < 0 or self.max_restarts < 0:
            raise ConfigError("Ray retries and restarts cannot be negative")
        return self

    def run(self, plans: list[LeafPlan], state: RunState) -> None:
        ray = import_ray()
        connected_here = connect(ray, self.address)
        try:
            _drive(ray, self.validated(), plans, state)
        finally:
            if connected_here:
                ray.shutdown()


def connect(ray: Any, address: str | None) -> bool:
    """Connect this process to the cluster; True when this call did (and so must disconnect)."""
    if ray.is_initialized():
        return False
    if address:
        probe_address(address)
    try:
        ray.init(address=address, logging_level=logging.WARNING)
    except Exception as exc:  # ray raises ConnectionError, RuntimeError or ValueError here
        raise ClusterError(f"cannot connect to the Ray cluster{f' at {address}' if address else ''}: {exc}",
                           hint="check --ray-address (the head's `ray start --head` address, HOST:6379), or "
                                "omit it to start Ray on this machine; a cluster with token authentication (Ray's "
                                "default for clusters ray.init starts) also needs RAY_AUTH_MODE=token here and its "
                                "token in RAY_AUTH_TOKEN or ~/.ray/auth_token") from None
    return True


def probe_address(address: str) -> None:
    """A TCP connection to HOST:PORT (or ray://HOST:PORT) within seconds: Ray itself waits a minute. `auto`
    and `local` are Ray's own words for a cluster on this machine, left to ray.init."""
    if address in ("auto", "local"):
        return
    target = address.removeprefix("ray://")
    host, sep, port = target.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit():
        raise ClusterError(f"--ray-address {address!r} is not HOST:PORT",
                           hint="e.g. --ray-address 10.0.0.1:6379 (the head's `ray start --head`), ray://HOST:10001, "
                                "or auto")
    try:
        socket.create_connection((host, int(port)), timeout=_PROBE_TIMEOUT_S).close()
    except OSError as exc:
        raise ClusterError(f"cannot reach the Ray cluster at {address} ({exc})",
                           hint="start it with `ray start --head` on the head node and pass its address, or omit "
                                "--ray-address to start Ray on this machine") from None


def _drive(ray: Any, executor: RayExecutor, plans: list[LeafPlan], state: RunState) -> None:
    """Submit one task per leaf, finish each leaf as its task returns; cancel the rest on the first error."""
    from labgen.generate.ray_worker import LeafJob, labgen_fingerprint, run_leaf_job

    task = ray.remote(run_leaf_job).options(max_retries=executor.max_retries, retry_exceptions=False)
    actors: list[Any] = []  # the teacher actors and the progress queue's
    answers = None
    pending: dict[Any, LeafPlan] = {}
    try:
        answers = None if state.answer_path is None else _store_actor(ray, executor, state.answer_path)
        teachers = _worker_teachers(ray, executor, state.info.teacher, actors)
        fingerprint, out_dir = labgen_fingerprint(), str(Path(state.out_dir).resolve())
        state.progress.start({plan.leaf.path: len(plan.units) for plan in plans})
        events = _event_queue(ray)
        actors.append(events.actor)
        live = LiveProgress(state.progress, plans)
        # Larger leaves first (Ray starts tasks about in the order they come), so the run does not end on one
        # big leaf left alone; each leaf keeps its teacher by its place in the plan.
        for index, plan in sorted(enumerate(plans), key=lambda item: -len(item[1].units)):
            state.begin_leaf(plan)
            state.leaf_started[plan.leaf.path] = time.monotonic()
            if not plan.units:
                finish_leaf(state, plan)
                continue
            job = LeafJob(plan=plan, config=state.config, info=state.info, dedup=state.dedup, out_dir=out_dir,
                          teacher=teachers[index % len(teachers)], answers=answers, fingerprint=fingerprint,
                          progress=events)
            pending[task.remote(job)] = plan
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1, timeout=_PROGRESS_POLL_S)
            live.show(_drain(events))
            for ref in done:
                plan = pending.pop(ref)
                outcome = _outcome(ray, executor, ref, plan)
                live.show(_drain(events))  # the task sent its last events before it returned
                _merge(state, plan, outcome)
                live.settle(plan, outcome)
                finish_leaf(state, plan)
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
        _release(ray, answers, actors)


def _store_actor(ray: Any, executor: RayExecutor, path: Path) -> Any:
    """The run's answer store, opened by one actor pinned to this (the head's) node."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from labgen.store.remote import AnswerStoreServer

    here = NodeAffinitySchedulingStrategy(node_id=ray.get_runtime_context().get_node_id(), soft=False)
    actor = ray.remote(AnswerStoreServer).options(
        num_cpus=0, max_restarts=executor.max_restarts, max_task_retries=-1, scheduling_strategy=here,
    ).remote(str(Path(path).resolve()))
    return actor


def _worker_teachers(ray: Any, executor: RayExecutor, identity: dict[str, Any], actors: list[Any]) -> list[Any]:
    """What each leaf's worker uses as its teacher, leaf i taking entry i mod n (a leaf's prompts stay on
    one engine, whose prefix cache holds the leaf's constant start)."""
    from labgen.generate.ray_worker import TeacherServer, WorkerTeacher

    config = executor.teacher
    if config.backend == "openai" and not config.model:  # the model the head found, not one per worker
        config = replace(config, model=identity.get("model"))
    count = executor.teacher_actors
    if count is None and config.backend == "openai":
        return [WorkerTeacher(config)]
    gpus = executor.gpus_per_teacher if config.backend == "vllm" else 0
    count = count or _default_actor_count(ray, config.backend, gpus)
    server = ray.remote(TeacherServer).options(
        num_cpus=1 if config.backend == "local" else 0, num_gpus=gpus, max_restarts=executor.max_restarts,
        max_task_retries=-1, max_concurrency=max(1000, 2 * config.in_flight), scheduling_strategy="SPREAD")
    started = [server.remote(config, gpus) for _ in range(count)]
    actors.extend(started)
    identities = ray.get([actor.identity.remote() for actor in started])
    for found in identities:
        if found != identity:
            raise TeacherError(f"a Ray teacher actor's teacher is {found}, the head's is {identity}",
                               hint="install the same model files and labgen on every node")
    return [WorkerTeacher(config, actor, identity) for actor in started]


def _default_actor_count(ray: Any, backend: str, gpus: int) -> int:
    if backend == "vllm":
        count = int(ray.cluster_resources().get("GPU", 0)) // gpus
        if count < 1:
            raise ClusterError(f"the Ray cluster has no group of {gpus} GPU(s) for --teacher vllm",
                               hint="start the GPU nodes with `ray start`, lower --ray-gpus-per-teacher, or serve "
                                    "the model with `vllm serve` and use --teacher openai")
        return count
    return max(1, sum(1 for node in ray.nodes() if node.get("Alive")))


def _outcome(ray: Any, executor: RayExecutor, ref: Any, plan: LeafPlan) -> Any:
    """The task's LeafOutcome; a labgen error raised on the worker is raised here as it was."""
    path = plan.leaf.path
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as exc:
        cause = getattr(exc, "cause", None)
        if isinstance(cause, LabgenError):
            raise cause from None
        raise ClusterError(f"the Ray task of leaf {path} failed: {cause!r}",
                           hint="finished units and answers are kept: rerun the same command") from None
    except ray.exceptions.RayError as exc:  # the worker or its node died more often than Ray retries
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ClusterError(f"the Ray task of leaf {path} was lost {executor.max_retries + 1} times "
                           f"({type(exc).__name__}: {first_line})",
                           hint="finished units and answers are kept: rerun the same command") from None


def _merge(state: RunState, plan: LeafPlan, outcome: Any) -> None:
    """A finished leaf's results and counts, as if its units had run in this process (its progress is
    LiveProgress's to show)."""
    from labgen.store import StoredTeacher

    path = plan.leaf.path
    state.results[path] = list(outcome.results)
    state.units[path] = list(outcome.units)
    state.top_ups[path] = outcome.top_ups
    state.remaining[path] = 0
    state.reused_units |= outcome.reused_units
    state.generated += outcome.generated
    state.reused += outcome.reused
    state.teacher.accounting.add(outcome.accounting)
    if isinstance(state.teacher, StoredTeacher):
        state.teacher.hits += outcome.hits
        state.teacher.misses += outcome.misses
    state.successes += outcome.successes
    if outcome.failures_in_row:
        state.failures_in_row += outcome.failures_in_row
        state.last_error = outcome.last_error


class LiveProgress:
    """The leaf tasks' progress events shown as they come (labgen.generate.ray_worker.ForwardedProgress):
    each unit once, whichever attempt of its leaf reports it, and a leaf's units shown in full when its
    task returns, so the display ends right even if some event never came."""

    def __init__(self, progress: Any, plans: list[LeafPlan]) -> None:
        self.progress = progress
        self.shown: dict[str, set[str]] = {plan.leaf.path: set() for plan in plans}
        self.units = {plan.leaf.path: len(plan.units) for plan in plans}
        self.settled: set[str] = set()

    def show(self, batches: list[list[tuple[str, str, Any]]]) -> None:
        for batch in batches:
            for kind, leaf, value in batch:
                if leaf in self.settled or leaf not in self.units:
                    continue  # late news of a finished leaf
                if kind == "unit_done":
                    unit, kept, rejected, reused = value
                    self._unit_done(leaf, unit, kept=kept, rejected=rejected, reused=reused)
                elif kind == "units":
                    self._units(leaf, value)
                elif kind == "unit_started":
                    self.progress.unit_started(leaf)
                elif kind == "dropped":
                    self.progress.dropped(leaf)

    def settle(self, plan: LeafPlan, outcome: Any) -> None:
        """The leaf's task returned: every unit it has, shown once."""
        path = plan.leaf.path
        self._units(path, len(outcome.units))
        for result in sorted(outcome.results, key=lambda result: result["index"]):
            kept, rejected = unit_counts(result)
            self._unit_done(path, result["unit"], kept=kept, rejected=rejected,
                            reused=result["unit"] in outcome.reused_units)
        self.settled.add(path)

    def _unit_done(self, leaf: str, unit: str, *, kept: int, rejected: int, reused: bool) -> None:
        if unit not in self.shown[leaf]:
            self.shown[leaf].add(unit)
            self.progress.unit_done(leaf, kept=kept, rejected=rejected, reused=reused, unit=unit)

    def _units(self, leaf: str, total: int) -> None:
        if total > self.units[leaf]:
            self.progress.units_added(leaf, total - self.units[leaf])
            self.units[leaf] = total


def _event_queue(ray: Any) -> Any:
    """The queue (a Ray actor on this node) the leaf tasks send their progress events to."""
    from ray.util.queue import Queue
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    here = NodeAffinitySchedulingStrategy(node_id=ray.get_runtime_context().get_node_id(), soft=False)
    return Queue(actor_options={"num_cpus": 0, "scheduling_strategy": here})


def _drain(events: Any) -> list[Any]:
    """Every batch of events in the queue now (only this process takes from it, so they are all there)."""
    count = events.size()
    return events.get_nowait_batch(count) if count else []


def _release(ray: Any, answers: Any, actors: list[Any]) -> None:
    """Close the store (the head opens it next, for curation) and end every actor."""
    if answers is not None:
        try:
            ray.get(answers.close.remote(), timeout=60)
        except Exception:  # dead past its restarts: SQLite's last commit is on disk all the same
            pass
        ray.kill(answers)
    for actor in actors:
        ray.kill(actor)
