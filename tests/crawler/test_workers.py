"""Worker processes: per-task timeouts that count work, not queueing; a worker that runs
over is killed and replaced alone; initializers run once per process; memory is bounded."""

from __future__ import annotations

import asyncio
import operator
import os
import time

import pytest

from crawler.workers import PoolClosed, ProcessWorkers, TaskTimeout, WorkerDied

pytestmark = pytest.mark.timeout(90)

_STATE: dict[str, int] = {}


def _remember_start(value: int) -> None:
    _STATE["started"] = _STATE.get("started", 0) + value


def _starts() -> tuple[int, int]:
    return os.getpid(), _STATE.get("started", 0)


def _allocate(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def _die() -> None:
    os._exit(3)


def test_hung_task_is_killed_and_the_task_beside_it_goes_on():
    async def go():
        workers = ProcessWorkers(2)
        try:
            started = time.monotonic()
            hung, beside = await asyncio.gather(workers.run(1, time.sleep, 60),
                                                workers.run(20, time.sleep, 2),
                                                return_exceptions=True)
            assert isinstance(hung, TaskTimeout)
            assert beside is None
            assert time.monotonic() - started < 20
            assert await workers.run(20, operator.add, 2, 3) == 5
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


def test_initializer_runs_once_per_process_and_again_in_a_replacement():
    async def go():
        workers = ProcessWorkers(1, initializer=_remember_start, initargs=(1,))
        try:
            first = [await workers.run(20, _starts) for _ in range(3)]
            assert len(set(first)) == 1 and first[0][1] == 1  # one process, started once
            with pytest.raises(TaskTimeout):
                await workers.run(0.5, time.sleep, 30)
            pid, starts = await workers.run(20, _starts)
            assert pid != first[0][0] and starts == 1
        finally:
            workers.close()

    asyncio.run(go())


@pytest.mark.parametrize("fn,args,error", [
    pytest.param(operator.truediv, (1, 0), ZeroDivisionError, id="task-error-comes-back-as-is"),
    pytest.param(_die, (), WorkerDied, id="dead-worker-is-replaced"),
    pytest.param(_allocate, (4096,), MemoryError, id="address-space-is-limited"),
])
def test_a_failing_task_fails_alone(fn, args, error):
    async def go():
        workers = ProcessWorkers(1)
        try:
            with pytest.raises(error):
                await workers.run(30, fn, *args)
            assert await workers.run(30, _allocate, 64) == 64 * 1024 * 1024
        finally:
            workers.close()

    asyncio.run(go())


def _killed() -> None:
    os.kill(os.getpid(), 9)


@pytest.mark.parametrize("fn,how", [
    pytest.param(_killed, "signal 9 (SIGKILL)", id="killed-names-the-signal"),
    pytest.param(_die, "exit code 3", id="exited-names-the-exit-code"),
])
def test_a_worker_that_dies_says_how(fn, how):
    async def go():
        workers = ProcessWorkers(1)
        try:
            with pytest.raises(WorkerDied) as died:
                await workers.run(30, fn)
            assert str(died.value) == f"worker died: {how} running {fn.__name__}"
            assert not isinstance(died.value, PoolClosed)
        finally:
            workers.close()

    asyncio.run(go())


def test_a_worker_killed_while_idle_is_replaced_and_the_task_still_runs():
    async def go():
        workers = ProcessWorkers(1)
        try:
            pid, _ = await workers.run(20, _starts)
            os.kill(pid, 9)
            time.sleep(0.2)
            assert (await workers.run(20, _starts))[0] != pid
        finally:
            workers.close()

    asyncio.run(go())


def test_an_initializer_that_fails_is_one_clear_error():
    async def go():
        workers = ProcessWorkers(1, initializer=operator.truediv, initargs=(1, 0))
        try:
            with pytest.raises(WorkerDied, match="could not start: ZeroDivisionError"):
                await workers.run(30, operator.add, 1, 1)
        finally:
            workers.close()

    asyncio.run(go())


def _sleeps() -> None:
    time.sleep(30)


@pytest.mark.parametrize("when", ["running", "waiting-for-a-worker", "after-close"])
def test_a_task_the_closing_pool_never_finishes_raises_pool_closed(when):
    """Stopping is not the task's failure: callers must not count it against the entry."""
    async def go():
        workers = ProcessWorkers(1)
        try:
            await workers.run(20, _starts)  # a started worker, so "running" means running
            if when == "after-close":
                workers.close()
                tasks = [asyncio.ensure_future(workers.run(20, _sleeps))]
            else:
                tasks = [asyncio.ensure_future(workers.run(20, _sleeps)) for _ in range(2)]
                await asyncio.sleep(0.5)
                workers.close()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            assert all(isinstance(r, PoolClosed) for r in results), results
        finally:
            workers.close()

    asyncio.run(go())
