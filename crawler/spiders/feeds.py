"""The feed spider: one long-lived spider that the service feeds polls into.

It stays open between polls (spider_idle raises DontCloseSpider), so download
slots, per-domain politeness, robots.txt and connections are shared by every
poll of the process. Per poll:

1. conditional GET of the feed (If-None-Match / If-Modified-Since);
   304 -> not modified; 4xx/5xx -> failure (410 gone, Retry-After kept);
2. the document is parsed in the worker pool (feed: feedparser; html: links
   by the feed's CSS item_selector), newest `max_entries_per_feed` entries;
3. entries already seen are skipped; an article another feed brought in is
   linked, not fetched; entries older than `max_article_age_days` are left;
4. each remaining entry's page is fetched and handed, as a PageItem, to the
   pipelines (extraction, detection, storage); an entry without a link, or
   whose page fails, goes on with its feed summary.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import timedelta

from scrapy import Spider, signals
from scrapy.exceptions import DontCloseSpider, StopDownload
from scrapy.http import HtmlResponse, TextResponse
from sqlalchemy.exc import SQLAlchemyError

from config import ConfigError
from crawler.entries import Entry, Listing, parse_feed, parse_listing
from crawler.errors import describe_failure, http_error, retry_after_seconds
from crawler.pipelines.storage import refusal
from crawler.polls import FeedSnapshot, Poll
from crawler.recording import link_stored, new_entries
from crawler.requests import (
    AUTH,
    FEED,
    ITEM,
    POLL,
    ROBOTS,
    BasicAuth,
    article_request,
    feed_request,
)
from crawler.workers import TaskTimeout, WorkerDied
from db.models import utcnow
from items import ArticleItem, PageItem, redact_url

log = logging.getLogger(__name__)


class FeedSpider(Spider):
    """Polls feeds handed to it by CrawlService, until the service closes it."""

    name = "beatwire_feeds"

    def __init__(self, context, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.context = context
        # Article URLs being fetched/stored now: another poll's entry for the same URL
        # waits for that one and links to it, instead of fetching it twice.
        self._articles_in_flight: dict[str, asyncio.Future] = {}
        self._waiters: set[asyncio.Task] = set()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        for handler, signal in (
            (spider.keep_open, signals.spider_idle),
            (spider.item_done, signals.item_scraped),
            (spider.item_dropped, signals.item_dropped),
            (spider.item_failed, signals.item_error),
            (spider.request_lost, signals.request_dropped),
            (spider.callback_failed, signals.spider_error),
            (spider.abort_when_stopping, signals.headers_received),
            (spider.abort_when_stopping, signals.bytes_received),
        ):
            crawler.signals.connect(handler, signal=signal)
        return spider

    async def start(self):
        """No start requests: polls arrive through `poll`."""
        return
        yield  # an async generator with nothing in it

    def keep_open(self) -> None:
        """Stay open between polls until the service stops."""
        if not self.context.stopping:
            raise DontCloseSpider

    def abort_when_stopping(self, *args, **kwargs) -> None:
        """Cut downloads off as soon as the service stops (their polls are abandoned)."""
        if self.context.stopping:
            raise StopDownload(fail=True)

    # -- polls --------------------------------------------------------------

    def poll(self, feed: FeedSnapshot) -> bool:
        """Start polling `feed` now; False if it is already being polled here."""
        poll = self.context.polls.open(feed)
        if poll is None:
            log.warning("feed already in flight, submission ignored feed=%s", feed.name)
            return False
        try:
            auth = BasicAuth.for_feed(feed.url, self._credentials(feed.name))
        except ConfigError as exc:
            self._failed(poll, str(exc))
            return True
        request = feed_request(poll, self.context.config.crawler, auth=auth,
                               callback=self.parse_feed, errback=self.feed_failed)
        self.crawler.engine.crawl(request)
        return True

    def _credentials(self, name: str) -> tuple[str, str] | None:
        """The feed's basic-auth credentials from the live config (never from the database)."""
        feed = next((f for f in self.context.config.feeds if f.name == name), None)
        return feed.credentials() if feed is not None else None

    def _poll_of(self, request) -> Poll | None:
        return self.context.polls.get(request.meta.get(POLL))

    async def parse_feed(self, response):
        """Handle the feed's answer: record 304/errors, or dispatch its new entries."""
        poll = self._poll_of(response.request)
        if poll is None:
            return
        _robots_unreachable(response)
        if response.status == 304:
            self.context.polls.not_modified(poll)
            return
        if response.status >= 400:
            self._http_failure(poll, response)
            return
        listing = await self._parse(poll, response)
        if listing.error:
            self._failed(poll, listing.error, http_status=response.status)
            return
        if listing.warning:
            log.info("feed is malformed but usable feed=%s warning=%s", poll.feed.name,
                     listing.warning)
        try:
            outputs = await self._dispatch(poll, listing.entries, response.request.meta.get(AUTH))
        except SQLAlchemyError as exc:  # refused or away: this poll fails alone, in one line
            self._failed(poll, f"database error: {refusal(exc)}", http_status=response.status)
            return
        for output in outputs:
            yield output
        self.context.polls.listed(
            poll, http_status=response.status, entries=listing.total,
            etag=_header(response, b"ETag"), last_modified=_header(response, b"Last-Modified"))

    def _failed(self, poll: Poll, reason: str, **record) -> None:
        """The poll failed: its record (with back-off) logs the one line saying where and why."""
        self.context.polls.failed(poll, reason, **record)

    def _http_failure(self, poll: Poll, response) -> None:
        status = response.status
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        self._failed(poll, http_error(status), http_status=status,
                     retry_after=wait if status in (429, 503) else None, gone=status == 410)

    async def _parse(self, poll: Poll, response) -> Listing:
        ctx = self.context
        limit, now = ctx.config.crawler.max_entries_per_feed, utcnow()
        try:
            if poll.feed.kind == "html":
                if not isinstance(response, TextResponse):
                    return Listing(error="not an HTML page")
                return await ctx.parsers.run(ctx.parse_timeout, parse_listing, response.text,
                                             response.url, poll.feed.item_selector, limit, now)
            headers = response.headers.to_unicode_dict()
            return await ctx.parsers.run(ctx.parse_timeout, parse_feed, response.body,
                                         response.url, dict(headers), limit, now)
        except TaskTimeout:
            return Listing(error=f"parsing the document took over {ctx.parse_timeout:g}s")
        except WorkerDied as exc:  # killed or crashed on this document: the poll fails alone
            return Listing(error=f"parsing the document failed, {exc}")

    async def _dispatch(self, poll: Poll, entries: tuple[Entry, ...],
                        auth: BasicAuth | None) -> list:
        oldest = utcnow() - timedelta(days=self.context.config.crawler.max_article_age_days)
        recent = [e for e in entries if e.published is None or e.published >= oldest]
        todo = await self.context.db.run(new_entries, poll.feed.id, recent)
        outputs = []
        for entry in todo:
            self.context.polls.entry_started(poll)
            waiting = self._articles_in_flight.get(entry.url)
            if waiting is not None:
                self._wait_and_link(poll, entry, waiting)
                continue
            self._articles_in_flight[entry.url] = asyncio.get_running_loop().create_future()
            item = _page_item(poll, entry)
            outputs.append(self._article_request(entry.link, item, auth) if entry.link else item)
        return outputs

    def _wait_and_link(self, poll: Poll, entry: Entry, waiting: asyncio.Future) -> None:
        task = asyncio.ensure_future(self._link_when_stored(poll, entry, waiting))
        self._waiters.add(task)
        task.add_done_callback(self._waiters.discard)

    async def _link_when_stored(self, poll: Poll, entry: Entry, waiting: asyncio.Future) -> None:
        stored = await asyncio.shield(waiting)
        if self.context.polls.get(poll.id) is None:
            return
        try:
            linked = stored and await self.context.db.run(link_stored, poll.feed.id, entry)
        except (SQLAlchemyError, UnicodeError) as exc:  # refused or away: this entry alone
            log.warning("linking entry failed feed=%s url=%s error=%s", poll.feed.name,
                        redact_url(entry.url), refusal(exc))
            linked = False
        except Exception:  # anything else is a bug: keep its traceback
            log.exception("linking entry failed feed=%s url=%s", poll.feed.name, entry.url)
            linked = False
        if self.context.polls.get(poll.id) is not None:
            self.context.polls.entry_finished(poll, failed=not linked)

    def _article_settled(self, url: str, stored: bool) -> None:
        waiting = self._articles_in_flight.pop(url, None)
        if waiting is not None and not waiting.done():
            waiting.set_result(stored)

    def cancel_waiters(self) -> None:
        """Stop waiting for articles of other polls (the service is stopping)."""
        for task in list(self._waiters):
            task.cancel()

    # -- articles -----------------------------------------------------------

    def _article_request(self, link: str, item: PageItem, auth: BasicAuth | None):
        return article_request(link, item, self.context.config.crawler, auth=auth,
                               callback=self.parse_article, errback=self.article_failed)

    def parse_article(self, response):
        """The article page: hand its HTML to extraction (non-HTML keeps the summary)."""
        item = response.meta[ITEM]
        _robots_unreachable(response)
        if isinstance(response, HtmlResponse):
            return [replace(item, html=response.text)]
        log.info("article is not HTML, keeping the summary feed=%s url=%s", item.article.feed,
                 redact_url(response.url))
        return [item]

    def article_failed(self, failure):
        """The article page could not be fetched: go on with the feed summary."""
        request = failure.request
        crawler_config = self.context.config.crawler
        reason = describe_failure(failure, timeout=crawler_config.download_timeout,
                                  max_bytes=crawler_config.max_download_bytes)
        log.info("article fetch failed, keeping the summary feed=%s url=%s reason=%s",
                 request.meta.get(FEED), redact_url(request.url), reason)
        return [request.meta[ITEM]]

    def feed_failed(self, failure):
        """The feed could not be fetched: record a short clear error on it."""
        poll = self._poll_of(failure.request)
        if poll is not None:
            crawler_config = self.context.config.crawler
            self._failed(poll, describe_failure(
                failure, timeout=crawler_config.download_timeout,
                max_bytes=crawler_config.max_download_bytes))
        return []

    # -- accounting: every entry ends in exactly one of these ----------------

    def item_done(self, item, response=None, spider=None) -> None:
        """Stored (or deliberately left): one entry of its poll is done."""
        self._finish(item, failed=False)

    def item_dropped(self, item, response=None, exception=None, spider=None) -> None:
        """A pipeline gave the entry up; its poll keeps its validators unset."""
        self._finish(item, failed=True)

    def item_failed(self, item, response=None, spider=None, failure=None) -> None:
        """A pipeline raised: log it; the entry counts as failed."""
        log.error("pipeline error url=%s error=%s", getattr(item.article, "url", "?"),
                  failure.getErrorMessage() if failure else "?")
        self._finish(item, failed=True)

    def _finish(self, item, *, failed: bool) -> None:
        if isinstance(item, PageItem):
            self._article_settled(item.article.url, stored=not failed)
        poll = self.context.polls.get(getattr(item, "poll_id", None))
        if poll is not None:
            self.context.polls.entry_finished(poll, failed=failed)

    def request_lost(self, request, spider=None) -> None:
        """The scheduler dropped a request: close what waited on it."""
        poll = self._poll_of(request)
        if poll is None:
            return
        if ITEM in request.meta:
            self._article_settled(request.meta[ITEM].article.url, stored=False)
            self.context.polls.entry_finished(poll, failed=True)
        else:
            self.context.polls.failed(poll, "request dropped by the scheduler")

    def callback_failed(self, failure, response=None, spider=None) -> None:
        """A callback raised: fail its poll (a bug, logged with its traceback)."""
        request = getattr(response, "request", None)
        poll = self._poll_of(request) if request is not None else None
        log.error("spider callback failed url=%s", getattr(response, "url", "?"),
                  exc_info=(failure.type, failure.value, failure.getTracebackObject()))
        if poll is not None and ITEM not in request.meta:
            self.context.polls.failed(poll, f"internal error: {failure.getErrorMessage()}")
        elif poll is not None:
            self._article_settled(request.meta[ITEM].article.url, stored=False)
            self.context.polls.entry_finished(poll, failed=True)


def _robots_unreachable(response) -> None:
    """Say once that robots.txt could not be read though the host answered this request."""
    noted = response.request.meta.pop(ROBOTS, None)
    if noted is not None:
        log.info("robots.txt unreachable, host crawled as allowed feed=%s url=%s reason=%s",
                 response.request.meta.get(FEED), *noted)


def _header(response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _page_item(poll: Poll, entry: Entry) -> PageItem:
    article = ArticleItem(
        url=entry.url, title=entry.title, published=entry.published,
        text=entry.summary or entry.title, feed=poll.feed.name, feed_id=poll.feed.id,
        entry_key=entry.key, text_source="summary", agency_voice=poll.feed.agency)
    return PageItem(article=article, poll_id=poll.id)
