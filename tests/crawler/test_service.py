"""CrawlService end to end: the real local site, Scrapy, feedparser, trafilatura, a real database.

Each test runs the crawl in a child process (see conftest.py) and then reads
the database and the site's request log.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from servers.feed_site import article_page, atom_feed, many_entries, rss_feed
from sqlalchemy import func, select

from db.models import Article, Feed, FeedEntry, FetchLog

pytestmark = pytest.mark.timeout(240)

LONG_TEXT = ("The police chief told reporters that the department would not hold people "
             "for federal immigration agents without a judicial warrant, and that officers "
             "do not ask about immigration status during routine stops.")
MARKUP = re.compile(r"<\s*/?\s*[A-Za-z!]")


def _feed(session, name: str) -> Feed:
    return session.scalar(select(Feed).where(Feed.name == name))


def _logs(session, name: str) -> list[FetchLog]:
    feed = _feed(session, name)
    return list(session.scalars(select(FetchLog).where(FetchLog.feed_id == feed.id)
                                .order_by(FetchLog.id)))


def _articles(session) -> dict[str, Article]:
    return {a.url: a for a in session.scalars(select(Article))}


def _page(site, path: str, title: str = "Statement") -> str:
    site.route(path, article_page(title, [LONG_TEXT, LONG_TEXT + " Again."]))
    return site.url(path)


def test_conditional_get_then_304_stores_nothing_new(feed_site, make_config, run_crawl, sessions):
    link = _page(feed_site, "/news/1.html")
    feed_site.route("/feed.xml", rss_feed([{"title": "One", "link": link, "guid": "1"}]))
    config = make_config([{"name": "News", "url": feed_site.url("/feed.xml")}])

    result = run_crawl(config, [{"do": "cycle"}, {"do": "cycle"}])

    assert [a["idle"] for a in result["actions"]] == [True, True]
    first, second = feed_site.requests_for("/feed.xml")
    assert first.header("If-None-Match") is None
    assert second.header("If-None-Match") == first_etag(feed_site)
    assert second.header("If-Modified-Since") == "Wed, 01 May 2024 12:00:00 GMT"
    assert len(feed_site.requests_for("/news/1.html")) == 1
    with sessions() as session:
        logs = _logs(session, "News")
        assert [(log.outcome, log.http_status) for log in logs] == [("ok", 200),
                                                                  ("not_modified", 304)]
        assert logs[0].new_articles == 1 and logs[1].new_articles == 0
        assert session.scalar(select(func.count(Article.id))) == 1
        feed = _feed(session, "News")
        assert feed.claimed_until is None and feed.status == "not_modified"


def first_etag(site) -> str:
    import urllib.request

    with urllib.request.urlopen(site.url("/feed.xml")) as response:
        return response.headers["ETag"]


def test_article_in_two_feeds_is_stored_once_and_fetched_once(
        feed_site, make_config, run_crawl, sessions):
    link = _page(feed_site, "/shared.html")
    feed_site.route("/a.xml", rss_feed([{"title": "Shared", "link": link + "?utm_source=a",
                                         "guid": "a-1"}]))
    feed_site.route("/b.atom", atom_feed([{"title": "Shared", "link": link + "#top",
                                           "guid": "urn:b:1"}]))
    config = make_config([{"name": "A", "url": feed_site.url("/a.xml")},
                          {"name": "B", "url": feed_site.url("/b.atom")}])

    run_crawl(config, [{"do": "cycle", "feeds": ["A"]}, {"do": "cycle", "feeds": ["B"]}])

    assert len(feed_site.requests_for("/shared.html")) == 1
    with sessions() as session:
        articles = _articles(session)
        assert list(articles) == [link]
        entries = session.scalars(select(FeedEntry)).all()
        assert len(entries) == 2
        assert {e.article_id for e in entries} == {articles[link].id}


def test_same_article_in_two_feeds_in_one_cycle_is_stored_once(
        feed_site, make_config, run_crawl, sessions):
    link = _page(feed_site, "/both.html")
    for path in ("/one.xml", "/two.xml"):
        feed_site.route(path, rss_feed([{"title": "Both", "link": link, "guid": path}]))
    config = make_config([{"name": "One", "url": feed_site.url("/one.xml")},
                          {"name": "Two", "url": feed_site.url("/two.xml")}])

    run_crawl(config, [{"do": "cycle"}])

    assert len(feed_site.requests_for("/both.html")) == 1
    with sessions() as session:
        assert list(_articles(session)) == [link]
        assert session.scalar(select(func.count(FeedEntry.id))) == 2
        assert {log.outcome for log in session.scalars(select(FetchLog))} == {"ok"}


def test_summary_fallback_when_the_page_cannot_be_used(feed_site, make_config, run_crawl,
                                                       sessions):
    feed_site.route("/tiny.html", "<html><body><p>Subscribe!</p></body></html>")
    feed_site.route("/doc.pdf", b"%PDF-1.4 binary", content_type="application/pdf")
    feed_site.status("/broken.html", 500)
    entries = [
        {"title": "Missing", "link": feed_site.url("/missing.html"), "guid": "m",
         "summary": "<p>Summary of the <b>missing</b> page.</p>"},
        {"title": "Tiny", "link": feed_site.url("/tiny.html"), "guid": "t",
         "summary": "Summary of the tiny page."},
        {"title": "PDF", "link": feed_site.url("/doc.pdf"), "guid": "p",
         "summary": "Summary of the PDF."},
        {"title": "Broken", "link": feed_site.url("/broken.html"), "guid": "b",
         "summary": "Summary of the broken page."},
        {"title": "Good", "link": _page(feed_site, "/good.html"), "guid": "g",
         "summary": "Summary of the good page."},
    ]
    feed_site.route("/feed.xml", rss_feed(entries))
    config = make_config([{"name": "News", "url": feed_site.url("/feed.xml")}])

    run_crawl(config, [{"do": "cycle"}])

    with sessions() as session:
        articles = _articles(session)
        sources = {a.title: (a.text_source, a.text) for a in articles.values()}
        assert sources["Missing"] == ("summary", "Summary of the missing page.")
        assert sources["Tiny"] == ("summary", "Summary of the tiny page.")
        assert sources["PDF"] == ("summary", "Summary of the PDF.")
        assert sources["Broken"] == ("summary", "Summary of the broken page.")
        assert sources["Good"][0] == "page" and LONG_TEXT in sources["Good"][1]
        assert _logs(session, "News")[-1].new_articles == 5


def test_stored_text_holds_no_markup_or_script(feed_site, make_config, run_crawl, sessions):
    hostile = article_page("Hostile", [LONG_TEXT], extra_head="<script>steal()</script>")
    hostile = hostile.replace("</article>", "<script>alert('x')</script><style>p{}</style>"
                                            "</article>")
    feed_site.route("/hostile.html", hostile)
    summary = ("<p>Hello <script>alert(1)</script><img src=x onerror=alert(2)> world</p>"
               "&lt;script&gt;alert(3)&lt;/script&gt; <iframe src='http://127.0.0.1:1/'></iframe>")
    feed_site.route("/feed.xml", rss_feed([
        {"title": "<b>Bold</b> title <script>x()</script>", "guid": "s", "summary": summary},
        {"title": "Page", "link": feed_site.url("/hostile.html"), "guid": "h"},
    ]))
    config = make_config([{"name": "News", "url": feed_site.url("/feed.xml")}])

    run_crawl(config, [{"do": "cycle"}])

    with sessions() as session:
        articles = list(_articles(session).values())
        assert len(articles) == 2
        for article in articles:
            assert not MARKUP.search(article.text), article.text
            assert not MARKUP.search(article.title), article.title
            assert "alert" not in article.text and "steal" not in article.text
        by_title = {a.title: a for a in articles}
        assert "Hello" in by_title["Bold title"].text
        assert LONG_TEXT in by_title["Page"].text


def test_dates_duplicates_and_entries_without_links_titles_or_dates(
        feed_site, make_config, run_crawl, sessions):
    future = datetime.now(timezone.utc) + timedelta(days=400)
    feed_site.route("/feed.xml", rss_feed([
        {"title": "Future", "guid": "future", "summary": "From the future.", "published": future},
        {"title": "Epoch", "guid": "epoch", "summary": "From 1970.",
         "published": "Thu, 01 Jan 1970 00:00:00 GMT"},
        {"title": "Garbled date", "guid": "garbled", "summary": "Bad date.",
         "published": "not a date"},
        {"title": "Dup first", "guid": "dup", "summary": "First of two."},
        {"title": "Dup second", "guid": "dup", "summary": "Second of two."},
        {"guid": "untitled", "summary": "No title, no link, no date."},
        {"title": "Only a title"},
        {"summary": ""},
    ]))
    config = make_config([{"name": "News", "url": feed_site.url("/feed.xml")}])
    before = datetime.now(timezone.utc)

    run_crawl(config, [{"do": "cycle"}])

    with sessions() as session:
        articles = {a.title: a for a in _articles(session).values()}
        assert set(articles) == {"Future", "Epoch", "Garbled date", "Dup first", "",
                                 "Only a title"}
        assert before - timedelta(minutes=1) <= articles["Future"].published
        assert articles["Future"].published <= datetime.now(timezone.utc)
        assert articles["Epoch"].published is None
        assert articles["Garbled date"].published is None
        assert articles[""].text == "No title, no link, no date."
        feed_url = feed_site.url("/feed.xml")
        assert all(a.url.startswith(feed_url + "#entry-") for a in articles.values())
        assert all(a.text_source == "summary" for a in articles.values())
        log = _logs(session, "News")[-1]
        assert (log.outcome, log.entries, log.new_articles) == ("ok", 8, 6)


def test_html_listing_page_links_by_item_selector(feed_site, make_config, run_crawl, sessions):
    links = [_page(feed_site, f"/releases/{i}.html", f"Release {i}") for i in range(3)]
    items = "".join(f"<li class='release'><a href='/releases/{i}.html'>Release {i}</a></li>"
                    for i in range(3))
    feed_site.route("/news/", f"<html><body><ul>{items}</ul><a href='/about'>About</a>"
                              "</body></html>")
    config = make_config([{"name": "Sheriff", "url": feed_site.url("/news/"), "kind": "html",
                           "item_selector": "li.release a", "agency": "Test County Sheriff"}])

    run_crawl(config, [{"do": "cycle"}])

    assert not feed_site.fetched("/about")
    with sessions() as session:
        articles = _articles(session)
        assert sorted(articles) == sorted(links)
        assert {a.text_source for a in articles.values()} == {"page"}


def test_big_feed_is_bounded_newest_first(feed_site, make_config, run_crawl, sessions):
    feed_site.route("/big.xml", rss_feed(many_entries(50_000, feed_site.url("/big"))))
    config = make_config([{"name": "Big", "url": feed_site.url("/big.xml")}],
                         max_entries_per_feed=20, max_download_bytes=20_000_000,
                         max_article_age_days=100_000)

    result = run_crawl(config, [{"do": "cycle", "timeout": 180}])

    assert result["actions"][0]["idle"]
    fetched = [r.path for r in feed_site.requests if r.path.startswith("/big/item/")]
    assert sorted(fetched) == sorted(f"/big/item/{i}" for i in range(20))
    with sessions() as session:
        log = _logs(session, "Big")[-1]
        assert (log.outcome, log.entries, log.new_articles) == ("ok", 50_000, 20)


def test_old_entries_are_left_alone(feed_site, make_config, run_crawl, sessions):
    old = datetime.now(timezone.utc) - timedelta(days=90)
    feed_site.route("/feed.xml", rss_feed([
        {"title": "Old", "guid": "old", "summary": "Old news.", "published": old},
        {"title": "New", "guid": "new", "summary": "New news.",
         "published": datetime.now(timezone.utc)},
    ]))
    config = make_config([{"name": "News", "url": feed_site.url("/feed.xml")}],
                         max_article_age_days=30)

    run_crawl(config, [{"do": "cycle"}])

    with sessions() as session:
        assert [a.title for a in _articles(session).values()] == ["New"]


SEED = "demo/site/police-immigration-statements-2016.txt"


def test_seed_article_gives_statements_and_alerts_and_kicks_delivery(
        feed_site, make_config, run_crawl, sessions):
    from pathlib import Path

    from db.models import Alert, Statement

    root = Path(__file__).resolve().parents[2]
    title, *paragraphs = [p for p in (root / SEED).read_text("utf-8").split("\n\n") if p.strip()]
    feed_site.route("/2016/police.html", article_page(title.strip(), paragraphs))
    feed_site.route("/feed.xml", rss_feed([{"title": title.strip(), "guid": "seed",
                                            "link": feed_site.url("/2016/police.html")}]))
    config = make_config([{"name": "News", "url": feed_site.url("/feed.xml")}])

    result = run_crawl(config, [{"do": "cycle"}], detector="real")

    assert result["alert_kicks"] >= 1, result["log"][-5000:]
    with sessions() as session:
        article = session.scalar(select(Article))
        assert article.text_source == "page"
        quotes = " ".join(session.scalars(select(Statement.quote)))
        assert "Homeland Security on deportation efforts" in quotes
        assert session.scalar(select(func.count(Alert.id))) >= 4


def test_stop_abandons_in_flight_polls_within_seconds_and_releases_leases(
        feed_site, make_config, run_crawl, sessions):
    feed_site.trickle("/trickle.xml", 3600)
    feed_site.endless("/endless.xml")
    feed_site.route("/slow-article-feed.xml", rss_feed([
        {"title": "slow", "guid": "slow", "link": feed_site.url("/slow-article.html")}]))
    feed_site.trickle("/slow-article.html", 3600, content_type="text/html")
    names = ("trickle", "endless", "slow-article-feed")
    config = make_config([{"name": n, "url": feed_site.url(f"/{n}.xml")} for n in names],
                         download_timeout=120, max_download_bytes=10**12)

    result = run_crawl(config, [{"do": "submit_then_stop", "after": 2.0}])

    action = result["actions"][0]
    assert action["in_flight_before"] == 3
    assert action["stop_seconds"] < 5, result["log"][-3000:]
    with sessions() as session:
        for feed in session.scalars(select(Feed)):
            assert feed.claimed_until is None and feed.status == "never", feed.name
        assert session.scalar(select(func.count(FetchLog.id))) == 0
        assert session.scalar(select(func.count(Article.id))) == 0


def test_update_config_applies_to_the_next_poll(feed_site, make_config, run_crawl, sessions):
    for name in ("first", "second"):
        feed_site.route(f"/{name}.xml", rss_feed([
            {"title": f"{name} {i}", "guid": f"{name}-{i}", "summary": f"{name} {i}."}
            for i in range(3)]))
    feeds = [{"name": n, "url": feed_site.url(f"/{n}.xml")} for n in ("first", "second")]
    before = make_config(feeds, max_entries_per_feed=1)
    after = make_config(feeds + [{"name": "third", "url": feed_site.url("/first.xml"),
                                  "agency": "Test Police Department"}],
                        max_entries_per_feed=3)

    run_crawl(before, [{"do": "cycle", "feeds": ["first"]},
                       {"do": "reconfigure", "config": after},
                       {"do": "cycle", "feeds": ["second", "third"]}])

    with sessions() as session:
        logs = {f.name: _logs(session, f.name)[-1].new_articles
                for f in session.scalars(select(Feed))}
        assert logs == {"first": 1, "second": 3, "third": 2}


# A reload, one change at a time -> the keys its one line names (None: no line).
RELOADS = [
    ({"download_delay": 1.5}, "download_delay"),
    ({"download_delay": 1.5, "autothrottle": False}, "autothrottle"),
    ({"download_delay": 1.5, "autothrottle": False, "autothrottle_start_delay": 2},
     "autothrottle_start_delay"),
    ({"download_delay": 1.5, "autothrottle": False, "autothrottle_start_delay": 2,
      "max_entries_per_feed": 3}, None),  # read per poll: applies at once, nothing to say
]


def test_a_reload_says_which_crawler_settings_wait_for_a_restart(make_config, run_crawl):
    actions = [{"do": "reconfigure", "config": make_config([], **changes)}
               for changes, _ in RELOADS]

    result = run_crawl(make_config([]), actions)

    said = [line.rpartition("keys=")[2] for line in result["log"].splitlines()
            if "take effect at restart" in line]
    assert said == [keys for _, keys in RELOADS if keys], result["log"][-3000:]
