"""The spider's and pipelines' database steps (each runs in one transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from crawler.entries import Entry


def new_entries(session, feed_id: int, entries: Sequence[Entry]) -> list[Entry]:
    """The entries this feed has not seen whose article is not archived yet.

    An entry whose article another feed already brought in is linked to it
    here (one more source), and is not fetched again. One whose detection kept
    failing (db.failures) is skipped. Three queries for the whole feed: seen
    keys, given-up keys, archived articles.
    """
    from db.archive import archived_article_ids, link_entry, seen_entry_keys
    from db.failures import given_up_keys

    if not entries:
        return []
    keys = [entry.key for entry in entries]
    skip = seen_entry_keys(session, feed_id, keys) | given_up_keys(session, feed_id, keys)
    archived = archived_article_ids(session, [e.url for e in entries if e.key not in skip])
    todo = []
    for entry in entries:
        if entry.key in skip:
            continue
        article_id = archived.get(entry.url)
        if article_id is not None:
            link_entry(session, feed_id, entry.key, article_id)
            skip.add(entry.key)  # seen now: a repeat of its key later in the feed is too
            continue
        todo.append(entry)
    return todo


def link_stored(session, feed_id: int, entry: Entry) -> bool:
    """Link a feed's entry to its archived article; False if the article is not there."""
    from db.archive import archived_article_ids, link_entry

    article_id = archived_article_ids(session, [entry.url]).get(entry.url)
    if article_id is None:
        return False
    link_entry(session, feed_id, entry.key, article_id)
    return True


def store_batch(session, articles: Sequence, *, channel: str, also_reported: bool,
                backfill: timedelta = timedelta(0), routes=()) -> list:
    """Archive each `db.archive.ArticleToStore` with its statements and alert rows (each
    all-or-nothing, one transaction for the batch); per article its StoreResult, or the
    database's refusal of its data."""
    from db.archive import store_articles

    return store_articles(session, articles, channel=channel, also_reported=also_reported,
                          backfill=backfill, routes=routes)
