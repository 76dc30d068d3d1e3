"""Short, clear, one-line errors for failed fetches (stored on the feed, logged)."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from urllib.parse import urlsplit

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
from twisted.internet.error import ConnectError, ConnectionLost, DNSLookupError, TimeoutError

from db.feeds import clean_error

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


def describe_failure(failure, *, timeout: float | None = None, max_bytes: int | None = None) -> str:
    """One line saying why a download failed, with no secrets in it."""
    exc = failure.value
    table = (
        (HttpError, lambda: http_error(exc.response.status)),
        (IgnoreRequest, lambda: _ignored(exc)),
        ((DownloadTimeoutError, TimeoutError),
         lambda: f"timed out after {timeout:g}s" if timeout else "timed out"),
        ((CannotResolveHostError, DNSLookupError),
         lambda: _dns(exc, getattr(failure, "request", None))),
        ((DownloadConnectionRefusedError, ConnectError), lambda: "connection refused"),
        (DownloadCancelledError,
         lambda: f"response over the size cap ({max_bytes} bytes)" if max_bytes else
         "download cancelled (over the size cap?)"),
        ((ResponseDataLossError, DownloadFailedError, ConnectionLost),
         lambda: "connection lost before the response was complete"),
    )
    for kinds, describe in table:
        if isinstance(exc, kinds):
            return clean_error(describe())
    return clean_error(f"{type(exc).__name__}: {exc}")


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
