"""The worker registry: each daemon registers, heartbeats, and says when it stops.

A worker is dead when its heartbeat is older than the lease (any host: a crashed machine,
a stalled process) or, on this same machine and pid namespace, when its process is gone
(a kill -9 followed by a restart: no need to wait out the lease). A dead worker's claims
are released at once for anyone to take; a live worker's are never touched. Hosts are
assumed to keep their clocks in step (NTP), as leases already do. Nothing here commits.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from db.claims import release_claims_of
from db.models import Worker

log = logging.getLogger(__name__)

# Rows of workers gone this long are pruned from the registry.
FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class WorkerInfo:
    """One registered worker, for `beatwire workers`."""

    id: str
    host: str
    pid: int
    version: str | None
    started_at: datetime
    heartbeat_at: datetime
    state: str  # running | stopped | dead
    alive: bool


@dataclass(frozen=True)
class TakenOver:
    """A dead worker whose claims were released."""

    id: str
    host: str
    pid: int
    heartbeat_at: datetime
    feeds: int
    alerts: int


@cache
def process_scope() -> str | None:
    """Where this process's pid means something: boot id and pid namespace (Linux only)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return None
    return f"{boot}/{namespace}"[:200]


@cache
def _version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("beatwire")
    except PackageNotFoundError:
        return None


def register(session: Session, *, now: datetime) -> str:
    """Add this process to the registry; return its worker id."""
    worker_id = uuid.uuid4().hex
    session.add(Worker(id=worker_id, host=socket.gethostname()[:255], pid=os.getpid(),
                       process_scope=process_scope(), version=_version(), started_at=now,
                       heartbeat_at=now, state="running"))
    session.flush()
    return worker_id


def heartbeat(session: Session, worker_id: str, *, now: datetime) -> bool:
    """Record that `worker_id` is alive; False if it had been taken for dead (it runs again).

    A worker taken for dead has lost its claims (its fenced writes step back); from this
    beat on it is running again and claims anew.
    """
    result = session.execute(update(Worker).where(Worker.id == worker_id,
                                                  Worker.state == "running")
                             .values(heartbeat_at=now))
    if result.rowcount == 1:
        return True
    worker = session.get(Worker, worker_id)
    if worker is None:  # pruned while we were stalled
        session.add(Worker(id=worker_id, host=socket.gethostname()[:255], pid=os.getpid(),
                           process_scope=process_scope(), version=_version(),
                           started_at=now, heartbeat_at=now, state="running"))
    else:
        worker.state, worker.stopped_at, worker.heartbeat_at = "running", None, now
    session.flush()
    return False


def mark_stopped(session: Session, worker_id: str, *, now: datetime,
                 posting_grace: timedelta) -> None:
    """A clean exit: the worker is gone and holds nothing (see release_claims_of)."""
    release_claims_of(session, worker_id, now=now, posting_grace=posting_grace)
    session.execute(update(Worker).where(Worker.id == worker_id)
                    .values(state="stopped", stopped_at=now))


def is_dead(worker: Worker, *, now: datetime, lease: timedelta) -> bool:
    """Whether a running worker has stopped heartbeating, or its process is gone."""
    if worker.heartbeat_at < now - lease:
        return True
    if worker.process_scope is None or worker.process_scope != process_scope():
        return False  # another machine or container: its pid says nothing here
    return worker.pid != os.getpid() and not _process_exists(worker.pid)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    try:  # a zombie (killed, not yet reaped by its parent) runs nothing
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def list_workers(session: Session, *, now: datetime, lease: timedelta) -> list[WorkerInfo]:
    """Every registered worker, newest first, with whether it is alive."""
    workers = session.scalars(select(Worker).order_by(Worker.started_at.desc(), Worker.id))
    return [WorkerInfo(w.id, w.host, w.pid, w.version, w.started_at, w.heartbeat_at, w.state,
                       w.state == "running" and not is_dead(w, now=now, lease=lease))
            for w in workers]


def find_dead(session: Session, *, now: datetime, lease: timedelta,
              exclude: str | None = None) -> list[Worker]:
    """Workers registered as running that are dead (never `exclude`, the caller itself)."""
    running = session.scalars(select(Worker).where(Worker.state == "running")
                              .order_by(Worker.started_at))
    return [w for w in running if w.id != exclude and is_dead(w, now=now, lease=lease)]


def take_over_dead(session: Session, worker_id: str, *, now: datetime, lease: timedelta,
                   posting_grace: timedelta) -> list[TakenOver]:
    """Release every claim of every dead worker, mark them dead, prune old rows.

    `posting_grace`: how long a post the dead worker had in flight may take to land
    (the Slack timeout); its alert is looked for in the channel only after that.
    """
    taken = []
    for dead in find_dead(session, now=now, lease=lease, exclude=worker_id):
        # Conditional: another worker may have taken it over already.
        marked = session.execute(update(Worker)
                                 .where(Worker.id == dead.id, Worker.state == "running")
                                 .values(state="dead", stopped_at=now))
        if marked.rowcount != 1:
            continue
        released = release_claims_of(session, dead.id, now=now, posting_grace=posting_grace)
        taken.append(TakenOver(dead.id, dead.host, dead.pid, dead.heartbeat_at,
                               released["feeds"], released["alerts"]))
        log.warning("worker taken over: dead worker=%s host=%s pid=%d last_heartbeat=%s "
                    "feeds=%d alerts=%d", dead.id, dead.host, dead.pid,
                    dead.heartbeat_at.isoformat(), released["feeds"], released["alerts"])
    session.execute(delete(Worker).where(Worker.state != "running",
                                         Worker.heartbeat_at < now - FORGET_AFTER))
    return taken


def live_workers(session: Session, *, now: datetime, lease: timedelta,
                 exclude: str | None = None) -> list[Worker]:
    """Workers registered as running and not dead (never `exclude`)."""
    running = session.scalars(select(Worker).where(Worker.state == "running"))
    return [w for w in running if w.id != exclude and not is_dead(w, now=now, lease=lease)]
