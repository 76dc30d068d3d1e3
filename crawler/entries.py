"""Feed and listing documents to entries: what the spider may fetch and store.

These functions run in the worker pool (they are CPU-heavy on big feeds and
take untrusted input), so they take bytes and plain values and return frozen
dataclasses. Rules, in order:

1. feedparser reads the raw bytes with the response headers and
   content-location = the feed URL (never a string: it may treat one as a
   path or URL). A bozo (broken) feed with entries is still used; a document
   with no entries and no feed version (an HTML page, garbage) is an error.
   Defused first: feedparser expands the simple internal entities a DOCTYPE
   declares (<!ENTITY id "text">) with no bound of its own, so a document
   whose references to them would expand past MAX_ENTITY_EXPANSION characters
   (billion laughs: one long entity referenced 100,000 times) is refused
   before feedparser sees it, as one error on that feed; the few short
   entities real feeds declare still expand. A document that needs more
   memory than a worker may have (crawler.workers.ADDRESS_SPACE_LIMIT) is
   an error on that feed too. A numeric character reference to a code point
   no text can hold (a lone surrogate such as &#55296;, or one past U+10FFFF)
   is dropped first: feedparser's loose parser raises on it. A document
   feedparser still cannot read is one error on that feed.
2. Entries are sorted newest first (undated ones after dated ones, in
   document order), de-duplicated by key, and capped at `limit`.
3. entry key = sha256 of the GUID, else the link, else the title and summary;
   an entry with none of these is skipped.
4. Entries without a usable http(s) link get a synthetic URL: the feed URL
   with `#entry-<key prefix>` (the article is the summary; nothing is fetched).
"""

from __future__ import annotations

import hashlib
import io
import re
import sys
from dataclasses import dataclass
from datetime import datetime

import feedparser
from feedparser.encodings import convert_to_utf8
from feedparser.sanitizer import replace_doctype

from crawler.text import one_line, plain_text, sane_date, struct_to_datetime
from crawler.urls import canonical_url, fetchable_url

_DATE_FIELDS = ("published_parsed", "updated_parsed", "created_parsed")
# Characters a document's internal entities may expand to, all references together. Real
# feeds declare a few short ones ("AT&T" in a guid: tens of characters); issue 10's bomb,
# one 3 KB entity referenced 100,000 times, asks for 300 million (and took 4.5-6.5 GB).
MAX_ENTITY_EXPANSION = 1_000_000
# An entity reference as feedparser's loose parser reads one (the name, ended by any other
# character: "&e;" and "&e " alike). Its strict parser (expat) bounds its own expansions.
_ENTITY_REF_RE = re.compile(rb"&([a-zA-Z][-.a-zA-Z0-9]*)")
# A numeric character reference as feedparser's loose parser reads one (it calls chr() on
# the number and encodes it to UTF-8, which raises for a surrogate or a number past U+10FFFF).
_CHAR_REF_RE = re.compile(rb"&#(?:([0-9]+)|[xX]([0-9a-fA-F]+));")
_MAX_DECIMAL_DIGITS, _MAX_HEX_DIGITS = len(str(sys.maxunicode)), len(f"{sys.maxunicode:x}")


@dataclass(frozen=True)
class Entry:
    """One entry of a feed or listing page."""

    key: str  # sha256 hex of guid, link, or title+summary
    url: str  # canonical article URL (synthetic for entries without a link)
    link: str | None  # the URL to fetch, None when there is nothing to fetch
    title: str
    summary: str  # plain text
    published: datetime | None


@dataclass(frozen=True)
class Listing:
    """The entries of one document, or why there are none."""

    entries: tuple[Entry, ...] = ()
    total: int = 0  # entries in the document, before de-duplication and the cap
    error: str | None = None
    warning: str | None = None  # a bozo feed that was still usable


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _entry_date(raw) -> datetime | None:
    for field in _DATE_FIELDS:
        value = struct_to_datetime(raw.get(field))
        if value is not None:
            return value
    return None


def _summary(raw) -> str:
    contents = raw.get("content") or []
    html = raw.get("summary") or (contents[0].get("value") if contents else "")
    return plain_text(html)


def make_entry(*, feed_url: str, guid: str | None, link: str | None, title: str,
               summary: str, published: datetime | None, now: datetime) -> Entry | None:
    """An Entry from already-plain fields, or None when it has nothing to identify it."""
    fetch = fetchable_url(link, feed_url) if link else None
    identity = guid or fetch or ((title + "\n" + summary) if (title or summary) else "")
    if not identity.strip():
        return None
    key = _sha256(identity.strip())
    url = canonical_url(fetch) if fetch else None
    if url is None:
        fetch, url = None, f"{canonical_url(feed_url) or feed_url}#entry-{key[:16]}"
    return Entry(key=key, url=url, link=fetch, title=title, summary=summary,
                 published=sane_date(published, now))


def _newest_first(raws: list) -> list:
    dated = [(index, raw, _entry_date(raw)) for index, raw in enumerate(raws)]
    dated.sort(key=lambda t: (t[2] is None, -(t[2].timestamp() if t[2] else 0), t[0]))
    return [(raw, date) for _, raw, date in dated]


def _first_unique(candidates, limit: int) -> tuple[Entry, ...]:
    seen: set[str] = set()
    chosen: list[Entry] = []
    for entry in candidates:
        if entry is None or entry.key in seen:
            continue
        seen.add(entry.key)
        chosen.append(entry)
        if len(chosen) >= limit:
            break
    return tuple(chosen)


def _feed_entry(raw, date, feed_url: str, now: datetime) -> Entry | None:
    return make_entry(feed_url=feed_url, guid=(raw.get("id") or "").strip() or None,
                      link=raw.get("link"), title=one_line(raw.get("title")),
                      summary=_summary(raw), published=date, now=now)


def parse_feed(body: bytes, url: str, headers: dict[str, str], limit: int,
               now: datetime) -> Listing:
    """The newest `limit` entries of an RSS/Atom/RDF document."""
    response_headers = {k.lower(): v for k, v in headers.items()}
    response_headers["content-location"] = url
    refused = entity_bomb(body, response_headers)
    if refused:
        return Listing(error=refused)
    try:
        parsed = feedparser.parse(io.BytesIO(without_bad_char_refs(body)),
                                  response_headers=response_headers)
    except MemoryError:
        return Listing(error=_OUT_OF_MEMORY)
    except (ValueError, OverflowError) as exc:  # UnicodeError too: the document, not a bug
        return Listing(error=f"document refused: feedparser could not read it "
                             f"({one_line(f'{type(exc).__name__}: {exc}', 200)})")
    bozo = _bozo_reason(parsed)
    if not parsed.entries:
        if parsed.get("version"):
            return Listing(warning=bozo)
        return Listing(error=_not_a_feed(response_headers, bozo))
    entries = (_feed_entry(raw, date, url, now) for raw, date in _newest_first(parsed.entries))
    return Listing(entries=_first_unique(entries, limit), total=len(parsed.entries),
                   warning=bozo)


_OUT_OF_MEMORY = "document refused: parsing it needs more memory than a worker may use"


def entity_bomb(body: bytes, headers: dict[str, str]) -> str | None:
    """Why ``body`` is refused for its internal entities (see rule 1), or None. The
    document is read as feedparser reads it (its encoding, its DOCTYPE rewriting), so
    what is counted is what feedparser would expand."""
    data = convert_to_utf8(headers, body, {})
    _, data, entities = replace_doctype(data)
    if not entities:
        return None
    sizes = {name.encode("utf-8"): len(value) for name, value in entities.items()}
    total = 0
    for ref in _ENTITY_REF_RE.finditer(data):  # one pass, however many entities are declared
        total += sizes.get(ref.group(1), 0)
        if total > MAX_ENTITY_EXPANSION:
            name = ref.group(1).decode("utf-8", "replace")
            return (f"document refused: its internal XML entities would expand to over "
                    f"{MAX_ENTITY_EXPANSION:,} characters (entity {one_line(name, 40)!r})")
    return None


def without_bad_char_refs(body: bytes) -> bytes:
    """``body`` without character references to code points no text can hold (surrogates,
    numbers past U+10FFFF), which feedparser raises on; every other byte as it was."""
    if b"&#" not in body:
        return body
    return _CHAR_REF_RE.sub(_kept_char_ref, body)


def _kept_char_ref(ref: re.Match) -> bytes:
    decimal, hexadecimal = ref.groups()
    digits = (decimal or hexadecimal).lstrip(b"0") or b"0"
    longest = _MAX_DECIMAL_DIGITS if decimal else _MAX_HEX_DIGITS
    if len(digits) > longest:  # past U+10FFFF (and no int of thousands of digits)
        return b""
    value = int(digits, 10 if decimal else 16)
    return b"" if value > sys.maxunicode or 0xD800 <= value <= 0xDFFF else ref.group(0)


def _bozo_reason(parsed) -> str | None:
    if not parsed.get("bozo"):
        return None
    exc = parsed.get("bozo_exception")
    return one_line(f"{type(exc).__name__}: {exc}", 200) if exc else "malformed feed"


def _not_a_feed(headers: dict[str, str], bozo: str | None) -> str:
    kind = headers.get("content-type", "unknown type").split(";")[0].strip()
    detail = f"; {bozo}" if bozo else ""
    return f"not a feed: no RSS/Atom/RDF entries found ({kind}{detail})"


def parse_listing(html: str, url: str, selector: str, limit: int, now: datetime) -> Listing:
    """Article links on an HTML listing page, picked by the CSS `selector`."""
    from parsel import Selector

    try:
        nodes = Selector(text=html, base_url=url).css(selector)
    except (ValueError, SyntaxError) as exc:  # cssselect's SelectorSyntaxError
        return Listing(error=f"bad item_selector {selector!r}: {one_line(str(exc), 200)}")
    except MemoryError:
        return Listing(error=_OUT_OF_MEMORY)
    entries = (_listing_entry(node, url, now) for node in nodes)
    chosen = _first_unique(entries, limit)
    if not chosen:
        return Listing(error=f"no article links match item_selector {selector!r}")
    return Listing(entries=chosen, total=len(nodes))


def _listing_entry(node, page_url: str, now: datetime) -> Entry | None:
    is_link = getattr(node.root, "tag", None) == "a"
    href = node.attrib.get("href") if is_link else node.css("a::attr(href)").get()
    if not href or fetchable_url(href, page_url) is None:
        return None
    return make_entry(feed_url=page_url, guid=None, link=href,
                      title=one_line(" ".join(node.css("::text").getall())),
                      summary="", published=None, now=now)
