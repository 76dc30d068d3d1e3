"""Every fault of the local site gives a clear error on that feed only, in one cycle."""

from __future__ import annotations

import json
import logging
import os
import socket
import struct
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from servers.feed_site import article_page, rss_feed
from sqlalchemy import select
from support import netns_available

from db.models import Article, Feed, FetchLog

REPO = Path(__file__).resolve().parents[2]

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
    assert "Traceback" not in result["log"] and " ERROR " not in result["log"]
    for name, (status, _, _) in EXPECTED.items():
        lines = _lines_about(result["log"], name)
        assert len(lines) == 1, (name, result["log"][-4000:])
        # Gone is dead at once: someone should look. The rest back off and retry quietly.
        assert (" WARNING " if status == "gone" else " INFO ") in lines[0], lines
    for path in ("/oversized.xml", "/bomb.xml"):  # Scrapy's own size-cap warning says it twice
        lines = [line for line in result["log"].splitlines() if path in line]
        assert len(lines) == 1 and "feed poll failed" in lines[0], lines
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


# -- network failures: one line each, never a traceback ------------------------------------


class RawServer:
    """A TCP server on 127.0.0.1 that reads a request and then misbehaves: `reset` (RST),
    `stall` (never answers) or `tls` (a TLS alert to any ClientHello)."""

    def __init__(self, behaviour: str):
        self.behaviour, self.stop = behaviour, threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        with conn:
            conn.recv(65536)
            if self.behaviour == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif self.behaviour == "stall":
                self.stop.wait(30)
            elif self.behaviour == "tls":
                conn.sendall(b"\x15\x03\x01\x00\x02\x02\x28")  # alert: handshake failure

    def close(self):
        self.stop.set()
        self.sock.close()


@pytest.fixture
def raw_servers():
    servers = {kind: RawServer(kind) for kind in ("reset", "stall", "tls")}
    yield servers
    for server in servers.values():
        server.close()


# name -> words of its one log line and of its stored error
NETWORK_FAULTS = {
    "refused": "connection refused",
    "reset": "connection closed or reset before any response",
    "stall": "timed out after 2s",
    "tls": "TLS handshake failed",
}


def _lines_about(log: str, feed: str) -> list[str]:
    """Every line naming `feed`: a failed poll must be one, and it must say the URL."""
    lines = [line for line in log.splitlines() if f"feed={feed} " in line]
    assert all(" url=" in line for line in lines), lines
    return lines


def test_network_failures_are_one_line_each_without_tracebacks(
        feed_site, raw_servers, make_config, run_crawl, sessions):
    urls = {"refused": "http://127.0.0.1:9/feed.xml",
            "reset": f"http://127.0.0.1:{raw_servers['reset'].port}/feed.xml",
            "stall": f"http://127.0.0.1:{raw_servers['stall'].port}/feed.xml",
            "tls": f"https://127.0.0.1:{raw_servers['tls'].port}/feed.xml"}
    feed_site.trickle("/robots.txt", 3600)  # robots.txt times out; the feed itself answers
    feed_site.route("/good.xml", rss_feed([{"title": "Fine", "guid": "g1", "summary": "Fine."}]))
    feeds = [{"name": name, "url": url} for name, url in urls.items()]
    feeds.append({"name": "good", "url": feed_site.url("/good.xml")})
    config = make_config(feeds, obey_robots_txt=True, download_timeout=2)

    result = run_crawl(config, [{"do": "cycle", "timeout": 90}])

    log = result["log"]
    assert "Traceback" not in log and " ERROR " not in log, log[-6000:]
    for name, words in NETWORK_FAULTS.items():
        lines = _lines_about(log, name)
        assert len(lines) == 1 and words in lines[0], (name, lines)
        assert f"url={urls[name]}" in lines[0]
    robots = [line for line in log.splitlines() if "robots.txt" in line]
    assert len(robots) == 1 and "robots.txt unreachable" in robots[0], robots
    assert "feed=good " in robots[0]
    assert f"url={feed_site.url('/robots.txt')} reason=timed out after 2s" in robots[0]
    with sessions() as session:
        stored = {f.name: f for f in session.scalars(select(Feed))}
        for name, words in NETWORK_FAULTS.items():
            assert stored[name].status == "error" and words in stored[name].last_error
        assert stored["good"].status == "ok"


@pytest.mark.skipif(not netns_available(), reason="unshare -n (a network namespace) not allowed")
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # PostgreSQL is outside the netns
@pytest.mark.parametrize("guarded", [True, False], ids=["ssrf-guard-resolves",
                                                        "reactor-resolves"])
def test_dns_failure_is_one_line(guarded, make_config, sessions):
    # In a network namespace of its own the lookup fails on this machine: nothing leaves it.
    config = make_config([{"name": "nowhere", "url": "http://nonexistent.invalid/feed.xml"}],
                         obey_robots_txt=True, allow_private_addresses=not guarded)
    job = {"config": config, "actions": [{"do": "cycle", "timeout": 60}]}
    child = Path(__file__).with_name("crawl_child.py")
    done = subprocess.run(["unshare", "-n", sys.executable, str(child)], input=json.dumps(job),
                          capture_output=True, text=True, timeout=120, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)})

    assert done.returncode == 0, done.stderr[-6000:]
    log = done.stderr
    assert "Traceback" not in log and " ERROR " not in log, log[-6000:]
    lines = _lines_about(log, "nowhere")
    assert len(lines) == 1 and "DNS lookup failed for nonexistent.invalid" in lines[0], lines
    with sessions() as session:
        feed = session.scalar(select(Feed))
        assert feed.status == "error" and "DNS lookup failed" in feed.last_error


def test_scrapy_item_lines_name_feed_and_url_never_the_text():
    from scrapy.exceptions import DropItem
    from scrapy.http import HtmlResponse, Request

    from crawler.errors import LogFormatter
    from items import ArticleItem, PageItem

    article = ArticleItem(url="https://news.example/a", title="A", published=None,
                          text=TEXT + "\nsecond paragraph", feed="News", feed_id=1, entry_key="k")
    item = PageItem(article=article, poll_id=1, html=f"<p>{TEXT}</p>")
    response = HtmlResponse("https://news.example/a", body=b"<p>x</p>",
                            request=Request("https://news.example/a"))
    formatter = LogFormatter()
    entries = [formatter.scraped(item, response, None),
               formatter.dropped(item, DropItem("detection timed out", log_level="WARNING"),
                                 response, None),
               formatter.item_error(item, ValueError("bug"), response, None)]

    for entry in entries:
        line = entry["msg"] % entry["args"]
        assert "\n" not in line and "sheriff" not in line, line
        assert "feed=News url=https://news.example/a" in line
    assert entries[1]["level"] == logging.WARNING and "reason=detection timed out" in (
        entries[1]["msg"] % entries[1]["args"])


def test_a_feed_robots_txt_forbids_is_one_line_and_not_fetched(feed_site, make_config, run_crawl,
                                                                sessions):
    feed_site.route("/robots.txt", "User-agent: *\nDisallow: /private/\n",
                    content_type="text/plain")
    feed_site.route("/private/feed.xml", rss_feed([{"title": "Hidden", "guid": "h1"}]))
    config = make_config([{"name": "private", "url": feed_site.url("/private/feed.xml")}],
                         obey_robots_txt=True)

    result = run_crawl(config, [{"do": "cycle"}])

    assert not feed_site.fetched("/private/feed.xml")
    lines = _lines_about(result["log"], "private")
    assert len(lines) == 1 and "forbidden by robots.txt" in lines[0], lines
    with sessions() as session:
        assert session.scalar(select(Feed.last_error)) == "forbidden by robots.txt"
