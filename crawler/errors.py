"""Short, clear, one-line errors for failed fetches (stored on the feed, logged).

Expected network failures (DNS, refused, reset, timeout, TLS, size cap) are
described in one line; `is_expected` tells them from bugs, which keep their
traceback. `LogFormatter` (Scrapy's LOG_FORMATTER) names an item by its feed
and URL instead of dumping it (page HTML, article text) on extra lines.
"""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from urllib.parse import urlsplit

from OpenSSL import SSL
from scrapy import logformatter
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectError,
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    TimeoutError,
)
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from db.feeds import clean_error
from items import redact_url

# What a remote host can do to a download: answered by one line, never a traceback.
EXPECTED = (IgnoreRequest, HttpError, DownloadTimeoutError, TimeoutError, CannotResolveHostError,
            DNSLookupError, DownloadConnectionRefusedError, ConnectError, DownloadCancelledError,
            ResponseDataLossError, DownloadFailedError, ConnectionLost, ResponseFailed,
            SSL.Error)

# Scrapy's own IgnoreRequest texts, said plainly.
_IGNORED = {
    "max redirections reached": "too many redirects (a redirect loop?)",
    "Forbidden by robots.txt": "forbidden by robots.txt",
}


def http_error(status: int) -> str:
    """'HTTP 404 Not Found'; a redirect Scrapy would not follow says so."""
    try:
        text = f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        text = f"HTTP {status}"
    if 300 <= status < 400:
        text += ": redirect not followed (no Location, or not to an http(s) URL)"
    return text


def _ignored(exc: IgnoreRequest) -> str:
    text = str(exc)
    if "during decompression" in text:
        return "response too large once decompressed (over the size cap; a gzip bomb?)"
    return _IGNORED.get(text, text or "request refused")


def _dns(exc: Exception, request) -> str:
    from crawler.resolver import refusal_for

    host = urlsplit(request.url).hostname if request is not None else None
    refused = refusal_for(host) if host else None
    return refused or (f"DNS lookup failed for {host}" if host else "DNS lookup failed")


def _causes(exc: BaseException) -> list[BaseException]:
    """`exc`, what it was raised from, and the failures Twisted wrapped in it."""
    seen, todo = [], [exc]
    while todo and len(seen) < 10:
        current = todo.pop(0)
        seen.append(current)
        if current.__cause__ is not None:
            todo.append(current.__cause__)
        if isinstance(current, ResponseFailed):
            todo.extend(reason.value for reason in current.reasons)
    return seen


def _tls(causes: list[BaseException]) -> str | None:
    for cause in causes:
        if isinstance(cause, SSL.Error):
            reasons = [part[2] for part in (cause.args[0] if cause.args else ())
                       if isinstance(part, tuple) and len(part) == 3 and part[2]]
            return "TLS handshake failed" + (f": {', '.join(reasons)}" if reasons else "")
    return None


def _lost(causes: list[BaseException]) -> str:
    if any(isinstance(cause, ResponseNeverReceived) for cause in causes):
        return "connection closed or reset before any response"
    return "connection lost before the response was complete"


def is_expected(exc: BaseException) -> bool:
    """True for what a remote host can cause (answered in one line), False for a bug."""
    return isinstance(exc, EXPECTED)


def describe_failure(failure, *, timeout: float | None = None, max_bytes: int | None = None) -> str:
    """One line saying why a download failed, with no secrets in it."""
    return describe_error(failure.value, getattr(failure, "request", None), timeout=timeout,
                          max_bytes=max_bytes)


def describe_error(exc: BaseException, request=None, *, timeout: float | None = None,
                   max_bytes: int | None = None) -> str:
    """One line saying why the download of `request` failed with `exc`, with no secrets in it."""
    causes = _causes(exc)
    table = (
        (HttpError, lambda: http_error(exc.response.status)),
        (IgnoreRequest, lambda: _ignored(exc)),
        ((DownloadTimeoutError, TimeoutError),
         lambda: f"timed out after {timeout:g}s" if timeout else "timed out"),
        ((CannotResolveHostError, DNSLookupError), lambda: _dns(exc, request)),
        ((DownloadConnectionRefusedError, ConnectionRefusedError), lambda: "connection refused"),
        # No route, network unreachable, ...: Twisted's text without its preamble.
        (ConnectError, lambda: "cannot connect: " + str(exc).removeprefix(
            "An error occurred while connecting: ").rstrip(".")),
        (DownloadCancelledError,
         lambda: f"response over the size cap ({max_bytes} bytes)" if max_bytes else
         "download cancelled (over the size cap?)"),
        ((ResponseDataLossError, DownloadFailedError, ConnectionLost, ResponseFailed, SSL.Error),
         lambda: _tls(causes) or _lost(causes)),
    )
    for kinds, describe in table:
        if isinstance(exc, kinds):
            return clean_error(describe())
    return clean_error(redact_url(f"{type(exc).__name__}: {exc}"))


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), or None."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def _item(item) -> str:
    article = getattr(item, "article", item)
    return (f"feed={getattr(article, 'feed', '-')} "
            f"url={redact_url(str(getattr(article, 'url', type(item).__name__)))}")


class LogFormatter(logformatter.LogFormatter):
    """Scrapy's item lines, each one line naming the item's feed and URL, never its text."""

    def scraped(self, item, response, spider):
        entry = super().scraped(item, response, spider)
        return {**entry, "msg": "item scraped %(item)s", "args": {"item": _item(item)}}

    def dropped(self, item, exception, response, spider):
        entry = super().dropped(item, exception, response, spider)
        return {**entry, "msg": "item dropped %(item)s reason=%(reason)s",
                "args": {"item": _item(item), "reason": redact_url(str(exception))}}

    def item_error(self, item, exception, response, spider):
        entry = super().item_error(item, exception, response, spider)
        return {**entry, "msg": "item error %(item)s", "args": {"item": _item(item)}}
