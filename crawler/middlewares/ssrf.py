"""SSRF guard: only http(s), and never a non-public address (see crawler.addresses).

Runs in process_request, so it sees every request Scrapy sends: feed polls,
article links, robots.txt, and each redirect hop (RedirectMiddleware hands
the new request back to the engine, which sends it through here again). A
refused request raises IgnoreRequest with a one-line reason; it is never
fetched. Resolution runs in a thread and is cached briefly per host.

Settings: BEATWIRE_ALLOW_PRIVATE_ADDRESSES (skip the address check, for local
test and demo sites), BEATWIRE_SSRF_EXEMPT ("host:port" origins let through,
a test hook), BEATWIRE_ONLY_ORIGINS (when set, every other origin is refused
without a DNS lookup: keeps test crawls of third-party feeds on 127.0.0.1),
BEATWIRE_DNS_CACHE_SECONDS.
"""

from __future__ import annotations

import asyncio
import logging
import time
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest

from crawler.addresses import AddressError, refusal, resolve
from crawler.urls import FETCHABLE_SCHEMES
from items import redact_url

log = logging.getLogger(__name__)
_CACHE_LIMIT = 10_000


class SSRFGuardMiddleware:
    """Refuses requests for other schemes and for hosts on non-public addresses."""

    def __init__(self, *, allow_private: bool, exempt=(), only=(), cache_seconds: float = 60.0,
                 stats=None):
        self.allow_private = allow_private
        self.exempt = {origin.lower() for origin in exempt}
        self.only = {origin.lower() for origin in only}
        self.cache_seconds = cache_seconds
        self.stats = stats
        self._cache: dict[str, tuple[float, str | None]] = {}

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(
            allow_private=settings.getbool("BEATWIRE_ALLOW_PRIVATE_ADDRESSES"),
            exempt=settings.getlist("BEATWIRE_SSRF_EXEMPT"),
            only=settings.getlist("BEATWIRE_ONLY_ORIGINS"),
            cache_seconds=settings.getfloat("BEATWIRE_DNS_CACHE_SECONDS", 60.0),
            stats=crawler.stats,
        )

    async def process_request(self, request):
        reason = await self.check(request.url)
        if reason:
            if self.stats:
                self.stats.inc_value("beatwire/ssrf/refused")
            # DEBUG: the request's errback (feed, article or robots.txt) says it once.
            log.debug("request refused url=%s reason=%s", redact_url(request.url), reason)
            raise IgnoreRequest(reason)
        return None

    async def check(self, url: str) -> str | None:
        """Why `url` must not be fetched, or None when it may."""
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            return "refused malformed URL"
        if parts.scheme.lower() not in FETCHABLE_SCHEMES:
            return f"refused scheme {parts.scheme or '(none)'}: only http and https are fetched"
        host = (parts.hostname or "").rstrip(".")
        if not host:
            return "refused URL without a host"
        if self.only and not self._origin_in(self.only, host, parts):
            return f"refused origin outside BEATWIRE_ONLY_ORIGINS: {host}"
        if self.allow_private or self._origin_in(self.exempt, host, parts):
            return None
        return await self._host_refusal(host)

    @staticmethod
    def _origin_in(origins: set[str], host: str, parts) -> bool:
        default = 443 if parts.scheme.lower() == "https" else 80
        return f"{host}:{parts.port or default}".lower() in origins

    async def _host_refusal(self, host: str) -> str | None:
        cached = self._cache.get(host)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            addresses = await asyncio.to_thread(resolve, host)
            reason = refusal(host, addresses)
        except AddressError as exc:
            reason = str(exc)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[host] = (time.monotonic() + self.cache_seconds, reason)
        return reason
