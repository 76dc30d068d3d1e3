"""The worker registry: registering, heartbeats, who is dead, and taking over the dead's claims.

Every test runs on SQLite and PostgreSQL. "Another machine" is a worker row whose
process_scope is not ours, so its pid says nothing here; "this machine" shares ours.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select

from db.claims import claim_due_feeds, claim_pending_alerts
from db.models import Alert, Feed, Worker
from db.workers import (
    heartbeat,
    list_workers,
    mark_stopped,
    process_scope,
    register,
    take_over_dead,
)

LEASE = timedelta(seconds=60)
GRACE = timedelta(seconds=15)


@pytest.fixture
def process():
    """Start a real process; `process(state)` gives the pid of one running, exited or a zombie."""
    started = []

    def make(state: str) -> int:
        proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        started.append(proc)
        if state != "running":
            proc.send_signal(signal.SIGKILL)
            if state == "exited":
                proc.wait(timeout=10)
            else:  # killed, not yet reaped by us, its parent
                os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
        return proc.pid

    yield make
    for proc in started:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture
def add_worker(sessions, clock):
    """A registered worker row; `beat_age` seconds since its last heartbeat."""

    def add(worker_id: str, *, beat_age: float = 0, pid: int = 999_999,
            scope: str | None = "another machine", state: str = "running") -> str:
        with sessions.begin() as session:
            session.add(Worker(id=worker_id, host="elsewhere", pid=pid, process_scope=scope,
                               started_at=clock() - timedelta(hours=1),
                               heartbeat_at=clock() - timedelta(seconds=beat_age), state=state))
        return worker_id

    return add


@pytest.fixture
def holdings(sessions, make_feed, clock):
    """Give `worker` the claim on a due feed and a pending alert; return (feed_id, alert_id)."""

    def give(worker: str) -> tuple[int, int]:
        feed_id = make_feed()
        with sessions.begin() as session:
            alert = Alert(key=f"digest:{worker}", channel="#t", kind="digest",
                          next_attempt_at=clock())
            session.add(alert)
            session.flush()
            alert_id = alert.id
        with sessions() as session:
            claim_due_feeds(session, now=clock(), limit=1, lease=LEASE, worker=worker,
                            only=[feed_id])
            claim_pending_alerts(session, now=clock(), limit=1, lease=LEASE, worker=worker)
        return feed_id, alert_id

    return give


def _holder(sessions, model, row_id) -> str | None:
    with sessions() as session:
        return session.get(model, row_id).claimed_by


def _state(sessions, worker_id) -> str:
    with sessions() as session:
        return session.get(Worker, worker_id).state


def test_register_records_this_process(sessions, clock):
    with sessions.begin() as session:
        worker_id = register(session, now=clock())
    with sessions() as session:
        worker = session.get(Worker, worker_id)
    assert (worker.host, worker.pid, worker.process_scope) == (socket.gethostname(), os.getpid(),
                                                               process_scope())
    assert (worker.state, worker.started_at, worker.heartbeat_at) == ("running", clock(), clock())


@pytest.mark.parametrize("beat_age, where, process_state", [
    (61, "another machine", None),
    (3600, "this machine", "running"),
    (2, "this machine", "exited"),
    (2, "this machine", "zombie"),
], ids=["silent-past-the-lease", "silent-pid-reused", "process-gone-same-machine",
        "process-killed-not-reaped"])
def test_dead_workers_claims_are_taken_over_at_once(sessions, add_worker, holdings, process,
                                                    clock, beat_age, where, process_state):
    pid = process(process_state) if process_state else 999_999
    scope = process_scope() if where == "this machine" else "another machine"
    dead = add_worker("dead", beat_age=beat_age, pid=pid, scope=scope)
    feed_id, alert_id = holdings(dead)
    with sessions.begin() as session:
        me = register(session, now=clock())
        [taken] = take_over_dead(session, me, now=clock(), lease=LEASE,
                                 posting_grace=GRACE)
    assert (taken.id, taken.feeds, taken.alerts) == ("dead", 1, 1)
    assert _state(sessions, dead) == "dead"
    # Well within the dead worker's lease: its work is claimable now.
    with sessions() as session:
        assert [f.id for f in claim_due_feeds(session, now=clock(), limit=5, lease=LEASE,
                                              worker=me)] == [feed_id]
        assert [a.id for a in claim_pending_alerts(session, now=clock(), limit=5, lease=LEASE,
                                                   worker=me)] == [alert_id]


@pytest.mark.parametrize("beat_age, where, process_state", [
    (5, "another machine", None),
    (59, "another machine", None),
    (5, "this machine", "running"),
    (5, "no process scope", None),
], ids=["beating", "just-within-the-lease", "process-running-same-machine",
        "unknown-platform-pid-unchecked"])
def test_live_workers_claims_are_never_touched(sessions, add_worker, holdings, process, clock,
                                               beat_age, where, process_state):
    pid = process(process_state) if process_state else 999_999
    scope = {"this machine": process_scope(), "no process scope": None}.get(where, where)
    live = add_worker("live", beat_age=beat_age, pid=pid, scope=scope)
    feed_id, alert_id = holdings(live)
    with sessions.begin() as session:
        me = register(session, now=clock())
        assert take_over_dead(session, me, now=clock(), lease=LEASE,
                              posting_grace=GRACE) == []
    assert _state(sessions, live) == "running"
    assert _holder(sessions, Feed, feed_id) == _holder(sessions, Alert, alert_id) == "live"
    with sessions() as session:
        assert claim_due_feeds(session, now=clock(), limit=5, lease=LEASE, worker=me) == []


def test_a_worker_never_takes_itself_over(sessions, clock):
    with sessions.begin() as session:
        me = register(session, now=clock() - timedelta(hours=1))
        assert take_over_dead(session, me, now=clock(), lease=LEASE,
                              posting_grace=GRACE) == []
    assert _state(sessions, me) == "running"


def test_heartbeat_keeps_a_worker_alive(sessions, clock):
    with sessions.begin() as session:
        worker_id = register(session, now=clock())
    for _ in range(5):
        clock.advance(LEASE.total_seconds() / 2)
        with sessions.begin() as session:
            assert heartbeat(session, worker_id, now=clock())
    with sessions.begin() as session:
        other = register(session, now=clock())
        assert take_over_dead(session, other, now=clock(), lease=LEASE,
                              posting_grace=GRACE) == []
        assert [w.alive for w in list_workers(session, now=clock(), lease=LEASE)] == [True, True]


def test_worker_taken_for_dead_runs_again_with_its_claims_gone(sessions, add_worker, holdings,
                                                               clock):
    stalled = add_worker("stalled", beat_age=120)
    feed_id, _ = holdings(stalled)
    with sessions.begin() as session:
        take_over_dead(session, register(session, now=clock()), now=clock(), lease=LEASE,
                       posting_grace=GRACE)
    with sessions.begin() as session:
        assert heartbeat(session, stalled, now=clock()) is False  # it was taken for dead
    assert _state(sessions, stalled) == "running"
    assert _holder(sessions, Feed, feed_id) is None


def test_stopped_worker_holds_nothing(sessions, holdings, clock):
    with sessions.begin() as session:
        worker_id = register(session, now=clock())
    feed_id, alert_id = holdings(worker_id)
    with sessions.begin() as session:
        mark_stopped(session, worker_id, now=clock(), posting_grace=GRACE)
    assert _holder(sessions, Feed, feed_id) is _holder(sessions, Alert, alert_id) is None
    with sessions() as session:
        [info] = list_workers(session, now=clock(), lease=LEASE)
    assert (info.state, info.alive) == ("stopped", False)


def test_list_says_who_is_alive(sessions, add_worker, clock):
    add_worker("fresh", beat_age=1)
    add_worker("silent", beat_age=300)
    add_worker("gone", beat_age=300, state="stopped")
    with sessions() as session:
        listed = {w.id: (w.state, w.alive, w.host)
                  for w in list_workers(session, now=clock(), lease=LEASE)}
    assert listed == {"fresh": ("running", True, "elsewhere"),
                      "silent": ("running", False, "elsewhere"),
                      "gone": ("stopped", False, "elsewhere")}


def test_long_gone_workers_are_forgotten(sessions, add_worker, clock):
    add_worker("last-week", beat_age=7 * 86400, state="stopped")
    add_worker("an-hour-ago", beat_age=3600, state="stopped")
    with sessions.begin() as session:
        take_over_dead(session, register(session, now=clock()), now=clock(), lease=LEASE,
                       posting_grace=GRACE)
    with sessions() as session:
        names = set(session.scalars(select(Worker.id)))
    assert "last-week" not in names and "an-hour-ago" in names
