"""Plain text from feed fields, sane dates, and scraped text made safe at its two boundaries.

Stored text holds no markup: feed summaries and titles are HTML (feedparser
already removed scripts and dangerous attributes); we keep only their text,
drop script/style content, and remove tag-like sequences that survive as
escaped text (`&lt;script&gt;` decodes to a literal tag). Whitespace is
collapsed within paragraphs, paragraphs are kept apart by a blank line.

Boundaries: `items.storable` removes what PostgreSQL refuses before anything
scraped is stored; `terminal_safe` makes text inert for a terminal when it is
printed: escape sequences and control characters are removed.
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
# Terminal escape sequences, 7-bit (ESC ...) and 8-bit (C1 introducers): CSI with its
# parameters; OSC, DCS, SOS, PM and APC strings up to their terminator (BEL or ST), or to
# the end of the line when unterminated; two-character escapes (ESC c resets).
_ESCAPE_SEQUENCE = re.compile(
    "(?:\x1b\\[|\x9b)[0-?]*[ -/]*[@-~]?"
    "|(?:\x1b[\\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\\\|\x9c)?"
    "|\x1b[ -/]*[0-~]?")
# Left over after the sequences: C0 and C1 controls, DEL, and the invisible characters that
# hide or reorder what is shown (zero-width spaces and joiners, bidi marks, overrides and
# isolates, the BOM). Tab, CR and the like read as a space. The one set of these rules:
# alerts/blocks.py's `clean` (Slack, the web app) builds on `terminal_safe` too.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069"
                      "\ufeff]")
_CONTROL_SPACE = re.compile("[\t\x0b\x0c\r]")


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


def terminal_safe(value: object, *, newlines: bool = False) -> str:
    """`value` as text a terminal shows as written: no escape sequences or control
    characters; a newline is kept only with `newlines` (the caller's own format)."""
    text = _ESCAPE_SEQUENCE.sub("", "" if value is None else str(value))
    text = _CONTROL_SPACE.sub(" ", _CONTROL.sub("", text))
    return text if newlines else text.replace("\n", " ")
