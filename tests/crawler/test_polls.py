"""Recording polls: batched, each record all or nothing; when the database fails, trouble is
one warning line and a bug its traceback."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

import pytest
from sqlalchemy import event, select

from crawler.database import Database
from crawler.polls import FeedSnapshot, PollTracker
from db.engine import make_engine, make_sessionmaker
from db.feeds import PollRecord, record_not_modified, record_polls
from db.migrate import upgrade
from db.models import Feed, FetchLog, utcnow

FEED = FeedSnapshot(id=1, name="News", url="https://bob:hunter2@news.example/rss", kind="feed",
                    agency=None, item_selector=None, etag=None, last_modified=None)


def _read_only_archive(url: str):
    """A real archive holding the feed, opened read-only: every write is refused."""
    upgrade(url)
    writable = make_engine(url)
    with make_sessionmaker(writable).begin() as session:
        session.add(Feed(id=FEED.id, name=FEED.name, url=FEED.url, interval_seconds=900))
    writable.dispose()
    return make_engine(url, read_only=True)


def _no_schema(url: str):
    """A database without our tables: an SQL error of ours, not the database's trouble."""
    return make_engine(url)


async def _record_failure(tracker: PollTracker) -> None:
    tracker.failed(tracker.open(FEED), "connection refused")
    assert await tracker.wait_idle(30)


async def _abandon(tracker: PollTracker) -> None:
    tracker.open(FEED)
    assert await tracker.abandon_all(30) == 1


# database -> (level of the one line, traceback?)
DATABASES = {
    "read-only-archive-is-one-warning-line": (_read_only_archive, "WARNING", False),
    "missing-table-is-a-bug-with-its-traceback": (_no_schema, "ERROR", True),
}
ACTIONS = {"recording-a-poll": (_record_failure, "recording poll failed"),
           "releasing-leases-at-stop": (_abandon, "releasing leases failed")}


@pytest.mark.parametrize("action, says", list(ACTIONS.values()), ids=list(ACTIONS))
@pytest.mark.parametrize("open_database, level, traceback", list(DATABASES.values()),
                         ids=list(DATABASES))
def test_database_failure_while_closing_polls(db_url, caplog, open_database, level, traceback,
                                              action, says):
    engine = open_database(db_url)
    db = Database(make_sessionmaker(engine))
    tracker = PollTracker(db, max_backoff=lambda: 3600)
    caplog.set_level(logging.INFO, logger="crawler.polls")
    try:
        asyncio.run(action(tracker))
    finally:
        db.close()
        engine.dispose()

    lines = [r for r in caplog.records if r.name == "crawler.polls"]
    assert [r.levelname for r in lines] == [level], caplog.text
    assert says in lines[0].getMessage() and "\n" not in lines[0].getMessage()
    assert bool(lines[0].exc_info) is traceback
    if not traceback:
        assert " error=" in lines[0].getMessage()
    if says == "recording poll failed":  # a poll's line says which feed, where
        assert "feed=News url=https://bob:***@news.example/rss" in lines[0].getMessage()
    assert "hunter2" not in caplog.text


def _feeds(n: int) -> list[FeedSnapshot]:
    return [FeedSnapshot(id=i, name=f"News {i}", url=f"https://news{i}.example/rss", kind="feed",
                         agency=None, item_selector=None, etag=None, last_modified=None)
            for i in range(1, n + 1)]


async def _close_two_of_three(tracker: PollTracker) -> tuple[bool, bool]:
    polls = [tracker.open(feed) for feed in _feeds(3)]
    waiting = asyncio.create_task(tracker.wait_below(1, 30))
    await asyncio.sleep(0.05)
    woke_early = waiting.done()
    for poll in polls[:2]:
        tracker.failed(poll, "connection refused")
    return woke_early, await waiting


async def _none_closes(tracker: PollTracker) -> tuple[bool, bool]:
    tracker.open(_feeds(1)[0])
    waiting = asyncio.create_task(tracker.wait_below(0, 0.2))
    await asyncio.sleep(0.05)
    return waiting.done(), await waiting


# what happens to the open polls -> what wait_below returns
WAITS = {
    "wakes-once-enough-polls-close": (_close_two_of_three, True),
    "times-out-while-the-polls-stay-open": (_none_closes, False),
}


@pytest.mark.parametrize("happens, returns", list(WAITS.values()), ids=list(WAITS))
def test_wait_below_follows_the_open_polls(sqlite_url, happens, returns):
    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    with make_sessionmaker(engine).begin() as session:
        session.add_all(Feed(id=f.id, name=f.name, url=f.url, interval_seconds=900)
                        for f in _feeds(3))
    db = Database(make_sessionmaker(engine))
    tracker = PollTracker(db, max_backoff=lambda: 3600)
    try:
        woke_early, result = asyncio.run(happens(tracker))
    finally:
        db.close()
        engine.dispose()
    assert (woke_early, result) == (False, returns)


def _archive_with_feeds(url: str, n: int):
    upgrade(url)
    engine = make_engine(url)
    with make_sessionmaker(engine).begin() as session:
        session.add_all(Feed(id=f.id, name=f.name, url=f.url, interval_seconds=900,
                             claimed_by="worker-1") for f in _feeds(n))
    return engine


def _close(tracker: PollTracker, poll, n: int) -> str:
    """Close `poll` one of three ways; the outcome its fetch_log row must show."""
    if n % 3 == 0:
        tracker.not_modified(poll)
        return "not_modified"
    if n % 3 == 1:
        tracker.failed(poll, "connection refused")
        return "error"
    tracker.listed(poll, http_status=200, etag='"v2"', last_modified=None, entries=0)
    return "ok"


def test_polls_closing_together_are_recorded_in_shared_transactions(db_url):
    engine = _archive_with_feeds(db_url, 40)
    commits = []
    event.listen(engine, "commit", lambda _connection: commits.append(1))
    db = Database(make_sessionmaker(engine))
    tracker = PollTracker(db, max_backoff=lambda: 3600)

    async def close_all() -> dict[int, str]:
        polls = [tracker.open(replace(f, holder="worker-1")) for f in _feeds(40)]
        expected = {poll.feed.id: _close(tracker, poll, n) for n, poll in enumerate(polls)}
        assert await tracker.wait_idle(30)
        return expected

    try:
        expected = asyncio.run(close_all())
    finally:
        db.close()
    with make_sessionmaker(engine)() as session:
        logged = session.execute(select(FetchLog.feed_id, FetchLog.outcome)).all()
        claimed = session.scalars(select(Feed.id).where(Feed.claimed_by.is_not(None))).all()
    engine.dispose()
    assert sorted(logged) == sorted(expected.items())  # each poll once, its own outcome
    assert claimed == []  # every lease released with its record
    assert len(commits) <= 3  # batches, not a commit a poll


def _orphan_log(session, feed_id: int, **_fields) -> None:
    """A record the database refuses for its data: its feed does not exist."""
    session.add(FetchLog(feed_id=feed_id + 1000, outcome="ok"))
    session.flush()


def test_a_record_the_database_refuses_is_rolled_back_alone(db_url):
    engine = _archive_with_feeds(db_url, 3)
    now = utcnow()
    records = [PollRecord(record_not_modified, 1, {"now": now, "holder": "worker-1"}),
               PollRecord(_orphan_log, 2, {}),
               PollRecord(record_not_modified, 3, {"now": now, "holder": "worker-1"})]
    try:
        with make_sessionmaker(engine).begin() as session:
            refused = record_polls(session, records)
        with make_sessionmaker(engine)() as session:
            logged = sorted(session.scalars(select(FetchLog.feed_id)).all())
    finally:
        engine.dispose()
    assert [type(r).__name__ if r else None for r in refused] == [None, "IntegrityError", None]
    assert logged == [1, 3]
