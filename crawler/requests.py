"""The requests the feed spider sends: feed polls and article pages.

Download limits and the User-Agent are set per request from the live config,
so a config reload applies to the next request without a new crawler. URLs
are sent without userinfo: a feed's credentials travel in the request's meta
(`BasicAuth`, bound to the feed's origin) and FeedAuthMiddleware adds them to
requests for that origin only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scrapy import Request
from w3lib.http import basic_auth_header

from config import CrawlerConfig
from crawler.polls import Poll
from crawler.urls import origin, split_credentials
from items import PageItem

POLL = "beatwire_poll"
ITEM = "beatwire_item"
FEED = "beatwire_feed"  # the feed's name, for log lines of any request made for it
AUTH = "beatwire_auth"
ROBOTS = "beatwire_robots"  # (robots.txt URL, why it could not be read), set by the middleware
# Every status reaches the feed callback except redirects, which Scrapy follows.
FEED_STATUSES = [304, *range(400, 600)]
# Articles of feeds already started go before new feed polls: polls finish sooner.
ARTICLE_PRIORITY = 10


@dataclass(frozen=True)
class BasicAuth:
    """An Authorization header and the one origin (scheme, host, port) it may be sent to."""

    origin: tuple[str, str, int | None]
    header: bytes = field(repr=False)

    @classmethod
    def for_feed(cls, url: str, credentials: tuple[str, str] | None) -> BasicAuth | None:
        """The feed's basic auth for its own origin, or None without credentials."""
        if credentials is None:
            return None
        return cls(origin(url), basic_auth_header(*credentials))


def _limits(config: CrawlerConfig) -> dict:
    return {"download_timeout": config.download_timeout,
            "download_maxsize": config.max_download_bytes,
            "download_warnsize": config.max_download_bytes // 2}


def feed_request(poll: Poll, config: CrawlerConfig, *, callback, errback,
                 auth: BasicAuth | None = None) -> Request:
    """A conditional GET of the feed, using the validators of its last 200."""
    headers = {"User-Agent": config.user_agent,
               "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, "
                         "text/xml;q=0.9, text/html;q=0.5, */*;q=0.1"}
    if poll.feed.etag:
        headers["If-None-Match"] = poll.feed.etag
    if poll.feed.last_modified:
        headers["If-Modified-Since"] = poll.feed.last_modified
    meta = {POLL: poll.id, FEED: poll.feed.name, AUTH: auth,
            "handle_httpstatus_list": FEED_STATUSES, **_limits(config)}
    return Request(split_credentials(poll.feed.url)[0], headers=headers, meta=meta,
                   callback=callback, errback=errback, dont_filter=True)


def article_request(link: str, item: PageItem, config: CrawlerConfig, *, callback,
                    errback, auth: BasicAuth | None = None) -> Request:
    """A GET of an entry's article page, carrying the item built so far.

    `auth` is the feed's: it reaches the page only if the page is on the feed's origin.
    """
    headers = {"User-Agent": config.user_agent,
               "Accept": "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"}
    meta = {POLL: item.poll_id, ITEM: item, FEED: item.article.feed, AUTH: auth,
            **_limits(config)}
    return Request(split_credentials(link)[0], headers=headers, meta=meta, callback=callback,
                   errback=errback, dont_filter=True, priority=ARTICLE_PRIORITY)
