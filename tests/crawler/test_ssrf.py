"""SSRF: only http(s), and never a non-public address, on every hop.

Only IP literals and `localhost` are resolved here (the hosts file): no test
sends a DNS query or a packet beyond 127.0.0.1. Refused requests are refused
before any connection is made.
"""

from __future__ import annotations

import asyncio

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from servers.feed_site import rss_feed
from sqlalchemy import select

from crawler.addresses import literal_address, refusal, resolve
from crawler.middlewares.ssrf import SSRFGuardMiddleware
from db.models import Article, Feed

REFUSED_HOSTS = [
    ("loopback", "127.0.0.1", "loopback"),
    ("loopback /8", "127.8.9.10", "loopback"),
    ("private 10/8", "10.1.2.3", "private"),
    ("private 172.16/12", "172.16.0.1", "private"),
    ("private 172.31", "172.31.255.254", "private"),
    ("private 192.168/16", "192.168.1.1", "private"),
    ("metadata", "169.254.169.254", "cloud metadata"),
    ("link-local", "169.254.1.1", "link-local"),
    ("CGNAT", "100.64.0.1", "CGNAT"),
    ("unspecified", "0.0.0.0", "unspecified"),
    ("multicast", "224.0.0.1", "multicast"),
    ("broadcast", "255.255.255.255", "refused"),
    ("reserved 240/4", "240.0.0.1", "refused"),
    ("IPv6 loopback", "::1", "loopback"),
    ("IPv6 bracketed", "[::1]", "loopback"),
    ("IPv6 unique local", "fd12:3456::1", "private"),
    ("IPv6 metadata", "fd00:ec2::254", "cloud metadata"),
    ("IPv6 link-local", "fe80::1", "link-local"),
    ("IPv4-mapped IPv6", "::ffff:127.0.0.1", "embeds 127.0.0.1"),
    ("IPv4-mapped private", "::ffff:10.0.0.1", "embeds 10.0.0.1"),
    ("NAT64 of private", "64:ff9b::a00:1", "embeds 10.0.0.1"),
    ("6to4 of loopback", "2002:7f00:1::1", "embeds 127.0.0.1"),
    ("decimal", "2130706433", "loopback"),
    ("octal", "0177.0.0.1", "loopback"),
    ("hex", "0x7f.1", "loopback"),
    ("short form", "127.1", "loopback"),
    ("octal private", "012.0.0.1", "private"),
    ("localhost name", "localhost", "resolves to 127.0.0.1"),
]
PUBLIC_HOSTS = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700::1111"]


@pytest.mark.parametrize("host,words", [c[1:] for c in REFUSED_HOSTS],
                         ids=[c[0] for c in REFUSED_HOSTS])
def test_non_public_addresses_are_refused(host, words):
    reason = refusal(host, resolve(host))
    assert reason is not None and words in reason


@pytest.mark.parametrize("host", PUBLIC_HOSTS)
def test_public_addresses_pass(host):
    assert refusal(host, resolve(host)) is None


def test_one_bad_record_refuses_the_host():
    addresses = [literal_address("93.184.216.34"), literal_address("10.0.0.1")]
    assert "private" in refusal("mixed.example", addresses)


def _check(url: str, **kwargs) -> str | None:
    guard = SSRFGuardMiddleware(allow_private=kwargs.pop("allow_private", False), **kwargs)

    async def go():
        try:
            await guard.process_request(Request(url))
        except IgnoreRequest as exc:
            return str(exc)
        return None

    return asyncio.run(go())


URLS = [
    ("file scheme", "file:///etc/passwd", "scheme file"),
    ("ftp scheme", "ftp://127.0.0.1/x", "scheme ftp"),
    ("gopher scheme", "gopher://127.0.0.1:70/_x", "scheme gopher"),
    ("data scheme", "data:text/plain,hi", "scheme data"),
    ("loopback URL", "http://127.0.0.1:8000/feed", "loopback"),
    ("localhost URL", "http://localhost/feed", "loopback"),
    ("userinfo trick", "http://93.184.216.34@127.0.0.1/", "loopback"),
    ("IPv6 URL", "http://[::1]:8080/", "loopback"),
    ("mapped IPv6 URL", "http://[::ffff:127.0.0.1]/", "loopback"),
    ("decimal URL", "http://2130706433/", "loopback"),
    ("octal URL", "http://0177.0.0.1/", "loopback"),
    ("hex URL", "http://0x7f.1/", "loopback"),
    ("metadata URL", "http://169.254.169.254/latest/meta-data/", "cloud metadata"),
    ("private https", "https://192.168.0.10/", "private"),
]


@pytest.mark.parametrize("url,words", [c[1:] for c in URLS], ids=[c[0] for c in URLS])
def test_guard_refuses(url, words):
    reason = _check(url)
    assert reason is not None and words in reason


def test_guard_passes_public_literals():
    assert _check("http://93.184.216.34/feed.xml") is None
    assert _check("https://[2606:4700::1111]/") is None


def test_allow_private_addresses_still_fetches_only_http():
    assert _check("http://127.0.0.1:8000/", allow_private=True) is None
    assert "scheme file" in _check("file:///etc/passwd", allow_private=True)


def test_only_origins_refuses_everything_else_without_resolving():
    only = ["127.0.0.1:8000"]
    assert _check("http://127.0.0.1:8000/a", only=only, allow_private=True) is None
    assert "outside BEATWIRE_ONLY_ORIGINS" in _check("http://example.org/", only=only)
    assert "outside BEATWIRE_ONLY_ORIGINS" in _check("http://no-such-host.invalid/", only=only)


def test_exempt_origin_is_exactly_that_host_and_port():
    assert _check("http://127.0.0.1:8000/a", exempt=["127.0.0.1:8000"]) is None
    assert "loopback" in _check("http://127.0.0.1:8001/a", exempt=["127.0.0.1:8000"])
    assert "loopback" in _check("http://localhost:8000/a", exempt=["127.0.0.1:8000"])


# -- end to end: the real crawl never contacts a refused address ---------------------------


def _origin(site) -> str:
    return f"127.0.0.1:{site.port}"


def test_feed_on_a_private_address_is_refused_and_never_fetched(
        feed_site, make_config, run_crawl, sessions):
    feed_site.route("/feed.xml", rss_feed([{"title": "x", "guid": "x", "summary": "x"}]))
    url = f"http://localhost:{feed_site.port}/feed.xml"
    config = make_config([{"name": "Local", "url": url}], allow_private_addresses=False)

    run_crawl(config, [{"do": "cycle"}])

    assert feed_site.requests == []
    with sessions() as session:
        feed = session.scalar(select(Feed))
        assert feed.status == "error"
        assert "refused non-public address: localhost resolves to 127.0.0.1" in feed.last_error


def test_redirects_to_private_addresses_are_refused(feed_site, make_config, run_crawl,
                                                    sessions):
    port = feed_site.port
    feed_site.route("/secret.xml", rss_feed([{"title": "secret", "guid": "s", "summary": "s"}]))
    feed_site.redirect("/to-localhost.xml", f"http://localhost:{port}/secret.xml")
    feed_site.redirect("/to-metadata.xml", "http://169.254.169.254/latest/meta-data/")
    feed_site.redirect("/to-decimal.xml", f"http://2130706433:{port}/secret.xml")
    feed_site.redirect("/to-file.xml", "file:///etc/passwd")
    feeds = [{"name": n, "url": feed_site.url(f"/{n}.xml")}
             for n in ("to-localhost", "to-metadata", "to-decimal", "to-file")]
    config = make_config(feeds, allow_private_addresses=False)

    result = run_crawl(config, [{"do": "cycle"}], ssrf_exempt=[_origin(feed_site)])

    assert not feed_site.fetched("/secret.xml")
    with sessions() as session:
        errors = {f.name: f.last_error for f in session.scalars(select(Feed))}
    assert "localhost resolves to 127.0.0.1" in errors["to-localhost"], result["log"][-6000:]
    assert "cloud metadata" in errors["to-metadata"]
    assert "2130706433 is 127.0.0.1" in errors["to-decimal"]
    assert "redirect not followed" in errors["to-file"]


def test_article_links_to_private_addresses_keep_the_summary_unfetched(
        feed_site, make_config, run_crawl, sessions):
    port = feed_site.port
    feed_site.route("/private.html", "<html><body><p>internal admin page</p></body></html>")
    feed_site.redirect("/hop.html", f"http://localhost:{port}/private.html")
    links = {
        "localhost": f"http://localhost:{port}/private.html",
        "mapped": f"http://[::ffff:127.0.0.1]:{port}/private.html",
        "octal": f"http://0177.0.0.1:{port}/private.html",
        "private": "http://10.0.0.1/private.html",
        "redirect": feed_site.url("/hop.html"),
    }
    feed_site.route("/feed.xml", rss_feed([
        {"title": name, "link": link, "guid": name, "summary": f"summary {name}"}
        for name, link in links.items()]))
    config = make_config([{"name": "News", "url": feed_site.url("/feed.xml")}],
                         allow_private_addresses=False)

    run_crawl(config, [{"do": "cycle"}], ssrf_exempt=[_origin(feed_site)])

    assert not feed_site.fetched("/private.html")
    assert feed_site.fetched("/hop.html")
    with sessions() as session:
        articles = {a.title: a for a in session.scalars(select(Article))}
    assert set(articles) == set(links)
    for name, article in articles.items():
        assert (article.text_source, article.text) == ("summary", f"summary {name}")


def test_connection_time_resolution_is_checked_too(feed_site, make_config, run_crawl, sessions):
    """A name that passed the pre-request check (as after DNS rebinding) is still refused
    when the connection resolves it: the exemption lets `localhost` past the middleware
    only, and the reactor's resolver refuses the loopback answer."""
    feed_site.route("/feed.xml", rss_feed([{"title": "x", "guid": "x", "summary": "x"}]))
    url = f"http://localhost:{feed_site.port}/feed.xml"
    config = make_config([{"name": "Rebound", "url": url}], allow_private_addresses=False)

    run_crawl(config, [{"do": "cycle"}], ssrf_exempt=[f"localhost:{feed_site.port}"])

    assert feed_site.requests == []
    with sessions() as session:
        error = session.scalar(select(Feed.last_error))
    assert "refused non-public address: localhost resolves to 127.0.0.1" in error
