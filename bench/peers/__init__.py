"""The throughput peers of issue 8: the same job as Beatwire, done plainly (Scrapy, aiohttp)."""
