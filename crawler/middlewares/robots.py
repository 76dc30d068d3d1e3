"""robots.txt as Scrapy obeys it, with an unreachable robots.txt said in one line.

Scrapy's RobotsTxtMiddleware logs a failed robots.txt download as an ERROR
with a 40-line traceback, for DNS failures and refused connections alike.
This subclass keeps its behaviour (the host is then crawled as if allowed),
drops that record and notes the reason in the meta of the request that asked
for robots.txt (`ROBOTS`): if that request then fails, its one failure line
says why (the host is down, robots.txt with it); if it succeeds, the spider
logs `robots.txt unreachable feed=... url=... reason=...` once. Bugs keep
their traceback: the filter drops only records of expected network failures.
"""

from __future__ import annotations

import logging

from scrapy.downloadermiddlewares import robotstxt
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached

from crawler.errors import describe_error, is_expected
from crawler.requests import ROBOTS
from items import redact_url

log = logging.getLogger(__name__)


def _not_expected(record: logging.LogRecord) -> bool:
    """False for Scrapy's traceback of an expected robots.txt failure (said by us instead)."""
    exc = record.exc_info[1] if record.exc_info else None
    return exc is None or not is_expected(exc)


class RobotsTxtMiddleware(robotstxt.RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware whose download failures are one line each."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self._timeout = crawler.settings.getfloat("DOWNLOAD_TIMEOUT")
        self._asked_by: dict[str, object] = {}  # netloc -> the request that fetches robots.txt
        robotstxt.logger.addFilter(_not_expected)  # idempotent: one filter, however many crawlers

    async def robot_parser(self, request):
        netloc = urlparse_cached(request).netloc
        first = netloc not in self._parsers
        if first:
            self._asked_by[netloc] = request
        try:
            return await super().robot_parser(request)
        finally:
            if first:
                self._asked_by.pop(netloc, None)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        request = self._asked_by.get(netloc)
        reason = describe_error(exc, request, timeout=self._timeout)
        url = redact_url(f"{urlparse_cached(request).scheme}://{netloc}/robots.txt"
                         if request is not None else netloc)
        log.debug("robots.txt unreachable url=%s reason=%s", url, reason)
        # A refusal (SSRF guard) refuses the request itself next, and says so.
        if request is not None and not isinstance(exc, IgnoreRequest):
            request.meta[ROBOTS] = (url, reason)
        super()._robots_error(exc, netloc)
