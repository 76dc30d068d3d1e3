"""Builders for the routing tests: a config with routes, feeds, and articles stored as the
pipeline stores them (db.archive.store_article in one transaction)."""

from __future__ import annotations

import hashlib
import itertools

from support import T0

from config import parse_config
from db.archive import store_article
from db.models import Feed
from items import ArticleItem

TOKEN_ENV = "BEATWIRE_TEST_SLACK_TOKEN"
QUOTE = "We will not honor ICE detainers without a judicial warrant."
_numbers = itertools.count(1)


def routed_config(routes: list[dict], *, api_url: str = "http://127.0.0.1:9/api/",
                  feeds: tuple[str, ...] = ("metro-news", "county-wire")):
    """A validated Config whose alerts go through `routes` ([] : none, as before routes)."""
    return parse_config({
        "slack": {"api_url": api_url, "token_env": TOKEN_ENV, "channel": "#beatwire-alerts"},
        "alerts": {"routes": routes},
        "feeds": [{"name": name, "url": f"https://{name}.example/rss"} for name in feeds],
    })


def add_feed(sessions, name: str) -> int:
    """A committed feed row named `name`; its id."""
    with sessions.begin() as session:
        feed = Feed(name=name, url=f"https://{name}.example/rss", next_poll_at=T0)
        session.add(feed)
        session.flush()
        return feed.id


def found_statement(quote: str = QUOTE, *, state: str = "CO", kind: str = "police",
                    stance: str = "refuses"):
    """A detect.Statement by an agency of `kind` in `state`."""
    from detect import Agency, Statement

    agency = Agency(name=f"Denver {kind.title()} Agency", kind=kind, place="Denver",
                    state=state, as_written="Denver police")
    return Statement(quote=quote, speaker="Paul Pazen", speaker_title="chief", agency=agency,
                     stance=stance, score=0.9, cues=('refuses: "will not honor"',),
                     kind="quote")


def store(sessions, config, feed_id: int, feed: str, statements, *, now=T0):
    """Store one new article carrying `statements` from feed `feed`; the StoreResult."""
    n = next(_numbers)
    url = f"https://{feed}.example/story-{n}"
    item = ArticleItem(url=url, title=f"Story {n}", published=now, text="Body.", feed=feed,
                       feed_id=feed_id, entry_key=hashlib.sha256(url.encode()).hexdigest())
    with sessions.begin() as session:
        return store_article(session, item, list(statements), channel=config.slack.channel,
                             now=now, routes=config.alerts.routes)
