"""The database failing under us: SQLite full or locked, PostgreSQL restarted.

Each case checks that the error is clear, that nothing half-written remains, and
that work goes on once the database is back.
"""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError
from support import restart_postgres

from db.archive import store_article
from db.engine import make_engine, make_sessionmaker
from db.feeds import record_success
from db.migrate import upgrade
from db.models import Article, Feed, Statement


def _count(sessions, model) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def open_archive(url: str):
    """A migrated database holding one feed: (engine, sessions, feed id)."""
    upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        feed = Feed(name="outlet", url="https://outlet.example/rss", interval_seconds=900)
        session.add(feed)
    return engine, sessions, feed.id


def _feed_state(sessions, feed_id: int) -> tuple:
    with sessions() as session:
        feed = session.get(Feed, feed_id)
        return feed.etag, feed.status, feed.consecutive_failures, feed.next_poll_at


def test_sqlite_disk_full_is_a_clear_error_and_corrupts_nothing(sqlite_url, make_article,
                                                                make_statement, clock):
    """`PRAGMA max_page_count` makes SQLite answer SQLITE_FULL, as a full disk does."""
    engine, sessions, feed_id = open_archive(sqlite_url)
    state_before = _feed_state(sessions, feed_id)
    limit = {"pages": None}

    @event.listens_for(engine, "connect")
    def _cap(dbapi_connection, _record):
        if limit["pages"]:
            dbapi_connection.execute(f"PRAGMA max_page_count={limit['pages']}")

    engine.dispose()
    with engine.connect() as conn:
        limit["pages"] = conn.scalar(text("PRAGMA page_count")) + 1
    engine.dispose()

    big = make_article(feed_id, text="Immigration enforcement. " * 40_000)
    with pytest.raises(OperationalError, match="database or disk is full"):
        with sessions.begin() as session:
            store_article(session, big, [make_statement()], channel="#x", now=clock())
            record_success(session, feed_id, now=clock(), http_status=200, etag='"new"',
                           last_modified=None, entries=1, new_articles=1)
    assert _count(sessions, Article) == 0 and _count(sessions, Statement) == 0
    assert _feed_state(sessions, feed_id) == state_before
    assert sqlite3.connect(sqlite_url.removeprefix("sqlite:///")).execute(
        "PRAGMA integrity_check").fetchone() == ("ok",)

    limit["pages"] = None
    engine.dispose()
    with sessions.begin() as session:
        store_article(session, big, [make_statement()], channel="#x", now=clock())
    assert _count(sessions, Article) == 1 and _count(sessions, Statement) == 1
    engine.dispose()


def test_sqlite_locked_by_another_process_waits_instead_of_failing(sqlite_url, make_article,
                                                                  make_statement, clock):
    """A reader holding a snapshot and a writer holding the lock for 2 s: our write waits."""
    engine, sessions, feed_id = open_archive(sqlite_url)
    path = sqlite_url.removeprefix("sqlite:///")
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM feeds").fetchone()
    locker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    locker.execute("BEGIN IMMEDIATE")
    threading.Timer(2.0, lambda: locker.execute("COMMIT")).start()

    started = time.monotonic()
    with sessions.begin() as session:
        store_article(session, make_article(feed_id), [make_statement()], channel="#x", now=clock())
    waited = time.monotonic() - started
    reader.execute("COMMIT")
    assert waited >= 1.5, "the write should have waited for the lock"
    assert _count(sessions, Statement) == 1
    engine.dispose()


@pytest.mark.slow
def test_postgres_restart_under_a_running_engine(pg_url, make_article, make_statement, clock):
    """Pooled connections die with the server; the next unit of work reconnects."""
    engine, sessions, feed_id = open_archive(pg_url)
    with sessions.begin() as session:
        store_article(session, make_article(feed_id), [make_statement()], channel="#x", now=clock())

    restart_postgres()
    deadline = time.monotonic() + 30
    while True:
        try:
            with sessions.begin() as session:
                store_article(session, make_article(feed_id),
                              [make_statement("Our deputies will keep honoring ICE detainers.",
                                              stance="cooperates")], channel="#x", now=clock())
            break
        except OperationalError:
            # The server may still be starting: a real worker retries on its next tick.
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    assert _count(sessions, Statement) == 2
    engine.dispose()
