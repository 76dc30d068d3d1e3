"""`run --workers N`'s pool (scheduler.Pool) on real child processes: which deaths it
restarts, and when it stops instead because restarting cannot help."""

from __future__ import annotations

import json
import logging
import sys

import pytest

import scheduler

STEADY = 2.0  # STEADY_SECONDS here: well above a Python start on a busy machine

# One child: notes each start in a file (once the file `after` exists: the other child is
# up), lives lives[i] seconds on its i-th start, then exits with `status`. Once its lives are
# used up, it SIGTERMs the pool (the test's own process) as an operator does. SIGTERM stops
# it with 0, as it stops the daemon.
CHILD = """
import json, os, signal, sys, time
starts, status, lives, after = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while not os.path.exists(after):
    time.sleep(0.01)
with open(starts, "a") as out:
    out.write("started\\n")
with open(starts) as done:
    n = done.read().count("started")
if n > len(lives):
    os.kill(os.getppid(), signal.SIGTERM)
    time.sleep(60)
time.sleep(lives[n - 1])
sys.exit(status)
"""


def child(starts, status: int, lives: list[float], after) -> list[str]:
    return [sys.executable, "-c", CHILD, str(starts), str(status), json.dumps(lives), str(after)]


def start_count(starts) -> int:
    return starts.read_text().count("started") if starts.exists() else 0


@pytest.fixture
def fast_pool(monkeypatch):
    """The pool's timings shortened; the young-death rule itself unchanged."""
    monkeypatch.setattr(scheduler, "STEADY_SECONDS", STEADY)
    monkeypatch.setattr(scheduler, "FIRST_RESTART_DELAY", 0.01)
    monkeypatch.setattr(scheduler, "POOL_TICK", 0.02)


@pytest.mark.timeout(90)
@pytest.mark.parametrize("status, lives, pool_status, starts, error", [
    pytest.param(2, [0] * 9, 2, 1, "worker process exited with status 2 (config or archive refused), "
                 "not restarting n=1 pid=", id="status-2-is-not-restarted-and-stops-the-pool"),
    pytest.param(1, [0] * 9, 1, 5, "worker process died within 2s of starting 5 times in a "
                 "row, not restarting n=1 pid=", id="five-young-deaths-stop-the-pool"),
    pytest.param(0, [0] * 9, 1, 5, "worker process died within 2s of starting 5 times in a "
                 "row, not restarting n=1 pid=", id="five-young-clean-exits-still-fail"),
    # Four young deaths, a steady run, four more: each run of young deaths is under five.
    pytest.param(1, [0] * 4 + [STEADY + 0.5] + [0] * 4, 0, 10, None,
                 id="a-child-past-steady-time-is-restarted-and-counts-afresh"),
])
def test_pool_restarts_a_dying_child_unless_restarting_cannot_help(
        fast_pool, tmp_path, caplog, status, lives, pool_status, starts, error):
    flaky, sibling = tmp_path / "flaky.starts", tmp_path / "sibling.starts"
    pool = scheduler.Pool([child(flaky, status, lives, after=sibling),
                           child(sibling, 0, [60], after=tmp_path)], once=False)
    assert pool.run() == pool_status
    assert start_count(flaky) == starts
    assert start_count(sibling) == 1, "the other child is stopped, never restarted"
    assert pool.statuses[2] == 0, "the other child stopped as on SIGTERM"
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    if error is None:
        assert errors == []
    else:
        assert len(errors) == 1 and errors[0].startswith(error), errors
        assert errors[0].endswith(f" status={status}: stopping")
