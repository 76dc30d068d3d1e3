"""Scrapy settings from config: politeness, safety, our components."""

from __future__ import annotations

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
