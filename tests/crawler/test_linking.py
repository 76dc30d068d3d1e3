"""Database errors in the spider's steps (issue 7's bar): linking a feed's entry to an
article another feed stored fails that entry alone in one warning line, listing a feed's
new entries while the database is away fails that poll alone in one line; anything else is
a bug and keeps its traceback. Runs the spider's steps on the event loop in this process
against a real database (no reactor is needed for them)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from crawler.context import CrawlContext
from crawler.database import Database
from crawler.entries import Entry
from crawler.polls import FeedSnapshot, PollTracker
from crawler.spiders.feeds import FeedSpider
from db.archive import url_hash
from db.models import Article, utcnow

URL = "http://127.0.0.1:1/news/1.html"


def _article(sessions) -> None:
    with sessions() as session:
        session.add(Article(url=URL, url_hash=url_hash(URL), title="t", text="x",
                            text_source="summary", fetched_at=utcnow()))
        session.commit()


@pytest.mark.parametrize("url,level,traceback", [
    # No feed 999: the feed_entries row breaks its foreign key, a database error.
    pytest.param(URL, logging.WARNING, False, id="database-error-is-one-line"),
    pytest.param(12345, logging.ERROR, True, id="bug-keeps-its-traceback"),
])
def test_linking_failure_fails_the_entry_alone(url, level, traceback, sessions, caplog):
    _article(sessions)
    db = Database(sessions)
    polls = PollTracker(db, max_backoff=lambda: 3600)
    spider = FeedSpider(CrawlContext(config=None, detector=None, db=db, polls=polls,
                                     parsers=None, detectors=None))
    entry = Entry(key="k" * 64, url=url, link=None, title="t", summary="", published=None)

    async def go():
        poll = polls.open(FeedSnapshot(999, "Gone", URL, "rss", None, None, None, None))
        polls.entry_started(poll)
        stored = asyncio.get_running_loop().create_future()
        stored.set_result(True)
        await spider._link_when_stored(poll, entry, stored)
        return poll

    with caplog.at_level(logging.INFO, logger="crawler.spiders.feeds"):
        poll = asyncio.run(go())
    db.close()

    assert poll.failed_entries == 1 and poll.pending == 0
    (record,) = [r for r in caplog.records if r.name == "crawler.spiders.feeds"]
    assert record.levelno == level
    assert record.getMessage().startswith("linking entry failed feed=Gone")
    assert (record.exc_info is not None) == traceback
    assert "\n" not in record.getMessage()


def test_a_database_away_while_listing_fails_the_poll_in_one_line(caplog):
    from scrapy.http import Request, TextResponse
    from servers.feed_site import rss_feed

    from config import parse_config
    from crawler.requests import POLL
    from crawler.workers import ProcessWorkers
    from db.engine import make_engine, make_sessionmaker

    away = "postgresql+psycopg://postgres@127.0.0.1:1/beatwire"  # nothing listens on port 1
    engine = make_engine(away)
    db = Database(make_sessionmaker(engine))
    polls = PollTracker(db, max_backoff=lambda: 3600)
    parsers = ProcessWorkers(1)
    spider = FeedSpider(CrawlContext(config=parse_config({"database": {"url": away}}),
                                     detector=None, db=db, polls=polls, parsers=parsers,
                                     detectors=None))
    body = rss_feed([{"guid": "1", "title": "Story", "summary": "text"}]).encode()

    async def go():
        poll = polls.open(FeedSnapshot(7, "News", URL, "feed", None, None, None, None))
        request = Request(URL, meta={POLL: poll.id})
        response = TextResponse(URL, body=body, request=request,
                                headers={"Content-Type": "application/rss+xml"})
        outputs = [output async for output in spider.parse_feed(response)]
        assert await polls.wait_idle(30)
        return outputs

    with caplog.at_level(logging.INFO):
        try:
            outputs = asyncio.run(go())
        finally:
            parsers.close()
            db.close()
            engine.dispose()

    assert outputs == []
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]
    assert any("recording poll failed" in r.getMessage() and "feed=News" in r.getMessage()
               for r in caplog.records)
