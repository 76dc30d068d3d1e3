"""What the crawler hands the archive, and the two rules both apply to what crosses.

The item types are the crawler's output and the archive's input; they live here, outside
both, so that db/ never imports the crawler. The rules are stdlib only:

- `storable` removes what PostgreSQL refuses (NUL, and lone surrogates, which UTF-8 cannot
  encode) before anything scraped is stored, so SQLite and PostgreSQL archive the same text;
  everything else is kept as written (JSON export is exact).
- `redact_url` is the one place URL userinfo is masked, for logs, the database and the
  terminal: feed URLs, error messages holding URLs, and database URLs (db.engine.redact).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import datetime

MASK = "***"
# NUL, and surrogates: in a str they are always lone (a pair is one code point), and UTF-8
# cannot encode them.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# scheme://userinfo@ : the authority ends at /, ? or #, and its last @ ends the userinfo
# (the way urlsplit reads it, so `user:p@ss@host` masks all of `p@ss`).
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/?#\s]*)@")


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
    """An entry on its way through the crawler's pipelines.

    `article.text` starts as the feed summary (text_source "summary");
    extraction replaces it with the page's main text when there is one;
    detection fills `statements`; storage writes it all in one transaction.
    """

    article: ArticleItem
    poll_id: int
    html: str | None = field(default=None, repr=False)  # the fetched page, if any
    statements: tuple = ()


def storable(value):
    """`value` without NUL or lone surrogates in any of its strings (through dataclasses,
    tuples and lists), so both database engines store the same text."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("", value)
    if isinstance(value, (tuple, list)):
        return type(value)(storable(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: storable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value


def _mask_userinfo(match: re.Match) -> str:
    user, colon, _ = match.group(2).partition(":")
    # A lone userinfo is masked whole: tokens are often sent as the user name.
    return f"{match.group(1)}{user}:{MASK}@" if colon else f"{match.group(1)}{MASK}@"


def redact_url(text: str) -> str:
    """`text` (a URL, or a message with URLs in it) with URL passwords masked: user:***@host."""
    return _USERINFO.sub(_mask_userinfo, text)
