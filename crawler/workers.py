"""Worker processes for CPU-heavy work, so the event loop never stalls.

Feed parsing, trafilatura and detection run in child processes: they read
untrusted documents, take real CPU, and can hang or swell on pathological
input. Rules:

1. Each worker is one spawned process (spawn, not fork: this process has
   threads) under an address-space limit (ADDRESS_SPACE_LIMIT), so a document
   that swells fails its task with MemoryError instead of taking the machine.
   An optional initializer runs once when the process starts (detection loads
   its model there); a worker takes tasks only after it.
2. A task's timeout counts from when a ready worker takes it: waiting for a
   worker, or for one to start, never counts.
3. A task that runs over is abandoned by killing its worker, and only that
   one: tasks on the other workers go on. A replacement starts on demand. The
   caller gets TaskTimeout.
4. A worker that dies under its task (killed, crashed) is replaced the same
   way and the caller gets WorkerDied, which says how it died ("worker died:
   signal 9 (SIGKILL) running parse_feed"); one that died while idle is
   replaced and the task goes to another (it never started). An exception the
   task raises comes back to the caller as it is.

`DetectionWorkers` are such processes that each hold the detection model and
run `Detector.find_statements` for the pipeline.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import resource
import signal
from collections import deque
from dataclasses import dataclass

log = logging.getLogger(__name__)

# The address space one worker may map. A detection worker measured 1.2-1.4 GB of address
# space (about 550-750 MB resident) with torch, the reader and a 200,000-character text;
# feed and page parsing take far less. 3 GiB leaves room for torch's allocator and threads
# and still stops a billion-laughs expansion (issue 10 measured 4.5-6.5 GB) at the limit.
ADDRESS_SPACE_LIMIT = 3 * 1024**3
# How long a worker may take to start (import, initializer) before it is given up.
START_TIMEOUT = 180.0
# Each detection worker holds torch and the model (~550 MB resident, measured): two use both
# cores of the reference machine; more would cost memory and gain nothing there.
MAX_DETECTION_WORKERS = 2


class TaskTimeout(Exception):
    """A worker task ran longer than its timeout and was abandoned."""


class WorkerDied(RuntimeError):
    """The worker process died under a task (or could not start)."""


class PoolClosed(WorkerDied):
    """The pool was closed (the daemon is stopping) before the task finished: nothing is
    wrong with the task, which is simply not done."""


class ProcessWorkers:
    """Worker processes with per-task timeouts; a worker that runs over is replaced."""

    def __init__(self, workers: int = 2, *, initializer=None, initargs: tuple = (),
                 memory_limit: int | None = ADDRESS_SPACE_LIMIT):
        self.workers = max(1, workers)
        self._setup = (initializer, initargs, memory_limit)
        self._context = multiprocessing.get_context("spawn")
        self._idle: list[_Worker] = []
        self._waiting: deque[asyncio.Future] = deque()
        self._alive = 0  # workers started or starting
        self._all: set[_Worker] = set()
        self._starts: set[asyncio.Task] = set()  # held: the loop keeps only weak references
        self._closed = False

    async def run(self, timeout: float, fn, *args):
        """`fn(*args)` in a worker process; TaskTimeout after `timeout` seconds of work."""
        name = getattr(fn, "__name__", repr(fn))
        worker = await self._handed(fn, args)
        try:
            status, value = await worker.receive(timeout)
        except asyncio.TimeoutError:
            self._discard(worker, f"{name} ran over {timeout:g}s")
            raise TaskTimeout(f"gave up after {timeout:g}s") from None
        except (EOFError, OSError):
            if self._closed:  # close() killed it
                raise PoolClosed(f"the worker pool is closed while running {name}") from None
            why = f"worker died: {worker.death()} running {name}"
            self._discard(worker, why)
            raise WorkerDied(why) from None
        except BaseException:  # cancelled: the worker may still be busy with it
            self._discard(worker, f"{name} was cancelled")
            raise
        self._give_back(worker)
        if status == "error":
            raise value
        return value

    async def _handed(self, fn, args: tuple) -> _Worker:
        """A worker that has been sent the task (one that died while idle is replaced:
        the task never reached it)."""
        while True:
            worker = await self._take()
            try:
                worker.send((fn, args))
                return worker
            except OSError:
                self._discard(worker, "a worker process died between tasks")
            except Exception:  # not picklable: nothing reached the worker
                self._give_back(worker)
                raise

    def close(self) -> None:
        """Stop at once: running tasks are abandoned, every worker is killed."""
        self._closed = True
        for worker in self._idle:
            self._drop(worker)
        self._idle.clear()
        for worker in list(self._all):  # busy: their tasks see the process die
            worker.process.kill()
        self._fail_waiting("the worker pool is closed", PoolClosed)

    async def _take(self) -> _Worker:
        if self._closed:
            raise PoolClosed("the worker pool is closed")
        if self._idle:
            return self._idle.pop()
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        self._start_missing()
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._give_back(waiter.result())  # handed over just as we were cancelled
            raise

    def _give_back(self, worker: _Worker) -> None:
        if self._closed:
            self._drop(worker)
            return
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(worker)
                return
        self._idle.append(worker)

    def _discard(self, worker: _Worker, why: str) -> None:
        log.warning("worker process replaced reason=%s", why)
        self._drop(worker)
        if self._waiting:
            self._start_missing()

    def _drop(self, worker: _Worker) -> None:
        worker.kill()
        if worker in self._all:
            self._all.discard(worker)
            self._alive -= 1

    def _start_missing(self) -> None:
        while not self._closed and self._alive < self.workers:
            self._alive += 1
            task = asyncio.ensure_future(self._start_one())
            self._starts.add(task)
            task.add_done_callback(self._starts.discard)

    async def _start_one(self) -> None:
        worker, error = None, None
        try:
            worker = _Worker(self._context, *self._setup)
            self._all.add(worker)
            status, value = await worker.receive(START_TIMEOUT)
            if status != "ready":
                error = f"a worker process could not start: {value}"
        except asyncio.TimeoutError:
            error = f"a worker process did not start within {START_TIMEOUT:g}s"
        except Exception as exc:  # died while starting, or could not be spawned
            error = f"a worker process could not start: {type(exc).__name__}: {exc}"
        if error is None:
            self._give_back(worker)
            return
        if worker is None:
            self._alive -= 1
        else:
            self._drop(worker)
        if not self._closed:
            log.error("%s", error)
            self._fail_waiting(error)

    def _fail_waiting(self, why: str, error: type[WorkerDied] = WorkerDied) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_exception(error(why))


class _Worker:
    """One child process and its end of the pipe."""

    def __init__(self, context, initializer, initargs: tuple, memory_limit: int | None):
        parent, child = context.Pipe(duplex=True)
        self.process = context.Process(target=_serve, daemon=True,
                                       args=(child, initializer, initargs, memory_limit))
        self.process.start()
        child.close()
        self.conn = parent

    def send(self, message) -> None:
        self.conn.send(message)

    async def receive(self, timeout: float):
        """The worker's next message; TimeoutError, or EOFError when it died."""
        if not self.conn.poll():
            loop = asyncio.get_running_loop()
            ready = loop.create_future()
            fd = self.conn.fileno()
            loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
            try:
                await asyncio.wait_for(ready, timeout)
            finally:
                loop.remove_reader(fd)
        return self.conn.recv()

    def death(self) -> str:
        """How the process ended ("signal 9 (SIGKILL)", "exit code 3"), once it has."""
        self.process.join(1)  # its pipe closed as it exited: this returns at once
        code = self.process.exitcode
        if code is None:
            return "its pipe closed"
        if code < 0:
            try:
                return f"signal {-code} ({signal.Signals(-code).name})"
            except ValueError:
                return f"signal {-code}"
        return f"exit code {code}"

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(1)
        self.conn.close()


def _serve(conn, initializer, initargs: tuple, memory_limit: int | None) -> None:
    """The worker process: limit memory, initialise, then answer tasks until EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    limit_address_space(memory_limit)
    try:
        if initializer is not None:
            initializer(*initargs)
    except BaseException as exc:
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    gc.freeze()  # the model and gazetteer stay for the process's life: no collection walks them
    conn.send(("ready", None))
    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        try:
            reply = ("ok", fn(*args))
        except BaseException as exc:
            reply = ("error", exc)
        try:
            conn.send(reply)
        except Exception as exc:  # an unpicklable result or exception, or no memory left
            conn.send(("error", WorkerDied(f"the result could not be sent back: "
                                           f"{type(exc).__name__}: {exc}")))


def limit_address_space(limit: int | None) -> None:
    """Lower this process's soft RLIMIT_AS to `limit` bytes (never above the hard one)."""
    if limit is None:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
    if soft == resource.RLIM_INFINITY or soft > wanted:
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))


class DetectionWorkers(ProcessWorkers):
    """Worker processes that each load the detection model once, when they start."""

    def __init__(self, workers: int = MAX_DETECTION_WORKERS):
        super().__init__(min(max(1, workers), MAX_DETECTION_WORKERS), initializer=load_model)

    async def find_statements(self, timeout: float, detector, text: str, **context):
        """`detector.find_statements(text, **context)` in a worker. A Detector travels as
        its query and threshold, so a reloaded one applies from the next item; any other
        detector (the crawl tests' stand-ins) travels pickled, and workers started for it
        load no model."""
        from detect import Detector

        if isinstance(detector, Detector):
            job = DetectorSpec(detector.query.source, detector.threshold)
        else:
            job = detector
            self._setup = (None, (), self._setup[2])
        return await self.run(timeout, detect_in_worker, job, text, context)


# -- what runs inside a detection worker -------------------------------------------------

@dataclass(frozen=True)
class DetectorSpec:
    """What makes a Detector: its query's source text and its threshold."""

    query: str
    threshold: float


_DETECTORS: dict[DetectorSpec, object] = {}


def load_model() -> None:
    """Initializer: the reader, decision and gazetteer, loaded once per process (not in a
    timed task). Each keeps the classifier's two torch threads: a lone 1 MB text took
    1.5 s on two, 2.1 s on one."""
    from detect import agencies
    from detect.classifier import shared

    shared()
    agencies.warm()


def detect_in_worker(job, text: str, context: dict):
    """The statements in `text` (Statement dataclasses travel back pickled)."""
    if not isinstance(job, DetectorSpec):
        return job.find_statements(text, **context)
    detector = _DETECTORS.get(job)
    if detector is None:
        from detect import Detector

        _DETECTORS.clear()  # a reload replaced the detector: keep only the new one
        detector = _DETECTORS[job] = Detector(job.query, job.threshold)
    return detector.find_statements(text, **context)
