"""What the spiders hand to the pipelines."""

from __future__ import annotations

from dataclasses import dataclass
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
