"""A local feed site: a real HTTP server on 127.0.0.1 serving feeds, pages and faults.

Routes are registered per path (exact match, query string ignored) or served
from a directory. Every 200 carries a strong ETag and a Last-Modified, and a
conditional GET that matches gets 304. Faults on demand, per path:

    site.route("/feed.xml", rss_feed(entries))          # content, 304-aware
    site.status("/gone", 410)                           # any status
    site.status("/busy", 429, retry_after=120)          # 429/503 with Retry-After
    site.redirect("/a", "/b")                           # to a path or a full URL
    site.redirect_chain("/r", 3, "/feed.xml")           # /r -> /r/1 -> /r/2 -> /feed.xml
    site.redirect_loop("/loop")                         # /loop -> /loop/x -> /loop ...
    site.trickle("/slow", 100)                          # one byte a second
    site.endless("/never")                              # a body that never ends
    site.oversized("/big", 20_000_000)                  # a body over the size cap
    site.gzip_bomb("/bomb", 200_000_000)                # gzip of that many zeros
    site.sequence("/flaky", [resp1, resp2])             # one answer per request, last repeats

`site.requests` logs every request (path, headers) so tests can assert on
conditional headers and on URLs that must never be fetched. The `feed_site`
fixture shares one server across the session and resets routes and log per test.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import pytest

LAST_MODIFIED = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
CONTENT_TYPES = {".xml": "application/rss+xml", ".rss": "application/rss+xml",
                 ".atom": "application/atom+xml", ".rdf": "application/rdf+xml",
                 ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
                 ".txt": "text/plain; charset=utf-8", ".json": "application/json"}


@dataclass(frozen=True)
class Logged:
    """One request the site received."""

    method: str
    path: str  # with its query string
    headers: dict[str, str]  # lower-case names

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Reply:
    """A programmed answer: status, headers and a body (bytes, or a writer for streams)."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    validators: bool = True  # strong ETag + Last-Modified, 304 on a matching conditional GET
    stream: Callable[[BaseHTTPRequestHandler, threading.Event], None] | None = None


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


class FeedSite:
    """The server, its routes and its request log."""

    def __init__(self) -> None:
        self._routes: dict[str, Reply | list[Reply]] = {}
        self._dirs: list[tuple[str, Path]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.requests: list[Logged] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="feed-site")

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> FeedSite:
        self._thread.start()
        return self

    def shutdown(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        """Forget routes, directories and the request log; end streams in progress."""
        self._stop.set()
        with self._lock:
            self._routes.clear()
            self._dirs.clear()
            self.requests.clear()
        self._stop = threading.Event()

    def url(self, path: str) -> str:
        """The absolute URL of `path` on this site."""
        return self.base_url + (path if path.startswith("/") else "/" + path)

    # -- routes --------------------------------------------------------------

    def route(self, path: str, body: bytes | str = b"", *, status: int = 200,
              content_type: str | None = None, headers: dict | None = None,
              validators: bool = True) -> None:
        """Serve `body` at `path` (with ETag/Last-Modified and 304 unless validators=False)."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        kind = content_type or CONTENT_TYPES.get(Path(path).suffix, "text/html; charset=utf-8")
        self._set(path, Reply(status, data, kind, dict(headers or {}), validators))

    def serve_dir(self, root: str | Path, prefix: str = "/") -> None:
        """Serve the files under `root` at `prefix` (e.g. a corpus of feeds)."""
        with self._lock:
            self._dirs.append((prefix.rstrip("/") + "/", Path(root)))

    def sequence(self, path: str, replies: list[Reply]) -> None:
        """Answer successive requests with `replies` in turn; the last one repeats."""
        self._set(path, list(replies))

    def status(self, path: str, code: int, *, retry_after: int | str | None = None,
               body: bytes = b"error") -> None:
        """Answer `code` (with Retry-After if given) at `path`."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self._set(path, Reply(code, body, "text/plain", headers, validators=False))

    def redirect(self, path: str, to: str, code: int = 302) -> None:
        """Redirect `path` to `to` (a path on this site or any URL)."""
        location = self.url(to) if to.startswith("/") else to
        self._set(path, Reply(code, b"", "text/plain", {"Location": location}, False))

    def redirect_chain(self, path: str, hops: int, to: str) -> None:
        """`path` -> `path`/1 -> ... -> `path`/`hops-1` -> `to`."""
        steps = [path] + [f"{path}/{i}" for i in range(1, hops)]
        for here, there in zip(steps, steps[1:] + [to], strict=True):
            self.redirect(here, there)

    def redirect_loop(self, path: str) -> None:
        """`path` and `path`/x redirect to each other forever."""
        self.redirect(path, path + "/x")
        self.redirect(path + "/x", path)

    def trickle(self, path: str, size: int = 3600, *, every: float = 1.0,
                content_type: str = "application/rss+xml") -> None:
        """A body of `size` bytes sent one byte per `every` seconds."""
        self._set(path, Reply(200, b"", content_type, {"Content-Length": str(size)}, False,
                              stream=_trickle(size, every)))

    def endless(self, path: str, content_type: str = "application/rss+xml") -> None:
        """A response whose body never ends (no length; writes until the client leaves)."""
        self._set(path, Reply(200, b"", content_type, {}, False, stream=_endless))

    def oversized(self, path: str, size: int, content_type: str = "application/rss+xml") -> None:
        """A body of `size` bytes with an honest Content-Length."""
        self._set(path, Reply(200, b"", content_type, {"Content-Length": str(size)}, False,
                              stream=_zeros(size)))

    def gzip_bomb(self, path: str, size: int, content_type: str = "application/rss+xml") -> None:
        """Content-Encoding: gzip of `size` zero bytes (a few hundred KB on the wire)."""
        body = gzip_zeros(size)
        self._set(path, Reply(200, body, content_type, {"Content-Encoding": "gzip"}, False))

    def _set(self, path: str, reply: Reply | list[Reply]) -> None:
        with self._lock:
            self._routes[path] = reply

    # -- the log -------------------------------------------------------------

    def requests_for(self, path: str) -> list[Logged]:
        """Requests whose path (without query) is `path`."""
        with self._lock:
            return [r for r in self.requests if urlsplit(r.path).path == path]

    def fetched(self, path: str) -> bool:
        """True if `path` was requested at least once."""
        return bool(self.requests_for(path))

    # -- answering (called by the handler thread) ----------------------------

    def _log(self, handler: BaseHTTPRequestHandler) -> None:
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self._lock:
            self.requests.append(Logged(handler.command, handler.path, headers))

    def _reply_for(self, path: str) -> Reply | None:
        with self._lock:
            reply = self._routes.get(path)
            if isinstance(reply, list):
                return reply.pop(0) if len(reply) > 1 else reply[0]
            if reply is not None:
                return reply
            dirs = list(self._dirs)
        return _from_dirs(dirs, path)


def _from_dirs(dirs: list[tuple[str, Path]], path: str) -> Reply | None:
    for prefix, root in dirs:
        if not path.startswith(prefix):
            continue
        candidate = (root / path[len(prefix):]).resolve()
        if root.resolve() in candidate.parents and candidate.is_file():
            kind = CONTENT_TYPES.get(candidate.suffix.lower(), "application/octet-stream")
            return Reply(200, candidate.read_bytes(), kind)
    return None


def _not_modified(handler: BaseHTTPRequestHandler, etag: str) -> bool:
    if_none_match = handler.headers.get("If-None-Match")
    if if_none_match is not None:
        return etag in [tag.strip() for tag in if_none_match.split(",")] or if_none_match == "*"
    since = handler.headers.get("If-Modified-Since")
    try:
        return since is not None and parsedate_to_datetime(since) >= LAST_MODIFIED
    except (TypeError, ValueError):
        return False


def _handler_for(site: FeedSite):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "FeedSite/1.0"

        def log_message(self, format, *args):  # keep test output quiet
            pass

        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            site._log(self)
            reply = site._reply_for(urlsplit(self.path).path)
            if reply is None:
                reply = Reply(404, b"not found", "text/plain", validators=False)
            try:
                _send(self, reply, site._stop)
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                self.close_connection = True

    return Handler


def _send(handler: BaseHTTPRequestHandler, reply: Reply, stop: threading.Event) -> None:
    etag = _etag(reply.body) if reply.validators and reply.status == 200 else None
    if etag and _not_modified(handler, etag):
        handler.send_response(304)
        handler.send_header("ETag", etag)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return
    handler.send_response(reply.status)
    handler.send_header("Content-Type", reply.content_type)
    for name, value in reply.headers.items():
        handler.send_header(name, value)
    if etag:
        handler.send_header("ETag", etag)
        handler.send_header("Last-Modified", format_datetime(LAST_MODIFIED, usegmt=True))
    if reply.stream is not None:
        if "Content-Length" not in reply.headers:
            handler.send_header("Connection", "close")
            handler.close_connection = True
        handler.end_headers()
        reply.stream(handler, stop)
        return
    handler.send_header("Content-Length", str(len(reply.body)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(reply.body)


def _trickle(size: int, every: float):
    def stream(handler, stop):
        for _ in range(size):
            if stop.wait(every):
                break
            handler.wfile.write(b" ")
            handler.wfile.flush()
        handler.close_connection = True

    return stream


def _endless(handler, stop):
    handler.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>')
    chunk = b"<item><title>again</title></item>" * 100
    while not stop.is_set():
        handler.wfile.write(chunk)
        handler.wfile.flush()
        time.sleep(0.01)


def _zeros(size: int):
    def stream(handler, stop):
        block = b" " * 65536
        left = size
        while left > 0 and not stop.is_set():
            handler.wfile.write(block[:left])
            left -= len(block)

    return stream


def gzip_zeros(size: int) -> bytes:
    """gzip of `size` zero bytes, compressed in chunks (never `size` bytes in memory)."""
    out = io.BytesIO()
    block = b"\0" * (1 << 20)
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as zipped:
        for _ in range(size // len(block)):
            zipped.write(block)
        zipped.write(b"\0" * (size % len(block)))
    return out.getvalue()


# -- feed documents -----------------------------------------------------------


def _date(value) -> str:
    if isinstance(value, datetime):
        return format_datetime(value.astimezone(timezone.utc), usegmt=True)
    return str(value)


def _rss_item(entry: dict) -> str:
    parts = []
    for key, tag in (("title", "title"), ("link", "link"), ("summary", "description")):
        if entry.get(key) is not None:
            parts.append(f"<{tag}>{escape(entry[key])}</{tag}>")
    if entry.get("guid") is not None:
        permalink = "true" if entry.get("guid_is_link") else "false"
        parts.append(f'<guid isPermaLink="{permalink}">{escape(entry["guid"])}</guid>')
    if entry.get("published") is not None:
        parts.append(f"<pubDate>{escape(_date(entry['published']))}</pubDate>")
    return "<item>" + "".join(parts) + "</item>"


def rss_feed(entries: list[dict], *, title: str = "Test feed", link: str = "") -> str:
    """RSS 2.0 with one <item> per entry dict (title, link, guid, summary, published)."""
    items = "\n".join(_rss_item(entry) for entry in entries)
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>{escape(title)}</title><link>{escape(link)}</link>"
            f"<description>test</description>\n{items}\n</channel></rss>\n")


def _atom_entry(entry: dict) -> str:
    parts = []
    if entry.get("title") is not None:
        parts.append(f"<title>{escape(entry['title'])}</title>")
    if entry.get("link") is not None:
        parts.append(f'<link rel="alternate" href="{escape(entry["link"], {chr(34): "&quot;"})}"/>')
    if entry.get("guid") is not None:
        parts.append(f"<id>{escape(entry['guid'])}</id>")
    if entry.get("summary") is not None:
        parts.append(f'<summary type="html">{escape(entry["summary"])}</summary>')
    if entry.get("published") is not None:
        value = entry["published"]
        stamp = value.isoformat() if isinstance(value, datetime) else str(value)
        parts.append(f"<updated>{escape(stamp)}</updated>")
    return "<entry>" + "".join(parts) + "</entry>"


def atom_feed(entries: list[dict], *, title: str = "Test feed") -> str:
    """Atom 1.0 with one <entry> per entry dict (title, link, guid, summary, published)."""
    body = "\n".join(_atom_entry(entry) for entry in entries)
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{escape(title)}</title><id>urn:test:feed</id>"
            f"<updated>2024-05-01T12:00:00Z</updated>\n{body}\n</feed>\n")


def article_page(title: str, paragraphs: list[str], *, extra_head: str = "") -> str:
    """An HTML article page with navigation and footer around the main text."""
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (f"<!doctype html><html><head><title>{escape(title)}</title>{extra_head}</head>"
            f"<body><nav><a href='/'>Home</a> | <a href='/about'>About</a></nav>"
            f"<article><h1>{escape(title)}</h1>{body}</article>"
            f"<footer>Copyright 2024 Test News</footer></body></html>")


def many_entries(count: int, link_base: str) -> list[dict]:
    """`count` generated entries, newest first, linking under `link_base`."""
    start = datetime(2024, 5, 1, tzinfo=timezone.utc).timestamp()
    return [{"title": f"Item {i}", "link": f"{link_base}/item/{i}", "guid": f"item-{i}",
             "summary": f"Summary of item {i}.",
             "published": datetime.fromtimestamp(start - i * 60, tz=timezone.utc)}
            for i in range(count)]


_site: FeedSite | None = None


def _shared_site() -> FeedSite:
    global _site
    if _site is None:
        _site = FeedSite().start()
    return _site


@pytest.fixture
def feed_site() -> FeedSite:
    """The session's feed site on 127.0.0.1, with no routes and an empty log."""
    site = _shared_site()
    site.reset()
    yield site
    site.reset()


__all__ = ["FeedSite", "Reply", "Logged", "feed_site", "rss_feed", "atom_feed",
           "article_page", "many_entries", "gzip_zeros"]
