"""Scrapy settings from config: politeness, safety, our components."""

from __future__ import annotations

import pytest
from scrapy import Spider
from scrapy.exceptions import NotConfigured
from scrapy.extensions.throttle import AutoThrottle
from scrapy.utils.test import get_crawler

from config import parse_config
from crawler.settings import scrapy_settings


def test_settings_follow_the_config():
    config = parse_config({"crawler": {"user_agent": "UA/1", "download_timeout": 7,
                                       "max_download_bytes": 1234, "concurrent_requests": 3,
                                       "concurrent_per_domain": 1, "obey_robots_txt": False,
                                       "allow_private_addresses": True}})
    settings = scrapy_settings(config)
    assert settings["USER_AGENT"] == "UA/1"
    assert (settings["DOWNLOAD_TIMEOUT"], settings["DOWNLOAD_MAXSIZE"]) == (7, 1234)
    assert (settings["CONCURRENT_REQUESTS"], settings["CONCURRENT_REQUESTS_PER_DOMAIN"]) == (3, 1)
    assert settings["ROBOTSTXT_OBEY"] is False
    assert settings["BEATWIRE_ALLOW_PRIVATE_ADDRESSES"] is True


def test_safe_defaults():
    settings = scrapy_settings(parse_config({}))
    assert settings["ROBOTSTXT_OBEY"] is True
    assert settings["BEATWIRE_ALLOW_PRIVATE_ADDRESSES"] is False
    assert settings["TELNETCONSOLE_ENABLED"] is False
    assert settings["REMOTE_CONTROL_ENABLED"] is False
    assert settings["HTTPCACHE_ENABLED"] is False and settings["AUTOTHROTTLE_ENABLED"] is True
    assert settings["REDIRECT_MAX_TIMES"] <= 10
    assert 429 not in settings["RETRY_HTTP_CODES"] and 503 not in settings["RETRY_HTTP_CODES"]
    ssrf = settings["DOWNLOADER_MIDDLEWARES"]["crawler.middlewares.ssrf.SSRFGuardMiddleware"]
    assert ssrf < 100  # before robots.txt: a refused host gets no robots.txt request either
    assert list(settings["ITEM_PIPELINES"]) == [
        "crawler.pipelines.extraction.ExtractionPipeline",
        "crawler.pipelines.detection.DetectionPipeline",
        "crawler.pipelines.storage.StoragePipeline"]


@pytest.mark.parametrize(
    "politeness, autothrottle, start_delay, download_delay",
    [
        ({}, True, 0.5, 0.0),
        ({"download_delay": 2.5}, True, 0.5, 2.5),
        ({"autothrottle_start_delay": 0.1, "download_delay": 0.05}, True, 0.1, 0.05),
        ({"autothrottle": False, "download_delay": 0}, False, 0.5, 0.0),
        ({"autothrottle": False, "download_delay": 1}, False, 0.5, 1.0),
        ({"download_delay": 45}, True, 0.5, 45.0),
    ],
    ids=["default-is-todays-autothrottle", "delay-floor-per-site", "faster-start",
         "no-politeness-delay", "fixed-delay-without-autothrottle", "delay-above-throttle-max"],
)
def test_politeness_reaches_scrapy(politeness, autothrottle, start_delay, download_delay):
    crawler = get_crawler(Spider, scrapy_settings(parse_config({"crawler": politeness})))
    settings = crawler.settings
    assert settings.getbool("AUTOTHROTTLE_ENABLED") is autothrottle
    assert settings.getfloat("AUTOTHROTTLE_START_DELAY") == start_delay
    assert settings.getfloat("DOWNLOAD_DELAY") == download_delay
    # AutoThrottle clamps each site's delay to its maximum: an operator's delay is never cut.
    assert settings.getfloat("AUTOTHROTTLE_MAX_DELAY") >= max(30.0, download_delay)
    if autothrottle:
        AutoThrottle(crawler)
    else:
        with pytest.raises(NotConfigured):
            AutoThrottle(crawler)


def test_robots_auth_and_retry_say_failures_once():
    settings = scrapy_settings(parse_config({}))
    middlewares = settings["DOWNLOADER_MIDDLEWARES"]
    # Scrapy's own robots.txt and auth middlewares are replaced in their slots, not doubled.
    assert middlewares["scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"] is None
    assert middlewares["crawler.middlewares.robots.RobotsTxtMiddleware"] == 100
    assert middlewares["scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware"] is None
    assert middlewares["crawler.middlewares.auth.FeedAuthMiddleware"] == 300
    assert settings["RETRY_GIVE_UP_LOG_LEVEL"] == "DEBUG"  # the errback's line says it
    assert settings["LOG_FORMATTER"] == "crawler.errors.LogFormatter"  # items in one line
