"""The critic's deterministic checks, and the dedup count behind each top-up decision, in a process of
their own.

One event loop feeds the teacher, and every millisecond of CPU it spends on something else delays the
next request. The checks are about a fifth of that CPU in `labgen generate` (py-spy over
bench/client_cpu.py's run) and pure functions of their inputs, so on a machine with a second core they
run in a worker process: the candidates checked in one turn of the loop go as one batch (Coalescer), the
worker keeps its caches (seed and context shingles, context stems) from batch to batch, and each
candidate gets back exactly what `measure_checks` returns here. A top-up decision's dedup count goes the
same way from the worker thread that makes it.

The worker is spawned once per labgen process, when a run first needs it, and serves later runs of the
same process (the tests run many); it ignores Ctrl-C, which stops the run that owns it. If it dies
(killed, out of memory), the batch in hand and everything after it are checked in this process, with a
one-line notice: nothing is lost and the results are the same.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

from labgen.critic.checks import CheckInput, Measured, measure_checks
from labgen.critic.config import CriticConfig
from labgen.dedup.config import DedupConfig
from labgen.generate.top_up import LeafProgress, counted_progress, leaf_progress, remember_progress
from labgen.store.batching import Coalescer

_POOL: ProcessPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS tells, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def wanted(setting: bool | None, backend: str) -> bool:
    """Whether a run uses the check process: as set, else (None) when there is a second core for it and the
    teacher is not the embedded one (whose llama.cpp threads use every core for the model, which is what
    limits that run, not the checks)."""
    if setting is not None:
        return setting
    return usable_cores() >= 2 and backend != "local"


def measure_batch(batch: Sequence[tuple[CheckInput, CriticConfig]]) -> list[list[Measured]]:
    """measure_checks of each (item, config), in order: what the worker runs for one batch."""
    return [measure_checks(item, config) for item, config in batch]


def _worker_start() -> None:
    """In the worker, before its first task: Ctrl-C is for the run, not for it (no traceback of its own);
    and it ends when the run's process does, however that ends. A run killed outright (kill -9, the OOM
    killer) cannot tell it to, and the worker, which holds both ends of the pipe its tasks come by, would
    otherwise wait on it for good."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with_parent, args=(parent.sentinel,), daemon=True,
                         name="labgen-check-parent").start()


def _exit_with_parent(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])  # ready when the parent process has ended
    os._exit(0)


def _shared_pool() -> ProcessPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            # spawn, not fork: the run has threads (worker threads, the answer store's) that fork would copy
            # mid-flight; a spawned worker imports what it needs once and then keeps it.
            _POOL = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_worker_start)
        return _POOL


def _forget_pool(pool: ProcessPoolExecutor) -> None:
    global _POOL
    with _POOL_LOCK:
        if _POOL is pool:
            _POOL = None
    pool.shutdown(wait=False, cancel_futures=True)


@contextmanager
def _main_script_hidden() -> Iterator[None]:
    """While the worker is spawned, `__main__` looks like that of `python -c`, whose code spawn does not run
    again in the child. The worker needs nothing of `__main__`, and re-running a user's script there would
    repeat everything it does outside an `if __name__ == "__main__":` block: removing a folder, starting a
    second labgen run on the same output."""
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    saved = {name: main.__dict__[name] for name in ("__file__", "__spec__") if name in main.__dict__}
    main.__dict__.pop("__file__", None)
    main.__spec__ = None
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


class CheckProcess:
    """One run's way to the worker process; `notice` tells the user (once) if the worker is lost."""

    def __init__(self, notice: Callable[[str], None]) -> None:
        self.notice = notice
        self.pool: ProcessPoolExecutor | None = _shared_pool()
        self._batches: Coalescer | None = None
        try:  # start the worker now (the pool spawns it at the first submit), while units start
            with _main_script_hidden():
                self.pool.submit(measure_batch, ())
        except (BrokenProcessPool, RuntimeError, OSError) as exc:
            self._lost(exc)

    async def measure(self, item: CheckInput, config: CriticConfig) -> list[Measured]:
        """measure_checks(item, config), computed in the worker process."""
        if self.pool is None:
            return measure_checks(item, config)
        if self._batches is None:
            self._batches = Coalescer(self._send)
        result: list[Measured] = await self._batches.submit((item, config))
        return result

    def leaf_progress(self, leaf: Any, units: Sequence[tuple[int, Sequence[dict[str, Any]]]],
                      dedup: DedupConfig) -> LeafProgress:
        """top_up.leaf_progress, its dedup run in the worker (called from a worker thread, which waits); the
        count is remembered here, where the run's curation pass replays the decision."""
        pool = self.pool
        if pool is not None:
            try:
                key, progress = pool.submit(counted_progress, leaf, units, dedup).result()
            except (BrokenProcessPool, RuntimeError, OSError) as exc:
                self._lost(exc)
            else:
                remember_progress(key, progress)
                return progress
        return leaf_progress(leaf, units, dedup)

    def _send(self, batch: list[tuple[CheckInput, CriticConfig]]) -> Any:
        pool = self.pool
        if pool is not None:
            try:
                return self._deliver(asyncio.wrap_future(pool.submit(measure_batch, batch)), batch)
            except (BrokenProcessPool, RuntimeError, OSError) as exc:  # broken, or shut down at interpreter exit
                self._lost(exc)
        return measure_batch(batch)

    async def _deliver(self, reply: asyncio.Future[list[list[Measured]]],
                       batch: list[tuple[CheckInput, CriticConfig]]) -> list[list[Measured]]:
        try:
            return await reply
        except BrokenProcessPool as exc:
            self._lost(exc)
            return measure_batch(batch)

    def _lost(self, exc: BaseException) -> None:
        pool, self.pool = self.pool, None
        if pool is not None:
            _forget_pool(pool)
        self.notice(f"the check process stopped ({exc or type(exc).__name__}); the rest of the run checks "
                    "candidates in this process (same results)")
