"""Scraped text at the storage boundary: what PostgreSQL refuses never reaches either engine."""

from __future__ import annotations

import pytest
from servers.feed_site import rss_feed
from sqlalchemy import select

from crawler.text import terminal_safe
from db.models import Article, Feed, FetchLog, Statement

pytestmark = pytest.mark.timeout(240)


@pytest.mark.parametrize("text, shown", [
    ("a\x1b]0;window title\x07b", "ab"),
    ("a\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\b", "alinkb"),
    ("a\x1b[2J\x1b[1;31mb\x1b[0m", "ab"),
    ("a\x9b2Jb\x9d0;t\x9cc", "abc"),
    ("a\x1bPq#0;2;0;0;0\x1b\\b", "ab"),
    ("a\x1bcb\x1b7c", "abc"),
    ("a\x1b]0;never terminated\nnext", "a next"),
    ("a\x00b\x08c\x7fd\x85e", "abcde"),
    ("tab\there\rcr", "tab here cr"),
    ("\u202eevil\u2066x\u2069", "evilx"),
    ("one\ntwo", "one two"),
    ("caf\u00e9 \u201cquote\u201d", "caf\u00e9 \u201cquote\u201d"),
    (None, ""),
], ids=["osc-title-bel", "osc-hyperlink-st", "csi-clear-and-colour", "c1-csi-osc",
        "dcs-string", "two-character-escapes", "unterminated-osc-ends-at-line",
        "c0-c1-del", "tab-cr-as-space", "bidi-overrides", "newline-joined", "unicode-kept",
        "none"])
def test_terminal_safe_shows_text_without_sequences_or_controls(text, shown):
    assert terminal_safe(text) == shown


def test_terminal_safe_keeps_the_callers_newlines_when_asked():
    assert terminal_safe("line\x1b[2J one\nline two\n", newlines=True) == "line one\nline two\n"

NUL_QUOTE = ("Sheriff Ana Ruiz said\x00 \u201cWe will not honor ICE detainers without a "
             "judicial warrant,\u201d at a news conference on Monday.")


def test_nul_in_an_entry_is_removed_alike_on_both_engines_and_the_next_entry_lands(
        feed_site, make_config, run_crawl, sessions):
    feed_site.route("/feed.xml", rss_feed([
        {"title": "Sheriff\x00 on detainers", "guid": "nul", "summary": NUL_QUOTE},
        {"title": "Second story", "guid": "plain", "summary": "A plain second entry."},
    ]))
    config = make_config([{"name": "News", "url": feed_site.url("/feed.xml")}])

    result = run_crawl(config, [{"do": "cycle"}], detector="real")

    assert result["actions"][0]["idle"] is True
    with sessions() as session:
        articles = {a.title: a.text for a in session.scalars(select(Article))}
        quotes = list(session.scalars(select(Statement.quote)))
        feed = session.scalar(select(Feed))
    assert articles == {"Sheriff on detainers": NUL_QUOTE.replace("\x00", ""),
                        "Second story": "A plain second entry."}
    assert quotes and all("\x00" not in q for q in quotes)
    assert feed.status == "ok" and feed.etag is not None


REFUSED_TEXT = "OVERLONG agency statement, text that must stay out of every log line."


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite has no VARCHAR limit
def test_entry_refused_for_its_data_is_recorded_on_the_feed_which_keeps_its_etag(
        feed_site, make_config, run_crawl, sessions):
    feed_site.route("/feed.xml", rss_feed([
        {"title": "Refused", "link": "https://refused.example/1", "guid": "refused",
         "summary": REFUSED_TEXT},
        {"title": "Stored", "guid": "stored", "summary": "A plain entry that lands."},
    ]))
    config = make_config([{"name": "News", "url": feed_site.url("/feed.xml")}])

    crawl = {"detector": "overlong_agency", "only_origins": [feed_site.base_url.split("//")[1]]}

    first = run_crawl(config, [{"do": "cycle"}], **crawl)

    with sessions() as session:
        titles = set(session.scalars(select(Article.title)))
        feed = session.scalar(select(Feed))
    assert titles == {"Stored"}
    assert feed.status == "error" and feed.etag is not None
    assert feed.last_error.startswith("1 entry not stored")
    assert "StringDataRightTruncation" in feed.last_error
    assert "refused.example/1" in feed.last_error and REFUSED_TEXT not in feed.last_error
    assert "entry not stored" in first["log"] and REFUSED_TEXT not in first["log"]

    run_crawl(config, [{"do": "cycle"}], **crawl)  # validators kept: no refetch of the feed

    assert feed_site.requests_for("/feed.xml")[-1].header("If-None-Match") == feed.etag
    with sessions() as session:
        outcomes = [f.outcome for f in session.scalars(select(FetchLog).order_by(FetchLog.id))]
    assert outcomes == ["error", "not_modified"]
