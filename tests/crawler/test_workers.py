"""Worker pools: per-task timeouts that count work, not queueing; hung workers replaced."""

from __future__ import annotations

import asyncio
import operator
import time

import pytest

from crawler.workers import ProcessWorkers, TaskTimeout, ThreadWorkers

pytestmark = pytest.mark.timeout(60)


def test_hung_process_task_times_out_and_the_pool_recovers():
    async def go():
        workers = ProcessWorkers(2)
        try:
            started = time.monotonic()
            hung, beside = await asyncio.gather(workers.run(1, time.sleep, 60),
                                                workers.run(10, time.sleep, 2),
                                                return_exceptions=True)
            assert isinstance(hung, TaskTimeout)
            assert beside is None  # killed with the hung one's pool, retried on the new one
            assert time.monotonic() - started < 15
            assert await workers.run(10, operator.add, 2, 3) == 5
        finally:
            workers.close()

    asyncio.run(go())


def test_time_waiting_for_a_worker_does_not_count():
    async def go():
        workers = ProcessWorkers(1)
        try:
            await workers.run(30, operator.add, 0, 0)  # start the worker process first
            results = await asyncio.gather(*(workers.run(1.5, time.sleep, 0.6) for _ in range(4)))
            assert results == [None] * 4
        finally:
            workers.close()

    asyncio.run(go())


def test_thread_task_times_out():
    async def go():
        workers = ThreadWorkers(1)
        with pytest.raises(TaskTimeout):
            await workers.run(0.2, time.sleep, 1)
        assert await workers.run(5, operator.mul, 6, 7) == 42
        workers.close()

    asyncio.run(go())
