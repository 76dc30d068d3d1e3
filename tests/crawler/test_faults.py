"""Every fault of the local site gives a clear error on that feed only, in one cycle."""

from __future__ import annotations

from datetime import timedelta

import pytest
from servers.feed_site import article_page, rss_feed
from sqlalchemy import select

from db.models import Article, Feed, FetchLog

pytestmark = pytest.mark.timeout(240)

TEXT = ("The sheriff said deputies will keep honouring detainer requests from federal "
        "immigration authorities, as they have for years, under the county's agreement.")

# name -> (outcome status, http_status, words the stored error must contain)
EXPECTED = {
    "not found": ("error", 404, "HTTP 404 Not Found"),
    "gone": ("gone", 410, "HTTP 410 Gone"),
    "server error": ("error", 500, "HTTP 500 Internal Server Error"),
    "rate limited": ("error", 429, "HTTP 429 Too Many Requests"),
    "unavailable": ("error", 503, "HTTP 503 Service Unavailable"),
    "redirect loop": ("error", None, "too many redirects"),
    "trickle": ("error", None, "timed out after 2s"),
    "never ends": ("error", None, ("size cap", "timed out")),  # whichever comes first
    "oversized": ("error", None, "size cap"),
    "gzip bomb": ("error", None, "gzip bomb"),
    "html page": ("error", 200, "not a feed"),
    "garbage": ("error", 200, "not a feed"),
    "refused port": ("error", None, "connection refused"),
}


def _program_faults(site) -> dict[str, str]:
    site.status("/404.xml", 404)
    site.status("/410.xml", 410)
    site.status("/500.xml", 500)
    site.status("/429.xml", 429, retry_after=3600)
    site.status("/503.xml", 503, retry_after=7200)
    site.redirect_loop("/loop.xml")
    site.trickle("/trickle.xml", 3600)
    site.endless("/endless.xml")
    site.oversized("/oversized.xml", 5_000_000)
    site.gzip_bomb("/bomb.xml", 300_000_000)
    site.route("/page.html", "<html><body><h1>Welcome</h1><p>No feed here.</p></body></html>")
    site.route("/garbage.xml", b"\x00\x01\xff\xfe<<<not xml at all", content_type="text/xml")
    paths = ["/404.xml", "/410.xml", "/500.xml", "/429.xml", "/503.xml", "/loop.xml",
             "/trickle.xml", "/endless.xml", "/oversized.xml", "/bomb.xml", "/page.html",
             "/garbage.xml"]
    urls = dict(zip(list(EXPECTED)[:len(paths)], (site.url(p) for p in paths), strict=True))
    urls["refused port"] = "http://127.0.0.1:9/feed.xml"  # discard port: nothing listens
    return urls


def _program_good(site) -> dict[str, str]:
    urls = {}
    for name in ("good one", "good two"):
        slug = name.replace(" ", "-")
        site.route(f"/{slug}/a.html", article_page(name, [TEXT, TEXT]))
        site.route(f"/{slug}.xml", rss_feed([{"title": f"{name} story", "guid": slug,
                                              "link": site.url(f"/{slug}/a.html")}]))
        urls[name] = site.url(f"/{slug}.xml")
    site.route("/final.xml", rss_feed([{"title": "via redirects", "guid": "redirected",
                                        "summary": "Reached through three redirects."}]))
    site.redirect_chain("/chain.xml", 3, "/final.xml")
    urls["redirect chain"] = site.url("/chain.xml")
    return urls


def test_each_fault_fails_only_its_feed(feed_site, make_config, run_crawl, sessions):
    faults, good = _program_faults(feed_site), _program_good(feed_site)
    feeds = [{"name": name, "url": url} for name, url in {**faults, **good}.items()]
    config = make_config(feeds, download_timeout=2, max_download_bytes=1_000_000)

    result = run_crawl(config, [{"do": "cycle", "timeout": 90}])

    assert result["actions"][0]["idle"], result["log"][-4000:]
    with sessions() as session:
        feeds = {f.name: f for f in session.scalars(select(Feed))}
        logs = {log.feed_id: log for log in session.scalars(select(FetchLog))}
        for name, (status, http_status, words) in EXPECTED.items():
            feed, log = feeds[name], logs[feeds[name].id]
            assert (feed.status, log.http_status) == (status, http_status), (name, feed.last_error)
            options = words if isinstance(words, tuple) else (words,)
            assert any(w in feed.last_error for w in options), (name, feed.last_error)
            assert "\n" not in feed.last_error and len(feed.last_error) < 300
            assert feed.claimed_until is None and feed.consecutive_failures == 1
        for name in ("good one", "good two", "redirect chain"):
            assert feeds[name].status == "ok", (name, feeds[name].last_error)
            assert logs[feeds[name].id].new_articles == 1
        titles = set(session.scalars(select(Article.title)))
        assert titles == {"good one story", "good two story", "via redirects"}
        _assert_retry_after(feeds["rate limited"], logs[feeds["rate limited"].id], 3600)
        _assert_retry_after(feeds["unavailable"], logs[feeds["unavailable"].id], 7200)


def _assert_retry_after(feed: Feed, log: FetchLog, seconds: int) -> None:
    assert feed.next_poll_at >= log.fetched_at + timedelta(seconds=seconds - 5)


def test_gone_feed_is_not_polled_again(feed_site, make_config, run_crawl, sessions):
    feed_site.status("/gone.xml", 410)
    config = make_config([{"name": "Gone", "url": feed_site.url("/gone.xml")}])

    result = run_crawl(config, [{"do": "cycle"}, {"do": "cycle"}])

    assert [a["claimed"] for a in result["actions"]] == [1, 0]
    assert len(feed_site.requests_for("/gone.xml")) == 1
    with sessions() as session:
        assert session.scalar(select(Feed.status)) == "gone"
