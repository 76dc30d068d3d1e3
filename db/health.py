"""The daemon's watch on its archive.

Two faults a running daemon must notice by itself:

- its SQLite file deleted or replaced (a restore, a stray `rm`): writing on into the unlinked
  file loses everything, so the daemon stops with one line;
- the database away or read-only for a while (server down, failover to a standby, disk
  remounted read-only): the jobs pause and retry with back-off, one log line a minute at most,
  and resume by themselves when writes work again.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import time
from functools import wraps
from typing import Awaitable, Callable

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from db.engine import redact, sqlite_path

log = logging.getLogger("beatwire.db")

LOG_EVERY_SECONDS = 60.0
FIRST_RETRY_SECONDS = 2.0
MAX_RETRY_SECONDS = 60.0
# PostgreSQL SQLSTATE classes meaning "not now": connection exception, insufficient resources
# (disk full), operator intervention (shutdown), system error; and read_only_sql_transaction
# (a hot standby, a session or role set read-only). No SQLSTATE: the client never got through.
UNAVAILABLE_SQLSTATE_CLASSES = {"08", "53", "57", "58"}
READ_ONLY_SQLSTATE = "25006"
# SQLite primary result codes of the same kind: busy, locked, I/O error, full, cannot open,
# read-only, not a database (the file was replaced). "no such column" is a bug, not these.
UNAVAILABLE_SQLITE_CODES = {5, 6, 8, 10, 13, 14, 26}


def is_unavailable(exc: BaseException) -> bool:
    """True when `exc` says the database is away or read-only (retry later), not a bug."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in UNAVAILABLE_SQLITE_CODES
    if hasattr(orig, "sqlstate"):  # psycopg
        state = orig.sqlstate
        if state is None:
            return isinstance(exc, OperationalError)
        return state == READ_ONLY_SQLSTATE or state[:2] in UNAVAILABLE_SQLSTATE_CLASSES
    return isinstance(exc, OperationalError)


def _reason(exc: DBAPIError) -> str:
    text = str(exc.orig or exc).strip()
    return text.splitlines()[0] if text else type(exc.orig or exc).__name__


def file_identity(path: os.PathLike | str) -> tuple[int, int]:
    """(device, inode) of the file at `path`."""
    stat = os.stat(path)
    return stat.st_dev, stat.st_ino


class ArchiveHealth:
    """The opened archive's identity and the jobs' back-off while the database is unusable."""

    def __init__(self, url: str, engine: Engine, *, clock: Callable[[], float] = time.monotonic):
        self.url, self.engine, self.clock = url, engine, clock
        self.path = sqlite_path(url)
        self.identity: tuple[int, int] | None = None  # set by opened()
        self.gone: str | None = None  # why the daemon stopped, once it has
        self.failures = 0
        self._failing: set[str] = set()  # jobs that met the trouble: their success ends it
        self._retry_at = 0.0
        self._logged_at: float | None = None

    def opened(self) -> None:
        """Remember the SQLite file as it is now (call once the daemon has opened it)."""
        if self.path is not None:
            self.identity = file_identity(self.path)

    def file_changed(self) -> str | None:
        """Why the SQLite file is no longer the one opened at start, or None if it is."""
        if self.identity is None:
            return None
        try:
            identity = file_identity(self.path)
        except FileNotFoundError:
            return (f"archive {self.path} was deleted under the running daemon; stopping "
                    "(restore it, or run `beatwire db upgrade` to start a new one)")
        if identity != self.identity:
            return (f"archive {self.path} was replaced by another file since start; stopping "
                    "(restart the daemon to use the new file)")
        return None

    def watch(self, stop: Callable[[], None]) -> Callable[[], Awaitable[None]]:
        """A job that calls `stop` once, with one error line, when the file is not ours."""

        async def watch_archive() -> None:
            reason = None if self.gone else self.file_changed()
            if reason:
                self.gone = reason
                log.error(reason)
                stop()

        return watch_archive

    def guard(self, job: Callable[..., Awaitable]) -> Callable[..., Awaitable]:
        """`job` that is skipped while backing off and whose database trouble is logged
        (at most once a minute) instead of raised; a stop ends it quietly; other errors are
        bugs and propagate."""

        name = getattr(job, "__name__", repr(job))

        @wraps(job)
        async def guarded(*args, **kwargs):
            if self.gone or self.clock() < self._retry_at:
                return None
            try:
                result = job(*args, **kwargs)
                if inspect.isawaitable(result):
                    result = await result
            except DBAPIError as exc:
                if not is_unavailable(exc):
                    raise
                self.failed(name, exc)
                return None
            except asyncio.CancelledError:
                # The daemon stopping (APScheduler's shutdown) cancels a job still running;
                # APScheduler would log that as the job's error, with a traceback.
                log.info("job stopped before it finished job=%s", name)
                return None
            self.succeeded(name)
            return result

        return guarded

    def failed(self, job: str, exc: DBAPIError) -> None:
        """Back off (2 s doubling to 60 s) and drop pooled connections, which stay broken."""
        now = self.clock()
        self._failing.add(job)
        self.failures += 1
        delay = min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** (self.failures - 1))
        self._retry_at = now + delay
        # A read-only SQLite handle or a standby's session stays so: retry on fresh ones.
        self.engine.dispose()
        if self._logged_at is None or now - self._logged_at >= LOG_EVERY_SECONDS:
            self._logged_at = now
            log.warning("archive unavailable, jobs paused url=%s failures=%d retry_in=%.0fs "
                        "error=%s", redact(self.url), self.failures, delay, _reason(exc))

    def succeeded(self, job: str) -> None:
        """The trouble is over when a job that met it works again (not one that never
        touches the database); the once-a-minute limit holds across a flapping database."""
        if job not in self._failing:
            return
        log.warning("archive available again, jobs resumed url=%s after_failures=%d",
                    redact(self.url), self.failures)
        self.failures, self._retry_at, self._failing = 0, 0.0, set()

    def guard_jobs(self, jobs, *, every: float, stop: Callable[[], None]) -> None:
        """Guard every job of the APScheduler `jobs` and add the file watch, run `every` s."""
        for job in jobs.get_jobs():
            job.modify(func=self.guard(job.func))
        jobs.add_job(self.watch(stop), "interval", seconds=every, id="watch_archive",
                     max_instances=1, coalesce=True)
