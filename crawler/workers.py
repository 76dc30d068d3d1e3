"""Worker pools for CPU-heavy work, so the event loop never stalls.

`ProcessWorkers` runs feed parsing and trafilatura in child processes: they
read untrusted documents, take real CPU, and trafilatura can hang on
pathological pages. Each task gets a timeout that counts from when a worker
starts it (a semaphore keeps submissions to the number of workers, so time in
a queue never counts). A task that times out is abandoned by killing the pool's
processes and starting a fresh pool; tasks that were running beside it are
retried once on the new pool.

`ThreadWorkers` runs detection (pure Python, holding the Detector in memory)
in threads with the same timeout rule; a hung thread cannot be killed, so it
is abandoned and logged.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

log = logging.getLogger(__name__)


class TaskTimeout(Exception):
    """A worker task ran longer than its timeout and was abandoned."""


class ProcessWorkers:
    """A process pool with per-task timeouts and replacement of hung workers."""

    def __init__(self, workers: int = 2):
        self.workers = max(1, workers)
        self._slots = asyncio.Semaphore(self.workers)
        self._pool = self._new_pool()
        self._closed = False

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn, not fork: this process has threads (Twisted's, the database's).
        context = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(self.workers, mp_context=context)

    async def run(self, timeout: float, fn, *args):
        """`fn(*args)` in a child process; TaskTimeout after `timeout` seconds of work."""
        async with self._slots:
            for attempt in (1, 2):
                pool = self._pool
                try:
                    future = asyncio.wrap_future(pool.submit(fn, *args))
                    return await asyncio.wait_for(future, timeout)
                except asyncio.TimeoutError:
                    self._replace(pool, f"{getattr(fn, '__name__', fn)} ran over {timeout}s")
                    raise TaskTimeout(f"gave up after {timeout:g}s") from None
                except BrokenProcessPool:
                    if self._closed or attempt == 2:
                        raise
                    self._replace(pool, "a worker process died")

    def _replace(self, pool: ProcessPoolExecutor, why: str) -> None:
        if pool is not self._pool or self._closed:
            return
        log.warning("worker pool restarted reason=%s", why)
        self._pool = self._new_pool()
        _kill(pool)

    def close(self) -> None:
        """Stop at once: running tasks are abandoned."""
        self._closed = True
        _kill(self._pool)


def _kill(pool: ProcessPoolExecutor) -> None:
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


class ThreadWorkers:
    """A thread pool with per-task timeouts (a hung task is abandoned, not killed)."""

    def __init__(self, workers: int = 2):
        self._pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="beatwire-detect")
        self._slots = asyncio.Semaphore(max(1, workers))

    async def run(self, timeout: float, fn, *args, **kwargs):
        """`fn(*args, **kwargs)` in a thread; TaskTimeout after `timeout` seconds of work."""
        async with self._slots:
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(self._pool, lambda: fn(*args, **kwargs))
            try:
                return await asyncio.wait_for(future, timeout)
            except asyncio.TimeoutError:
                log.warning("worker task abandoned task=%s timeout=%s",
                            getattr(fn, "__name__", fn), timeout)
                raise TaskTimeout(f"gave up after {timeout:g}s") from None

    def close(self) -> None:
        """Stop taking work; running threads finish on their own."""
        self._pool.shutdown(wait=False, cancel_futures=True)
