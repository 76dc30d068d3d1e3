"""Retention (db.retention): fetch_log rows and failed entries older than the window go, in
batches; the rest stay (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from support import T0

from db.models import FailedEntry, FetchLog
from db.retention import Pruned, prune, prune_failed_entries, prune_fetch_log


def _log_rows(sessions, feed_id: int, ages_in_days: list[float]) -> None:
    with sessions() as session, session.begin():
        session.add_all(FetchLog(feed_id=feed_id, fetched_at=T0 - timedelta(days=age),
                                 outcome="ok", entries=0, new_articles=0)
                        for age in ages_in_days)


def _failed_rows(sessions, feed_id: int, ages_in_days: list[float]) -> None:
    with sessions() as session, session.begin():
        session.add_all(FailedEntry(feed_id=feed_id, entry_key=f"entry-{n}", attempts=3,
                                    last_error="ran over", failed_at=T0 - timedelta(days=age))
                        for n, age in enumerate(ages_in_days))


def _ages(sessions, stamp=FetchLog.fetched_at) -> list[float]:
    with sessions() as session:
        stamps = session.scalars(select(stamp))
        return sorted(round((T0 - stamp) / timedelta(days=1), 3) for stamp in stamps)


@pytest.mark.parametrize("ages, days, batch, kept", [
    pytest.param([40, 31, 29, 1, 0], 30, 1000, [0, 1, 29], id="older-than-the-window-go"),
    pytest.param([30.001, 29.999], 30, 1000, [29.999], id="the-boundary-is-exact"),
    pytest.param([90 - i / 10 for i in range(23)] + [2], 30, 5, [2],
                 id="many-batches-until-none-is-left"),
    pytest.param([60] * 5 + [3], 30, 5, [3], id="a-full-last-batch"),
    pytest.param([5, 3], 30, 1000, [3, 5], id="nothing-old-nothing-goes"),
    pytest.param([8, 3], 7, 1000, [3], id="a-shorter-window"),
])
def test_prune_fetch_log(sessions, make_feed, ages, days, batch, kept):
    _log_rows(sessions, make_feed(), ages)

    deleted = prune_fetch_log(sessions, now=T0, days=days, batch=batch)

    assert deleted == len(ages) - len(kept)
    assert _ages(sessions) == kept


@pytest.mark.parametrize("ages, days, batch, kept", [
    pytest.param([40, 31, 29, 1, 0], 30, 1000, [0, 1, 29], id="last-tried-before-the-window-go"),
    pytest.param([30.001, 29.999], 30, 1000, [29.999], id="the-boundary-is-exact"),
    pytest.param([90 - i / 10 for i in range(12)] + [2], 30, 5, [2],
                 id="many-batches-until-none-is-left"),
    pytest.param([5, 3], 30, 1000, [3, 5], id="nothing-old-nothing-goes"),
])
def test_prune_failed_entries(sessions, make_feed, ages, days, batch, kept):
    _failed_rows(sessions, make_feed(), ages)

    deleted = prune_failed_entries(sessions, now=T0, days=days, batch=batch)

    assert deleted == len(ages) - len(kept)
    assert _ages(sessions, FailedEntry.failed_at) == kept


@pytest.mark.parametrize("log_ages, failed_ages, pruned", [
    pytest.param([40, 3], [50, 45, 2], Pruned(fetch_log=1, failed_entries=2),
                 id="both-tables-in-one-pass"),
    pytest.param([40], [], Pruned(fetch_log=1, failed_entries=0), id="no-failed-entries"),
    pytest.param([], [40], Pruned(fetch_log=0, failed_entries=1), id="no-fetch-log"),
])
def test_one_pass_prunes_both_tables(sessions, make_feed, log_ages, failed_ages, pruned):
    feed_id = make_feed()
    _log_rows(sessions, feed_id, log_ages)
    _failed_rows(sessions, feed_id, failed_ages)

    assert prune(sessions, now=T0, days=30) == pruned
    assert all(age < 30 for age in _ages(sessions) + _ages(sessions, FailedEntry.failed_at))


@pytest.mark.parametrize("last_tried_days_ago, given_up_after, next_attempt", [
    pytest.param(40, False, 1, id="given-up-before-the-window-is-tried-again"),
    pytest.param(10, True, 4, id="given-up-within-the-window-stays-skipped"),
])
def test_a_given_up_entry_after_the_pass(sessions, make_feed, last_tried_days_ago,
                                         given_up_after, next_attempt):
    from db.failures import MAX_DETECTION_ATTEMPTS, given_up, record_failed_detection

    feed_id = make_feed()
    with sessions() as session, session.begin():
        for attempt in range(MAX_DETECTION_ATTEMPTS):
            record_failed_detection(session, feed_id, "entry", "ran over",
                                    T0 - timedelta(days=last_tried_days_ago + 2 - attempt))

    prune(sessions, now=T0, days=30)

    with sessions() as session, session.begin():
        assert given_up(session, feed_id, "entry") == given_up_after
        assert record_failed_detection(session, feed_id, "entry", "ran over", T0) == next_attempt


def test_the_daemon_prunes_daily_and_at_start_with_the_configured_window(
        db_url, sessions, make_feed):
    import asyncio

    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from config import parse_config
    from scheduler import Daemon

    feed_id = make_feed()
    _log_rows(sessions, feed_id, [8, 3])
    _failed_rows(sessions, feed_id, [9, 2])
    config = parse_config({"database": {"url": db_url}, "archive": {"fetch_log_days": 7}})
    daemon = Daemon(None, config, now_fn=lambda: T0)

    async def first_run():
        daemon.jobs = AsyncIOScheduler(event_loop=asyncio.get_running_loop(), timezone="UTC")
        daemon._add_jobs(daemon.jobs)
        job = daemon.jobs.get_job("prune_fetch_log")
        return job, await job.func()  # as the scheduler runs it (guarded)

    job, deleted = asyncio.run(first_run())
    daemon.engine.dispose()
    assert job.trigger.interval == timedelta(days=1) and job.next_run_time is not None
    assert deleted == Pruned(fetch_log=1, failed_entries=1)
    assert _ages(sessions) == [3] and _ages(sessions, FailedEntry.failed_at) == [2]


@pytest.mark.parametrize("archive, code, output", [
    pytest.param({"fetch_log_days": 7}, 0,
                 "deleted 1 fetch_log row(s) and 1 failed_entries row(s) older than 7 day(s)",
                 id="prunes-both-tables-with-the-configured-window"),
    pytest.param({"fetch_log_days": 0}, 2, "archive.fetch_log_days: Input should be greater",
                 id="a-bad-window-names-the-key"),
])
def test_db_prune_command(db_url, sessions, make_feed, tmp_path, archive, code, output):
    import os
    import subprocess

    import tomlkit
    from support import REPO, beatwire_command

    from db.models import utcnow

    feed_id = make_feed()
    with sessions() as session, session.begin():
        session.add_all(FetchLog(feed_id=feed_id, fetched_at=utcnow() - timedelta(days=age),
                                 outcome="ok", entries=0, new_articles=0) for age in (8, 3))
        session.add_all(FailedEntry(feed_id=feed_id, entry_key=f"entry-{age}", attempts=3,
                                    last_error="ran over",
                                    failed_at=utcnow() - timedelta(days=age)) for age in (8, 3))
    config = tmp_path / "config.toml"
    config.write_text(tomlkit.dumps({"database": {"url": db_url}, "archive": archive}))

    env = {k: v for k, v in os.environ.items() if k != "BEATWIRE_DATABASE_URL"}
    done = subprocess.run(beatwire_command(config, "db", "prune"), cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)

    assert done.returncode == code, done.stderr
    assert output in (done.stdout if code == 0 else done.stderr)
    assert "Traceback" not in done.stderr
    with sessions() as session:
        assert session.scalar(select(func.count(FetchLog.id))) == (1 if code == 0 else 2)
        assert session.scalar(select(func.count(FailedEntry.id))) == (1 if code == 0 else 2)
