"""CrawlService: the scheduler's handle on the long-lived feed crawl.

    service = await CrawlService.start(config, sessions, detector, on_new_alerts=kick)
    service.submit(claimed_feeds)      # feeds already claimed (leased) by the caller
    await service.wait_idle()          # every submitted poll finished and recorded
    service.update_config(new_config, detector=new_detector)
    await service.stop()               # abandon in-flight work, release leases, close

One Scrapy crawler (AsyncCrawlerRunner on the running asyncio reactor) lives
as long as the service: a stopped reactor cannot restart, so there is never a
CrawlerProcess per tick. Reloads: the live config is read per poll and per
request (entries per feed, article age, timeouts, size cap, User-Agent, Slack
channel, back-off cap) and a new detector is used for the next item; the
crawler-wide settings in RESTART_ONLY (concurrency, robots.txt, private addresses,
download delay and AutoThrottle) take effect at the next start.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence

import crawler.runtime  # noqa: F401  - the asyncio reactor, before Scrapy touches Twisted
from config import Config
from crawler.context import CrawlContext
from crawler.database import Database
from crawler.polls import FeedSnapshot, PollTracker
from crawler.resolver import install_resolver
from crawler.settings import scrapy_settings
from crawler.workers import DetectionWorkers, ProcessWorkers

log = logging.getLogger(__name__)

STOP_SECONDS = 3.0
# Changing these needs a new crawler: they apply at the next start (crawler/settings.py
# reads them into Scrapy's settings once; a reload changing one says so).
RESTART_ONLY = ("concurrent_requests", "concurrent_per_domain", "obey_robots_txt",
                "allow_private_addresses", "download_delay", "autothrottle",
                "autothrottle_start_delay")
# Scrapy warns of a size cap or a data loss itself, and the request's errback then says it
# again in its one line (feed=, url=, reason=): Scrapy's is left to errors only.
SAID_BY_ERRBACKS = ("scrapy.core.downloader.handlers.http11",
                    "scrapy.downloadermiddlewares.httpcompression")


class CrawlService:
    """The running feed spider, fed polls by the scheduler."""

    def __init__(self, context: CrawlContext, runner, crawler, task: asyncio.Task):
        self.context = context
        self._runner = runner
        self._crawler = crawler
        self._task = task
        self._stopped = False

    @classmethod
    async def start(cls, config: Config, sessions, detector, *,
                    on_new_alerts=None) -> CrawlService:
        """Start the long-lived feed spider on the running reactor; return once it is open."""
        from scrapy import signals
        from scrapy.crawler import AsyncCrawlerRunner

        from crawler.spiders.feeds import FeedSpider

        settings = scrapy_settings(config)
        for name in SAID_BY_ERRBACKS:
            logging.getLogger(name).setLevel(logging.ERROR)
        install_resolver(allow_private=settings["BEATWIRE_ALLOW_PRIVATE_ADDRESSES"],
                         timeout=settings["DNS_TIMEOUT"],
                         exempt=settings.get("BEATWIRE_SSRF_EXEMPT", ()))
        context = _context(config, sessions, detector, on_new_alerts)
        runner = AsyncCrawlerRunner(settings)
        scrapy_crawler = runner.create_crawler(FeedSpider)
        opened = asyncio.Event()

        def spider_opened(spider):
            opened.set()

        scrapy_crawler.signals.connect(spider_opened, signal=signals.spider_opened)
        task = runner.crawl(scrapy_crawler, context=context)
        await _first_of(opened.wait(), task)
        if task.done():
            task.result()  # raises the start-up error
            raise RuntimeError("the feed spider closed as soon as it opened")
        log.info("crawl service started")
        service = cls(context, runner, scrapy_crawler, task)
        service._keepalive = spider_opened  # signals hold handlers weakly
        return service

    def submit(self, feeds: Sequence) -> None:
        """Poll these feeds now (rows already claimed by the caller)."""
        if self._stopped or self.context.stopping:
            raise RuntimeError("the crawl service is stopped")
        spider = self._crawler.spider
        for feed in feeds:
            spider.poll(FeedSnapshot.of(feed))

    async def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every submitted poll is finished and recorded; False on timeout."""
        return await self.context.polls.wait_idle(timeout)

    async def wait_below(self, count: int, timeout: float) -> bool:
        """Wait until at most `count` polls are in flight; False on timeout."""
        return await self.context.polls.wait_below(count, timeout)

    def in_flight(self) -> int:
        """Polls submitted and not yet recorded."""
        return self.context.polls.in_flight()

    def update_config(self, config: Config, *, detector=None) -> None:
        """Use `config` (and `detector`, if given) from the next poll and item on."""
        old = self.context.config.crawler
        changed = [key for key in RESTART_ONLY if getattr(old, key) != getattr(config.crawler, key)]
        if changed:
            log.warning("crawler settings take effect at restart keys=%s", ",".join(changed))
        self.context.config = config
        if detector is not None:
            self.context.detector = detector

    async def stop(self) -> None:
        """Stop within seconds: abandon in-flight polls (leases released) and close."""
        if self._stopped:
            return
        self._stopped = True
        self.context.stopping = True
        self._crawler.spider.cancel_waiters()
        await self.context.polls.abandon_all(STOP_SECONDS)
        await self._close_crawler()
        await self.context.polls.drain(1.0)
        for closable in (self.context.parsers, self.context.detectors, self.context.db):
            closable.close()
        log.info("crawl service stopped")

    async def _close_crawler(self) -> None:
        if self._task.done():
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._runner.stop()), STOP_SECONDS)
        except asyncio.TimeoutError:
            log.warning("crawl did not close within %.0fs; its downloads are abandoned",
                        STOP_SECONDS)


def _context(config: Config, sessions, detector, on_new_alerts) -> CrawlContext:
    db = Database(sessions)
    holder: dict[str, CrawlContext] = {}
    polls = PollTracker(db, max_backoff=lambda: holder["ctx"].config.scheduler.max_backoff,
                        dead_after=lambda: holder["ctx"].config.scheduler.dead_after_failures)
    workers = max(1, min(4, os.cpu_count() or 2))
    context = CrawlContext(config=config, detector=detector, db=db, polls=polls,
                           parsers=ProcessWorkers(workers), detectors=DetectionWorkers(workers),
                           on_new_alerts=on_new_alerts)
    holder["ctx"] = context
    return context


async def _first_of(awaitable, task: asyncio.Task) -> None:
    waiter = asyncio.ensure_future(awaitable)
    await asyncio.wait({waiter, task}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
