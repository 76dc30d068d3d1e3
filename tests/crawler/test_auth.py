"""Feed credentials: basic auth reaches the feed's own origin, and nothing else sees them.

The protected site is a real HTTP server on 127.0.0.1 that answers 401 unless
the request carries the right basic-auth header, and logs every request's Host
and Authorization. The password must then appear nowhere: not in the crawl's
log, not in any table.
"""

from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from servers.feed_site import article_page, rss_feed
from sqlalchemy import select

from db.models import Article, Feed, FetchLog

pytestmark = pytest.mark.timeout(240)

USER, PASSWORD = "reporter", "s3cret-Pa55"
PASSWORD_ENV = "BEATWIRE_TEST_FEED_PASSWORD"
TEXT = ("The sheriff said deputies will keep honouring detainer requests from federal "
        "immigration authorities, as they have for years, under the county's agreement.")


class ProtectedSite:
    """Routes served only with the right basic auth (401 otherwise), plus open redirects."""

    def __init__(self):
        self.expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        self.routes: dict[str, bytes] = {}
        self.redirects: dict[str, str] = {}
        self.requests: list[tuple[str, str, str | None]] = []  # (host, path, authorization)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str, *, host: str = "127.0.0.1", userinfo: str = "") -> str:
        return f"http://{userinfo}{host}:{self.port}{path}"

    def authorizations(self, path: str, host: str = "127.0.0.1") -> list[str | None]:
        """The Authorization header of each request for `path` on `host`."""
        return [auth for h, p, auth in self.requests
                if p == path and h.split(":")[0] == host]

    def _handler(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                auth = self.headers.get("Authorization")
                site.requests.append((self.headers.get("Host", ""), self.path, auth))
                if self.path in site.redirects:
                    self._reply(302, b"", {"Location": site.redirects[self.path]})
                elif auth != site.expected:
                    self._reply(401, b"who are you?", {"WWW-Authenticate": 'Basic realm="x"'})
                elif self.path in site.routes:
                    kind = "application/rss+xml" if self.path.endswith(".xml") else "text/html"
                    self._reply(200, site.routes[self.path], {"Content-Type": kind})
                else:
                    self._reply(404, b"not found", {})

            def _reply(self, status, body, headers):
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

        return Handler


@pytest.fixture
def protected():
    site = ProtectedSite()
    site.routes["/story.html"] = article_page("Protected story", [TEXT, TEXT]).encode()
    site.routes["/feed.xml"] = rss_feed([{"title": "Protected story", "guid": "p1",
                                          "link": site.url("/story.html")}]).encode()
    yield site
    site.server.shutdown()
    site.server.server_close()


def _stored_text(session) -> str:
    """Every URL and error the crawl stored, as one text to search for the password."""
    values = [*session.scalars(select(Feed.url)), *session.scalars(select(Feed.last_error)),
              *session.scalars(select(FetchLog.error)), *session.scalars(select(Article.url))]
    return " ".join(str(v) for v in values)


CREDENTIALS = [
    ("in the url", lambda site: {"url": site.url("/feed.xml", userinfo=f"{USER}:{PASSWORD}@")},
     f"{USER}:***@"),
    ("from password_env", lambda site: {"url": site.url("/feed.xml"), "username": USER,
                                        "password_env": PASSWORD_ENV}, None),
    ("user in the url, password_env",
     lambda site: {"url": site.url("/feed.xml", userinfo=f"{USER}@"), "password_env": PASSWORD_ENV},
     "***@"),
]


@pytest.mark.parametrize("feed,stored_as", [c[1:] for c in CREDENTIALS],
                         ids=[c[0] for c in CREDENTIALS])
def test_basic_auth_reaches_the_protected_feed_and_its_pages(
        feed, stored_as, protected, make_config, run_crawl, sessions, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    config = make_config([{"name": "Protected", **feed(protected)}], obey_robots_txt=True)

    result = run_crawl(config, [{"do": "cycle"}])

    assert protected.authorizations("/feed.xml") == [protected.expected]
    assert protected.authorizations("/story.html") == [protected.expected]
    with sessions() as session:
        stored = session.scalar(select(Feed))
        assert (stored.status, stored.last_error) == ("ok", None)
        article = session.scalar(select(Article))
        assert article.text_source == "page" and article.url == protected.url("/story.html")
        assert PASSWORD not in _stored_text(session)
        assert stored_as is None or stored_as in stored.url
    assert PASSWORD not in result["log"]
    assert [auth for _, path, auth in protected.requests if path == "/robots.txt"] == [None]


def test_a_wrong_password_is_one_clear_error_without_the_password(
        protected, make_config, run_crawl, sessions):
    url = protected.url("/feed.xml", userinfo=f"{USER}:wrong-{PASSWORD}@")
    config = make_config([{"name": "Protected", "url": url}])

    result = run_crawl(config, [{"do": "cycle"}])

    with sessions() as session:
        stored = session.scalar(select(Feed))
        assert (stored.status, stored.last_error) == ("error", "HTTP 401 Unauthorized")
        assert PASSWORD not in _stored_text(session)
    assert PASSWORD not in result["log"] and "Traceback" not in result["log"]


REDIRECTS = [
    # (id, where /moved.xml sends the crawler, authorizations seen there, feed status)
    ("same origin keeps it", lambda site, other: site.url("/feed.xml"), "expected", "ok"),
    ("other host, same port", lambda site, other: site.url("/feed.xml", host="localhost"),
     None, "error"),
    ("other port", lambda site, other: other.url("/feed.xml"), None, "ok"),
]


@pytest.mark.parametrize("target,seen,status", [c[1:] for c in REDIRECTS],
                         ids=[c[0] for c in REDIRECTS])
def test_credentials_do_not_follow_a_redirect_to_another_origin(
        target, seen, status, protected, feed_site, make_config, run_crawl, sessions):
    feed_site.route("/feed.xml", rss_feed([{"title": "Open story", "guid": "o1",
                                            "summary": "An open feed."}]))
    protected.redirects["/moved.xml"] = target(protected, feed_site)
    url = protected.url("/moved.xml", userinfo=f"{USER}:{PASSWORD}@")
    config = make_config([{"name": "Moved", "url": url}])

    run_crawl(config, [{"do": "cycle"}])

    assert protected.authorizations("/moved.xml") == [protected.expected]
    hop = [*protected.authorizations("/feed.xml"),
           *protected.authorizations("/feed.xml", host="localhost"),
           *(r.header("Authorization") for r in feed_site.requests_for("/feed.xml"))]
    assert hop == [protected.expected if seen == "expected" else None]
    with sessions() as session:
        assert session.scalar(select(Feed.status)) == status


def test_a_missing_password_variable_fails_that_feed_naming_it(
        protected, make_config, run_crawl, sessions, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    config = make_config([{"name": "Protected", "url": protected.url("/feed.xml"),
                           "username": USER, "password_env": PASSWORD_ENV}])

    run_crawl(config, [{"do": "cycle"}])

    assert protected.requests == []
    with sessions() as session:
        stored = session.scalar(select(Feed))
        assert stored.status == "error" and PASSWORD_ENV in stored.last_error


def test_ssrf_guard_refuses_a_loopback_feed_with_credentials(protected, make_config, run_crawl,
                                                             sessions):
    url = protected.url("/feed.xml", userinfo=f"{USER}:{PASSWORD}@")
    config = make_config([{"name": "Sneaky", "url": url}], allow_private_addresses=False)

    result = run_crawl(config, [{"do": "cycle"}])

    assert protected.requests == []
    with sessions() as session:
        stored = session.scalar(select(Feed))
        assert stored.status == "error" and "loopback" in stored.last_error
        assert PASSWORD not in _stored_text(session)
    assert PASSWORD not in result["log"]
