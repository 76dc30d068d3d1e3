"""Builders for the db suite: feeds, articles (ArticleItem) and statements (detect.Statement).

Every test here runs on SQLite and PostgreSQL through the `sessions` fixture.
"""

from __future__ import annotations

import hashlib
import itertools

import pytest
from support import T0

from config import Config, parse_config
from db.models import Feed
from items import ArticleItem


@pytest.fixture
def make_config():
    """A validated Config with the given feeds (dicts of FeedConfig fields)."""

    def build(*feeds: dict, **scheduler) -> Config:
        data = {"feeds": [dict(f) for f in feeds]}
        if scheduler:
            data["scheduler"] = scheduler
        return parse_config(data)

    return build


@pytest.fixture
def make_feed(sessions):
    """Insert a feed row (committed) and return its id."""
    counter = itertools.count(1)

    def build(name: str | None = None, *, interval: int = 900, **fields) -> int:
        n = next(counter)
        values = dict(name=name or f"feed-{n}", url=f"https://news{n}.example/rss",
                      kind="feed", interval_seconds=interval, enabled=True, next_poll_at=T0,
                      status="never", consecutive_failures=0)
        values.update(fields)
        with sessions() as session, session.begin():
            feed = Feed(**values)
            session.add(feed)
            session.flush()
            return feed.id

    return build


def entry_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def make_article():
    """An ArticleItem; `url` defaults to a fresh one, `feed_id` must match a feed row."""
    counter = itertools.count(1)

    def build(feed_id: int, url: str | None = None, **fields) -> ArticleItem:
        n = next(counter)
        url = url or f"https://news.example/story-{n}"
        values = dict(url=url, title=f"Story {n}", published=T0, text=f"Body of story {n}.",
                      feed=f"feed-{feed_id}", feed_id=feed_id, entry_key=entry_key(url))
        values.update(fields)
        return ArticleItem(**values)

    return build


@pytest.fixture
def make_statement():
    """A detect.Statement; `agency` is a name (or None), with `state` and `kind` beside it."""
    from detect import Agency, Statement

    def build(quote: str = "We will not honor ICE detainers.", *, agency: str | None = "Denver "
              "Police Department", state: str | None = "CO", as_written: str | None = None,
              agency_kind: str | None = "police", place: str | None = "Denver",
              speaker: str | None = "Paul Pazen", speaker_title: str | None = "chief",
              stance: str | None = "refuses", score: float = 0.9,
              cues: tuple[str, ...] = ('refuses: "will not honor"',),
              kind: str = "quote") -> Statement:
        found = None
        if agency is not None:
            found = Agency(name=agency, kind=agency_kind, place=place, state=state,
                           as_written=as_written or agency)
        return Statement(quote=quote, speaker=speaker, speaker_title=speaker_title, agency=found,
                         stance=stance, score=score, cues=cues, kind=kind)

    return build
