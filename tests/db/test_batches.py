"""Articles written in batches: one transaction, each article all or nothing (SAVEPOINT).

db.archive.store_articles stores a batch; the storage pipeline (crawler.pipelines.storage)
groups the articles that arrive while a write is in flight. Both engines refuse an
article's data for real here: SQLite with its string length limit set, PostgreSQL an agency
state longer than its String(2) column.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import DataError, OperationalError

from db import archive
from db.models import Agency, Alert, Article, Feed, FeedEntry, Statement

CHANNEL = "#beatwire"
QUOTES = ("We are not going to work in conjunction with Homeland Security on deportation.",
          "Our officers will not ask anyone about their immigration status.",
          "The sheriff will keep honoring ICE detainers.",
          "Deputies will not hold anyone past their release date for ICE.",
          "The county will not renew its 287(g) agreement.",
          "Officers will call ICE about anyone booked on a felony charge.")
QUOTE_BYTES = 4000  # SQLite's length limit here; a longer quote is refused


@pytest.fixture
def feeds(make_feed):
    return make_feed("outlet-a"), make_feed("outlet-b")


@pytest.fixture
def refuse(request, engine, make_statement):
    """Statements this engine refuses for their data: SQLite (no VARCHAR limits) with its
    string length limit set on every connection, PostgreSQL an agency state over String(2)."""
    if engine.dialect.name == "postgresql":
        return lambda: [make_statement(state="OVERLONG")]

    def limit(dbapi_connection, _record):
        dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, QUOTE_BYTES)

    event.listen(engine, "connect", limit)
    engine.dispose()
    request.addfinalizer(lambda: event.remove(engine, "connect", limit))
    return lambda: [make_statement("We will not honor ICE detainers. " * 200)]


@pytest.fixture
def break_batch(request, engine):
    """Make this engine's batches fail as a whole; the article fields that make them fail.
    SQLite runs out of pages (a full disk) at the first big article; PostgreSQL loses the
    connection as each batch commits (a server gone)."""
    if engine.dialect.name == "sqlite":
        def cap(dbapi_connection, _record):
            pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
            dbapi_connection.execute(f"PRAGMA max_page_count={pages + 4}")

        event.listen(engine, "connect", cap)
        engine.dispose()
        request.addfinalizer(lambda: event.remove(engine, "connect", cap))
        return {"text": "Immigration enforcement. " * 4000}

    admin = create_engine(engine.url, isolation_level="AUTOCOMMIT")

    def kill(connection):
        pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with admin.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    event.listen(engine, "commit", kill)
    request.addfinalizer(lambda: (event.remove(engine, "commit", kill), admin.dispose()))
    return {}


def _count(sessions, model, *where) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def _store_batch(sessions, articles, **options):
    with sessions.begin() as session:
        return archive.store_articles(session, articles, channel=CHANNEL, **options)


# --- db.archive.store_articles ---------------------------------------------------------------


@pytest.mark.parametrize("refused_at", [None, 0, 1, 2],
                         ids=["none-refused-all-land", "first-refused-the-rest-land",
                              "middle-refused-the-rest-land", "last-refused-the-rest-land"])
def test_a_batch_lands_but_for_the_article_the_database_refuses(
        sessions, feeds, refuse, make_article, make_statement, clock, refused_at):
    items = [make_article(feeds[n % 2]) for n in range(3)]
    batch = [archive.ArticleToStore(item, refuse() if n == refused_at else
                                    [make_statement(QUOTES[n])], clock())
             for n, item in enumerate(items)]
    results = _store_batch(sessions, batch)
    refused = [n for n, result in enumerate(results) if isinstance(result, DataError)]
    assert refused == ([] if refused_at is None else [refused_at])
    with sessions() as session:
        urls = set(session.scalars(select(Article.url)))
        entries = set(session.scalars(select(FeedEntry.entry_key)))
        alerted = set(session.scalars(select(Statement.quote).join(Alert)))
    landed = [n for n in range(3) if n != refused_at]
    assert urls == {items[n].url for n in landed}
    assert entries == {items[n].entry_key for n in landed}, "a refused entry stays unseen"
    assert alerted == {QUOTES[n] for n in landed}


def test_a_later_article_of_a_batch_sees_the_earlier_ones(sessions, feeds, make_article,
                                                         make_statement, clock):
    """Novelty and already-stored within one batch, as if each had its own transaction."""
    url = "https://news.example/syndicated"
    results = _store_batch(sessions, [
        archive.ArticleToStore(make_article(feeds[0], url=url), [make_statement()], clock()),
        archive.ArticleToStore(make_article(feeds[1], url=url), [make_statement()], clock()),
        archive.ArticleToStore(make_article(feeds[1]), [make_statement()], clock())])
    assert [r.already_stored for r in results] == [False, True, False]
    assert results[1].article_id == results[0].article_id
    assert results[2].duplicate_statement_ids and not results[2].new_statement_ids
    assert _count(sessions, FeedEntry, FeedEntry.article_id == results[0].article_id) == 2


def test_a_batch_that_fails_as_a_whole_leaves_nothing_half_stored(
        sessions, feeds, break_batch, make_article, make_statement, clock):
    batch = [archive.ArticleToStore(make_article(feeds[0], **break_batch),
                                    [make_statement(QUOTES[n])], clock()) for n in range(3)]
    with pytest.raises(OperationalError):
        _store_batch(sessions, batch)
    assert [_count(sessions, m) for m in (Article, Statement, Alert, FeedEntry)] == [0, 0, 0, 0]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite has one writer
def test_two_batches_waiting_on_each_other_lose_one_article_not_the_batch(
        sessions, feeds, make_article, make_statement, clock):
    """Another worker holds agency A and then waits for agency B, which the batch's first
    article locked; the batch's second article waits for A: PostgreSQL breaks the deadlock
    by failing that article's statement, and the rest of the batch commits."""
    ours, theirs = ("Denver Police Department", "CO"), ("Aurora Police Department", "CO")
    for n, (name, state) in enumerate((ours, theirs)):  # both agencies archived
        _store_batch(sessions, [archive.ArticleToStore(
            make_article(feeds[0]), [make_statement(QUOTES[n], agency=name, state=state)],
            clock())])
    with sessions() as session:
        ids = {name: session.scalar(select(Agency.id).where(Agency.name == name))
               for name, _ in (ours, theirs)}
    other = sessions()
    other.execute(text("SET deadlock_timeout = '10s'"))  # so the batch detects the deadlock
    other.scalar(select(Agency.id).where(Agency.id == ids[theirs[0]]).with_for_update())
    outcome = {}

    def batch():
        outcome["results"] = _store_batch(sessions, [
            archive.ArticleToStore(make_article(feeds[1]), [make_statement(
                QUOTES[2], agency=ours[0], state=ours[1])], clock()),
            archive.ArticleToStore(make_article(feeds[1]), [make_statement(
                QUOTES[3], agency=theirs[0], state=theirs[1])], clock())])

    thread = threading.Thread(target=batch)
    thread.start()
    time.sleep(0.5)  # the batch holds `ours` and waits for `theirs`
    other.scalar(select(Agency.id).where(Agency.id == ids[ours[0]]).with_for_update())
    other.commit()
    thread.join(timeout=30)
    first, second = outcome["results"]
    assert isinstance(first, archive.StoreResult) and archive.lost_lock_race(second)
    with sessions() as session:
        assert set(session.scalars(select(Statement.quote))) == set(QUOTES[:3])


# --- the storage pipeline's batches ---------------------------------------------------------


class Storage:
    """The real StoragePipeline on a real CrawlContext (its database thread, open polls),
    without a crawl: what each `process_item` gave back, which transactions were written."""

    def __init__(self, engine, sessions, feed_id: int):
        from config import parse_config
        from crawler.context import CrawlContext
        from crawler.database import Database
        from crawler.pipelines.storage import StoragePipeline
        from crawler.polls import FeedSnapshot, PollTracker

        config = parse_config({"database": {"url": str(engine.url)},
                               "slack": {"channel": CHANNEL}, "scheduler": {"backfill": 0},
                               "feeds": [{"name": "outlet-a", "url": "https://a.example/rss"}]})
        self.kicks = 0
        self.db = Database(sessions)
        self.context = CrawlContext(config, None, self.db, PollTracker(self.db, lambda: 3600),
                                    None, None, on_new_alerts=self._kicked)
        self.pipeline = StoragePipeline(self.context)
        self.poll = self.context.polls.open(FeedSnapshot(
            feed_id, "outlet-a", "https://a.example/rss", "feed", None, None, None, None))
        self._transactions: list[int] = []  # savepoints per transaction on the engine
        event.listen(engine, "begin", lambda _conn: self._transactions.append(0))
        event.listen(engine, "savepoint", lambda *_: self._savepoint())

    @property
    def batches(self) -> list[int]:
        """Articles per transaction that wrote any (the tests' own sessions write none)."""
        return [n for n in self._transactions if n]

    def _kicked(self):
        self.kicks += 1

    def _savepoint(self):
        self._transactions[-1] += 1

    def item(self, article, statements=()):
        from items import PageItem

        return PageItem(article=article, poll_id=self.poll.id, statements=tuple(statements))

    async def store(self, items, *, blocked=None, gap: float = 0.05) -> list:
        """`process_item` for each; the first alone, the others `gap` seconds later while
        `blocked` (a callable releasing what holds the first write up) is still held."""
        first = asyncio.ensure_future(self.pipeline.process_item(items[0]))
        await asyncio.sleep(gap)
        rest = [asyncio.ensure_future(self.pipeline.process_item(i)) for i in items[1:]]
        if blocked is not None:
            await asyncio.sleep(gap)
            blocked()
        return await asyncio.gather(first, *rest, return_exceptions=True)

    def close(self):
        self.db.close()


@pytest.fixture
def storage(engine, sessions, feeds):
    built = Storage(engine, sessions, feeds[0])
    yield built
    built.close()


@pytest.fixture
def hold_writes(engine, sessions, feeds):
    """Hold the archive's writes up until the returned callable is called: SQLite's write
    lock from another connection, on PostgreSQL the feed row the articles point at."""
    if engine.dialect.name == "sqlite":
        locker = sqlite3.connect(engine.url.database, isolation_level=None,
                                 check_same_thread=False)
        locker.execute("BEGIN IMMEDIATE")
        yield lambda: locker.execute("COMMIT")
        locker.close()
        return
    with sessions() as session:
        session.scalar(select(Feed.id).where(Feed.id == feeds[0]).with_for_update())
        yield session.commit


@pytest.mark.parametrize("articles, max_batch, batches", [
    (1, 32, [1]),
    (4, 32, [1, 3]),
    (6, 2, [1, 2, 2, 1]),
], ids=["a-lone-article-is-written-at-once-and-alone",
        "articles-arriving-during-a-write-share-the-next-transaction",
        "a-transaction-holds-at-most-max-batch-articles"])
def test_the_pipeline_groups_what_arrives_while_a_write_is_in_flight(
        storage, hold_writes, sessions, feeds, make_article, make_statement, monkeypatch,
        articles, max_batch, batches):
    from crawler.pipelines import storage as module

    monkeypatch.setattr(module, "MAX_BATCH", max_batch)
    items = [storage.item(make_article(feeds[0]), [make_statement(QUOTES[n])])
             for n in range(articles)]
    started = time.monotonic()
    results = asyncio.run(storage.store(items, blocked=hold_writes))
    assert results == items
    assert storage.batches == batches
    assert (storage.poll.new_articles, storage.kicks) == (articles, articles)
    assert _count(sessions, Article) == articles
    assert time.monotonic() - started < 5


def test_a_lone_article_is_stored_before_its_process_item_returns(
        storage, sessions, feeds, make_article, make_statement):
    """No timer waits for company: one article alone, nothing held, is written at once."""
    item = storage.item(make_article(feeds[0]), [make_statement()])
    started = time.monotonic()
    assert asyncio.run(storage.pipeline.process_item(item)) == item
    assert time.monotonic() - started < 1.0
    assert storage.batches == [1] and _count(sessions, Article) == 1


def test_the_article_refused_in_a_batch_is_dropped_for_its_poll_and_its_mates_land(
        storage, refuse, sessions, feeds, make_article, make_statement):
    from scrapy.exceptions import DropItem

    items = [storage.item(make_article(feeds[0]), refuse() if n == 2 else
                          [make_statement(QUOTES[n])]) for n in range(4)]
    results = asyncio.run(storage.store(items))
    assert storage.batches == [1, 3]
    assert [isinstance(r, DropItem) for r in results] == [False, False, True, False]
    assert (storage.poll.new_articles, storage.kicks) == (3, 3)
    [reason] = storage.poll.refused
    assert reason.startswith("entry not stored, the database refused its data")
    assert items[2].article.url in reason
    with sessions() as session:
        assert set(session.scalars(select(Article.url))) == {
            items[n].article.url for n in (0, 1, 3)}


def test_a_batch_whose_write_fails_fails_each_of_its_items_and_stores_none(
        storage, break_batch, sessions, feeds, make_article, make_statement):
    items = [storage.item(make_article(feeds[0], **break_batch), [make_statement(QUOTES[n])])
             for n in range(4)]
    results = asyncio.run(storage.store(items))
    assert len(storage.batches) == 2, "the first alone, the other three together"
    assert all(isinstance(r, OperationalError) for r in results), results
    assert (storage.poll.new_articles, storage.poll.refused, storage.kicks) == (0, [], 0)
    assert [_count(sessions, m) for m in (Article, Statement, Alert, FeedEntry)] == [0, 0, 0, 0]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite has one writer
def test_an_article_that_lost_a_lock_race_is_written_again_after_its_batch(
        storage, hold_writes, sessions, feeds, make_article, make_statement, clock):
    """As in the deadlock above, through the pipeline: the article PostgreSQL failed is
    written once more in a transaction of its own, and its item is stored, not dropped."""
    ours, theirs = ("Denver Police Department", "CO"), ("Aurora Police Department", "CO")
    ids = [_store_batch(sessions, [archive.ArticleToStore(make_article(feeds[1]), [
        make_statement(QUOTES[n], agency=name, state=state)], clock())])[0]
        for n, (name, state) in enumerate((ours, theirs))]
    with sessions() as session:
        agency = {name: session.scalar(select(Statement.agency_id).where(
            Statement.id == ids[n].new_statement_ids[0])) for n, (name, _) in
            enumerate((ours, theirs))}
    other = sessions()
    other.execute(text("SET deadlock_timeout = '10s'"))
    other.scalar(select(Agency.id).where(Agency.id == agency[theirs[0]]).with_for_update())

    def other_worker():
        time.sleep(0.3)  # the batch holds `ours` and waits for `theirs`
        other.scalar(select(Agency.id).where(Agency.id == agency[ours[0]]).with_for_update())
        other.commit()

    def release():
        hold_writes()
        threading.Thread(target=other_worker).start()

    items = [storage.item(make_article(feeds[0]), [make_statement(QUOTES[2], agency=None)]),
             storage.item(make_article(feeds[0]), [make_statement(
                 QUOTES[3], agency=ours[0], state=ours[1])]),
             storage.item(make_article(feeds[0]), [make_statement(
                 QUOTES[4], agency=theirs[0], state=theirs[1])])]
    results = asyncio.run(storage.store(items, blocked=release))
    assert results == items
    assert storage.batches[-3:] == [1, 2, 1], "alone, the batch, the lost one again"
    # (the first two are this test's own batches that archived the agencies)
    assert storage.poll.new_articles == 3
    with sessions() as session:
        assert set(session.scalars(select(Statement.quote))) == set(QUOTES[:5])
