"""The requests the feed spider sends: feed polls and article pages.

Download limits and the User-Agent are set per request from the live config,
so a config reload applies to the next request without a new crawler.
"""

from __future__ import annotations

from scrapy import Request

from config import CrawlerConfig
from crawler.items import PageItem
from crawler.polls import Poll

POLL = "beatwire_poll"
ITEM = "beatwire_item"
# Every status reaches the feed callback except redirects, which Scrapy follows.
FEED_STATUSES = [304, *range(400, 600)]
# Articles of feeds already started go before new feed polls: polls finish sooner.
ARTICLE_PRIORITY = 10


def _limits(config: CrawlerConfig) -> dict:
    return {"download_timeout": config.download_timeout,
            "download_maxsize": config.max_download_bytes,
            "download_warnsize": config.max_download_bytes // 2}


def feed_request(poll: Poll, config: CrawlerConfig, *, callback, errback) -> Request:
    """A conditional GET of the feed, using the validators of its last 200."""
    headers = {"User-Agent": config.user_agent,
               "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, "
                         "text/xml;q=0.9, text/html;q=0.5, */*;q=0.1"}
    if poll.feed.etag:
        headers["If-None-Match"] = poll.feed.etag
    if poll.feed.last_modified:
        headers["If-Modified-Since"] = poll.feed.last_modified
    meta = {POLL: poll.id, "handle_httpstatus_list": FEED_STATUSES, **_limits(config)}
    return Request(poll.feed.url, headers=headers, meta=meta, callback=callback,
                   errback=errback, dont_filter=True)


def article_request(link: str, item: PageItem, config: CrawlerConfig, *, callback,
                    errback) -> Request:
    """A GET of an entry's article page, carrying the item built so far."""
    headers = {"User-Agent": config.user_agent,
               "Accept": "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"}
    meta = {POLL: item.poll_id, ITEM: item, **_limits(config)}
    return Request(link, headers=headers, meta=meta, callback=callback, errback=errback,
                   dont_filter=True, priority=ARTICLE_PRIORITY)
