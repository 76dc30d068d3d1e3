"""Feed and listing documents to entries (crawler.entries) and plain text (crawler.text)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from servers.feed_site import atom_feed, many_entries, rss_feed

from crawler.entries import parse_feed, parse_listing
from crawler.text import plain_text, sane_date

NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)
FEED = "http://127.0.0.1:1/feeds/news.xml"
RSS = {"Content-Type": "application/rss+xml"}


def _parse(xml: str, limit: int = 100, headers=RSS):
    return parse_feed(xml.encode("utf-8"), FEED, headers, limit, NOW)


def test_relative_links_resolve_against_the_feed_url():
    listing = _parse(rss_feed([{"title": "a", "link": "../story/1.html?utm_source=rss"}]))
    (entry,) = listing.entries
    assert entry.link == "http://127.0.0.1:1/story/1.html?utm_source=rss"
    assert entry.url == "http://127.0.0.1:1/story/1.html"


def test_atom_feeds_parse_too():
    listing = _parse(atom_feed([{"title": "a", "link": "http://127.0.0.1:1/a", "guid": "urn:1",
                                 "summary": "<p>Hi <b>there</b></p>"}]))
    (entry,) = listing.entries
    assert (entry.title, entry.summary) == ("a", "Hi there")


def test_newest_first_and_capped():
    listing = _parse(rss_feed(list(reversed(many_entries(30, "http://127.0.0.1:1")))), limit=5)
    assert [e.title for e in listing.entries] == [f"Item {i}" for i in range(5)]
    assert listing.total == 30


def test_entry_key_prefers_guid_then_link_then_content():
    by_guid = _parse(rss_feed([{"title": "a", "link": "http://127.0.0.1:1/a", "guid": "g"}]))
    by_link = _parse(rss_feed([{"title": "a", "link": "http://127.0.0.1:1/a"}]))
    by_text = _parse(rss_feed([{"title": "a", "summary": "b"}]))
    keys = {by_guid.entries[0].key, by_link.entries[0].key, by_text.entries[0].key}
    assert len(keys) == 3 and all(len(k) == 64 for k in keys)


def test_duplicate_guids_are_one_entry():
    listing = _parse(rss_feed([{"title": "first", "guid": "same"},
                               {"title": "second", "guid": "same"}]))
    assert [e.title for e in listing.entries] == ["first"]


def test_entry_without_a_link_gets_a_synthetic_url_and_nothing_to_fetch():
    (entry,) = _parse(rss_feed([{"guid": "abc", "summary": "text only"}])).entries
    assert entry.link is None
    assert entry.url == f"{FEED}#entry-{entry.key[:16]}"


def test_empty_entries_are_skipped():
    assert _parse(rss_feed([{"summary": ""}, {"title": "kept"}])).entries[0].title == "kept"


def test_an_empty_feed_is_not_an_error():
    listing = _parse(rss_feed([]))
    assert (listing.entries, listing.error) == ((), None)


@pytest.mark.parametrize("body,content_type", [
    ("<html><body><h1>Hello</h1></body></html>", "text/html"),
    ("\x00\x01 garbage", "application/octet-stream"),
    ("", "application/rss+xml"),
], ids=["html page", "garbage", "empty body"])
def test_documents_without_entries_are_errors(body, content_type):
    listing = _parse(body, headers={"Content-Type": content_type})
    assert listing.error.startswith("not a feed")


def entity_feed(value: str, references: int, encoding: str = "utf-8", ref: str = "&e;") -> bytes:
    """An RSS document declaring one internal entity, referenced `references` times in
    its one item's description (issue 10's billion laughs: 3 KB x 100,000)."""
    declared = f'<?xml version="1.0" encoding="{encoding}"?>\n'
    return (declared + f'<!DOCTYPE rss [\n<!ENTITY e "{value}">\n]>\n<rss version="2.0">'
            f"<channel><title>Site</title><item><guid>1</guid><title>&e; news</title>"
            f"<description>{ref * references}</description></item></channel></rss>"
            ).encode(encoding)


@pytest.mark.parametrize("body,title,error", [
    pytest.param(entity_feed("Acme", 1), "Acme news", None, id="short-entity-still-expands"),
    pytest.param(entity_feed("Acme Co", 1000), "Acme Co news", None,
                 id="many-short-references-within-the-bound"),
    pytest.param(entity_feed("A" * 3000, 100_000), None, "internal XML entities",
                 id="billion-laughs-refused"),
    pytest.param(entity_feed("A" * 3000, 100_000, "utf-16"), None, "internal XML entities",
                 id="billion-laughs-in-utf-16-refused"),
    pytest.param(entity_feed("B" * 400, 2_600), None, "internal XML entities",
                 id="just-past-the-bound-refused"),
    pytest.param(entity_feed("A" * 3000, 100_000, ref="&e "), None, "internal XML entities",
                 id="references-without-semicolons-counted"),
])
def test_internal_entities_expand_only_within_a_bound(body, title, error):
    listing = parse_feed(body, FEED, RSS, 10, NOW)
    assert listing.error is None if error is None else error in (listing.error or "")
    assert [e.title for e in listing.entries] == ([title] if title else [])


def char_ref_feed(ref: str, encoding: str = "utf-8") -> bytes:
    """An RSS document whose one item's title holds the character reference `ref`."""
    xml = rss_feed([{"guid": "1", "title": "Status REF checks", "summary": "Chief REF said"}])
    xml = xml.replace('encoding="utf-8"', f'encoding="{encoding}"')
    return xml.replace("REF", ref).encode(encoding)


@pytest.mark.parametrize("body,title,error", [
    pytest.param(char_ref_feed("&#55296;"), "Status checks", None,
                 id="lone-surrogate-dropped"),
    pytest.param(char_ref_feed("&#xdfff;"), "Status checks", None,
                 id="hex-surrogate-dropped"),
    pytest.param(char_ref_feed("&#1114112;"), "Status checks", None,
                 id="past-the-last-code-point-dropped"),
    pytest.param(char_ref_feed("&#" + "9" * 5000 + ";"), "Status checks", None,
                 id="thousands-of-digits-dropped"),
    pytest.param(char_ref_feed("&#0000000065;"), "Status A checks", None,
                 id="leading-zeros-still-a-character"),
    pytest.param(char_ref_feed("&#x10FFFF;"), "Status \U0010ffff checks", None,
                 id="last-code-point-kept"),
    pytest.param(char_ref_feed("&#55296;", "utf-16"), None, "feedparser could not read it",
                 id="surrogate-in-utf-16-is-one-error"),
])
def test_character_references_no_text_can_hold(body, title, error):
    listing = parse_feed(body, FEED, RSS, 10, NOW)
    assert listing.error is None if error is None else error in (listing.error or "")
    assert "\n" not in (listing.error or "")
    assert [e.title for e in listing.entries] == ([title] if title else [])


def test_bozo_feed_with_entries_is_used():
    broken = rss_feed([{"title": "ok", "guid": "1"}]).replace("</channel></rss>", "<oops>")
    listing = _parse(broken)
    assert [e.title for e in listing.entries] == ["ok"] and listing.warning


@pytest.mark.parametrize("value,expected", [
    (NOW + timedelta(days=3), NOW),
    (datetime(1970, 1, 1, tzinfo=timezone.utc), None),
    (datetime(1989, 12, 31, tzinfo=timezone.utc), None),
    (datetime(2020, 2, 2, tzinfo=timezone.utc), datetime(2020, 2, 2, tzinfo=timezone.utc)),
    (None, None),
], ids=["future clamped", "epoch", "before 1990", "plausible", "missing"])
def test_sane_date(value, expected):
    assert sane_date(value, NOW) == expected


@pytest.mark.parametrize("html,expected", [
    ("<p>One</p><p>Two</p>", "One\n\nTwo"),
    ("a <script>evil()</script>b", "a b"),
    ("&lt;script&gt;evil()&lt;/script&gt;ok", "ok"),
    ("<style>p{}</style>text", "text"),
    ("AT&amp;T &lt; 5", "AT&T < 5"),
    ("plain < text > here", "plain < text > here"),
    ("  spaced\t\tout  ", "spaced out"),
], ids=["paragraphs", "script", "escaped script", "style", "entities", "angle brackets",
        "whitespace"])
def test_plain_text(html, expected):
    assert plain_text(html) == expected


def test_listing_links_by_selector():
    html = ("<ul><li class='r'><a href='/a/1'>One</a></li><li class='r'><a href='/a/1'>Dup</a>"
            "</li><li class='r'><a href='mailto:x@y'>Mail</a></li></ul>")
    listing = parse_listing(html, "http://127.0.0.1:1/news/", "li.r", 10, NOW)
    assert [(e.title, e.link) for e in listing.entries] == [("One", "http://127.0.0.1:1/a/1")]


@pytest.mark.parametrize("selector,words", [("li.none a", "no article links"),
                                            ("li[[", "bad item_selector")])
def test_listing_errors(selector, words):
    listing = parse_listing("<ul><li>x</li></ul>", "http://127.0.0.1:1/", selector, 10, NOW)
    assert words in listing.error


CORPUS = Path(__file__).resolve().parents[1] / "data" / "feedparser-tests"
TAG = re.compile(r"<\s*/?\s*[A-Za-z!][^<>]*>")


@pytest.mark.skipif(not CORPUS.is_dir(), reason="feedparser corpus not present")
def test_every_corpus_feed_parses_to_entries_or_a_clear_error_without_markup():
    files = [p for p in CORPUS.rglob("*") if p.is_file() and p.suffix not in (".md", "")]
    assert len(files) > 2000
    for path in files:
        url = "http://127.0.0.1:1/" + path.relative_to(CORPUS).as_posix()
        listing = parse_feed(path.read_bytes(), url, {"Content-Type": "application/xml"}, 100, NOW)
        assert listing.entries or listing.error is None or listing.error.startswith("not a feed")
        for entry in listing.entries:
            assert not TAG.search(entry.summary), (path, entry.summary)
            assert not TAG.search(entry.title), (path, entry.title)
