"""Scrapy settings built from config.toml: politeness, safety and our components.

Politeness and safety are Scrapy's own settings (AutoThrottle, per-domain
concurrency, robots.txt, size cap, timeout, redirect limit, retries); our
components read their own BEATWIRE_* settings in `from_crawler`. The order of
middlewares and pipelines is the two dicts below.
"""

from __future__ import annotations

from config import Config

DOWNLOADER_MIDDLEWARES = {
    # Before robots.txt (100): a refused host does not even get its robots.txt fetched.
    "crawler.middlewares.ssrf.SSRFGuardMiddleware": 40,
    # Scrapy's, with an unreachable robots.txt one log line instead of a traceback.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.robots.RobotsTxtMiddleware": 100,
    # Feed credentials for the feed's own origin only (Scrapy's domain check lets
    # subdomains, other ports and https->http redirects have them).
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
    "crawler.middlewares.auth.FeedAuthMiddleware": 300,
    # Environment proxies could route requests anywhere; feeds are fetched directly.
    "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware": None,
}

ITEM_PIPELINES = {
    "crawler.pipelines.extraction.ExtractionPipeline": 100,
    "crawler.pipelines.detection.DetectionPipeline": 200,
    "crawler.pipelines.storage.StoragePipeline": 300,
}

# 429 and 503 are answered by our back-off (honouring Retry-After), not by a retry now.
RETRY_HTTP_CODES = [500, 502, 504, 522, 524, 408]


def scrapy_settings(config: Config, *, log_level: str = "INFO") -> dict:
    """The Scrapy settings for the long-lived feed crawl."""
    crawler = config.crawler
    return {
        "BOT_NAME": "beatwire",
        "USER_AGENT": crawler.user_agent,
        "ROBOTSTXT_OBEY": crawler.obey_robots_txt,
        "CONCURRENT_REQUESTS": crawler.concurrent_requests,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawler.concurrent_per_domain,
        # A response yields at most a few items; Scrapy's default of 100 starts 100 asyncio
        # tasks per response for nothing (bench/PROFILE.md: 272,701 create_task calls for
        # 2,700 responses; 4 cut the Scrapy peer's CPU by 23%).
        "CONCURRENT_ITEMS": 4,
        "AUTOTHROTTLE_ENABLED": crawler.autothrottle,
        "AUTOTHROTTLE_START_DELAY": crawler.autothrottle_start_delay,
        # AutoThrottle caps every delay at its maximum: never below the operator's own delays.
        "AUTOTHROTTLE_MAX_DELAY": max(30.0, crawler.download_delay,
                                      crawler.autothrottle_start_delay),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(crawler.concurrent_per_domain),
        "DOWNLOAD_DELAY": crawler.download_delay,
        "DOWNLOAD_TIMEOUT": crawler.download_timeout,
        "DOWNLOAD_MAXSIZE": crawler.max_download_bytes,
        "DOWNLOAD_WARNSIZE": crawler.max_download_bytes // 2,
        "DNS_TIMEOUT": min(crawler.download_timeout, 30),
        "REDIRECT_MAX_TIMES": 5,
        "METAREFRESH_MAXDELAY": 10,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": 1,
        "RETRY_HTTP_CODES": RETRY_HTTP_CODES,
        # The request's errback says how it ended, in one line: Scrapy's "Gave up retrying"
        # ERROR would say it twice.
        "RETRY_GIVE_UP_LOG_LEVEL": "DEBUG",
        "COOKIES_ENABLED": False,
        "HTTPPROXY_ENABLED": False,
        "HTTPCACHE_ENABLED": False,
        # No control servers on a daemon that reads strangers' feeds.
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "LOG_LEVEL": log_level,
        "LOG_FORMATTER": "crawler.errors.LogFormatter",
        "LOGSTATS_INTERVAL": 0,
        # Feed polls repeat and the scheduler decides what is due: no dupefilter.
        "DUPEFILTER_CLASS": "scrapy.dupefilters.BaseDupeFilter",
        "DOWNLOADER_MIDDLEWARES": DOWNLOADER_MIDDLEWARES,
        "ITEM_PIPELINES": ITEM_PIPELINES,
        "BEATWIRE_ALLOW_PRIVATE_ADDRESSES": crawler.allow_private_addresses,
        "BEATWIRE_DNS_CACHE_SECONDS": 60,
        "BEATWIRE_EXTRACT_TIMEOUT": crawler.extract_timeout,
        "BEATWIRE_MAX_ENTRIES_PER_FEED": crawler.max_entries_per_feed,
        "BEATWIRE_MAX_ARTICLE_AGE_DAYS": crawler.max_article_age_days,
    }
