"""Plain text from feed fields, and sane dates.

Stored text holds no markup: feed summaries and titles are HTML (feedparser
already removed scripts and dangerous attributes); we keep only their text,
drop script/style content, and remove tag-like sequences that survive as
escaped text (`&lt;script&gt;` decodes to a literal tag). Whitespace is
collapsed within paragraphs, paragraphs are kept apart by a blank line.
"""

from __future__ import annotations

import calendar
import re
import time
from datetime import datetime, timezone

import lxml.etree
import lxml.html

EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=timezone.utc)
_TAG = re.compile(r"</?[A-Za-z!?][^<>]*>")
_BLOCK_TAGS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def _html_text(fragment: str) -> str:
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return _TAG.sub(" ", fragment)
    lxml.etree.strip_elements(root, "script", "style", "noscript", "iframe", "object",
                              with_tail=False)
    for element in root.iter(*_BLOCK_TAGS):
        element.tail = "\n\n" + (element.tail or "")
    return root.text_content()


def plain_text(value: str | None) -> str:
    """The text of an HTML fragment: no tags, no script, tidy whitespace."""
    if not value:
        return ""
    text = _html_text(value) if "<" in value or "&" in value else value
    for _ in range(3):  # escaped markup decodes to tags: parse those again
        if not _TAG.search(text):
            break
        text = _html_text(text)
    text = _TAG.sub(" ", text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def one_line(value: str | None, limit: int = 500) -> str:
    """`plain_text` on one line, cut to `limit` characters (titles)."""
    return " ".join(plain_text(value).split())[:limit]


def struct_to_datetime(parsed: time.struct_time | None) -> datetime | None:
    """A feedparser *_parsed date (UTC struct_time) as an aware datetime."""
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=timezone.utc)
    except (OverflowError, ValueError, OSError):
        return None


def sane_date(value: datetime | None, now: datetime) -> datetime | None:
    """Future dates become `now`; dates before 1990 (epoch 0, typos) become None."""
    if value is None or value < EARLIEST_PLAUSIBLE:
        return None
    return min(value, now)
