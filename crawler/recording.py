"""The spider's and pipelines' database steps (each runs in one transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from crawler.entries import Entry
from items import ArticleItem


def new_entries(session, feed_id: int, entries: Sequence[Entry]) -> list[Entry]:
    """The entries this feed has not seen whose article is not archived yet.

    An entry whose article another feed already brought in is linked to it
    here (one more source), and is not fetched again. One whose detection kept
    failing (db.failures) is skipped.
    """
    from db.archive import article_by_url, entry_seen, link_entry
    from db.failures import given_up

    todo = []
    for entry in entries:
        if entry_seen(session, feed_id, entry.key) or given_up(session, feed_id, entry.key):
            continue
        article = article_by_url(session, entry.url)
        if article is not None:
            link_entry(session, feed_id, entry.key, article.id)
            continue
        todo.append(entry)
    return todo


def link_stored(session, feed_id: int, entry: Entry) -> bool:
    """Link a feed's entry to its archived article; False if the article is not there."""
    from db.archive import article_by_url, link_entry

    article = article_by_url(session, entry.url)
    if article is None:
        return False
    link_entry(session, feed_id, entry.key, article.id)
    return True


def store(session, article: ArticleItem, statements, *, channel: str, also_reported: bool,
          now, backfill: timedelta = timedelta(0), routes=()):
    """Archive the article, its statements and their alert rows (one transaction)."""
    from db.archive import store_article

    return store_article(session, article, list(statements), channel=channel,
                         also_reported=also_reported, now=now, backfill=backfill, routes=routes)
