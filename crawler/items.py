"""What the spiders hand to the pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ArticleItem:
    """One new feed entry with its article text (page text, or the feed summary)."""

    url: str  # canonical URL of the article
    title: str
    published: datetime | None
    text: str
    feed: str  # name of the feed it came from
    feed_id: int
    entry_key: str  # sha256 of the entry's GUID or link, unique per feed
    text_source: str = "page"  # "page" (trafilatura) or "summary" (feed fallback)
    agency_voice: str | None = None  # the feed's configured agency, if it is that agency's own


@dataclass(frozen=True)
class PageItem:
    """An entry on its way through the pipelines.

    `article.text` starts as the feed summary (text_source "summary");
    extraction replaces it with the page's main text when there is one;
    detection fills `statements`; storage writes it all in one transaction.
    """

    article: ArticleItem
    poll_id: int
    html: str | None = field(default=None, repr=False)  # the fetched page, if any
    statements: tuple = ()
