"""The Scrapy peer: the benchmark's job as a plain Scrapy spider, one cycle per run.

    python -m bench.peers.scrapy_peer CONFIG ARCHIVE

Same politeness and robots.txt settings as Beatwire's crawler (taken from
crawler/settings.py for the same config.toml), conditional GET from the stored
ETag/Last-Modified, feedparser and trafilatura in a 2-process pool whose results
come back into Twisted as Deferreds, the keyword rule, SQLite.
"""

from __future__ import annotations

import sys
from pathlib import Path

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred

from bench.peers.common import Archive, extract_and_judge, feed_urls, new_pool, parse_feed
from config import load_config
from crawler.settings import scrapy_settings

# Beatwire's settings that decide how fast and how politely it fetches; nothing of its own.
SHARED = ("USER_AGENT", "ROBOTSTXT_OBEY", "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN",
          "AUTOTHROTTLE_ENABLED", "AUTOTHROTTLE_START_DELAY", "AUTOTHROTTLE_MAX_DELAY",
          "AUTOTHROTTLE_TARGET_CONCURRENCY", "DOWNLOAD_DELAY", "DOWNLOAD_TIMEOUT",
          "DOWNLOAD_MAXSIZE", "RETRY_ENABLED", "RETRY_TIMES", "RETRY_HTTP_CODES",
          "COOKIES_ENABLED", "TELNETCONSOLE_ENABLED", "REMOTE_CONTROL_ENABLED")


def deferred_from(future) -> Deferred:
    """A Deferred fired on the reactor thread with a concurrent.futures result."""
    from twisted.internet import reactor

    deferred = Deferred()

    def fire(done) -> None:
        error = done.exception()
        if error is None:
            deferred.callback(done.result())
        else:
            deferred.errback(error)

    future.add_done_callback(lambda done: reactor.callFromThread(fire, done))
    return deferred


class PeerSpider(scrapy.Spider):
    name = "peer"

    def __init__(self, feeds: list[str], archive: Archive, pool, **kwargs):
        super().__init__(**kwargs)
        self.feeds, self.archive, self.pool = feeds, archive, pool

    async def start(self):
        for url in self.feeds:
            yield scrapy.Request(url, headers=self.archive.conditional_headers(url),
                                 callback=self.parse_feed,
                                 meta={"handle_httpstatus_list": [304]})

    async def parse_feed(self, response):
        if response.status == 304:
            return
        entries = await maybe_deferred_to_future(
            deferred_from(self.pool.submit(parse_feed, response.body)))
        for link, title in entries:
            if self.archive.claim(link):
                yield scrapy.Request(link, callback=self.parse_article,
                                     cb_kwargs={"feed": response.url, "title": title})
        self.archive.save_feed(response.url, _header(response, b"ETag"),
                               _header(response, b"Last-Modified"))

    async def parse_article(self, response, feed: str, title: str):
        text, on_topic = await maybe_deferred_to_future(
            deferred_from(self.pool.submit(extract_and_judge, response.body, response.url)))
        self.archive.save_article(response.url, feed, title, text, on_topic)


def _header(response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def main(config_path: str, archive_path: str) -> int:
    config = load_config(config_path)
    beatwire = scrapy_settings(config, log_level="WARNING")
    settings = {key: beatwire[key] for key in SHARED}
    settings.update(LOG_LEVEL="WARNING", LOGSTATS_INTERVAL=0)
    pool = new_pool()
    process = CrawlerProcess(settings)
    process.crawl(PeerSpider, feeds=feed_urls(Path(config_path)),
                  archive=Archive(Path(archive_path)), pool=pool)
    process.start()
    pool.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
