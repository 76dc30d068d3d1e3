"""Linking a feed's entry to an article another feed stored: a database error on that
entry is one warning line and fails the entry alone; anything else is a bug and keeps its
traceback (issue 7's bar). Runs the spider's step on the event loop in this process
against the real database (no reactor is needed for it)."""

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
