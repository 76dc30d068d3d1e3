"""The aiohttp peer: the benchmark's job as a plain asyncio script, one cycle per run.

    python -m bench.peers.aiohttp_peer CONFIG ARCHIVE

64 requests in flight, 2 per site, no delay and no robots.txt; conditional GET
from the stored ETag/Last-Modified; feedparser and trafilatura in the same
2-process pool as the Scrapy peer; the same keyword rule and SQLite archive.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import aiohttp

from bench.peers.common import Archive, extract_and_judge, feed_urls, new_pool, parse_feed

IN_FLIGHT = 64
PER_SITE = 2


async def poll(session, loop, pool, archive: Archive, url: str) -> None:
    async with session.get(url, headers=archive.conditional_headers(url)) as response:
        if response.status == 304:
            return
        response.raise_for_status()
        body = await response.read()
        validators = response.headers.get("ETag"), response.headers.get("Last-Modified")
    entries = await loop.run_in_executor(pool, parse_feed, body)
    await asyncio.gather(*(fetch_article(session, loop, pool, archive, link, url, title)
                           for link, title in entries if archive.claim(link)))
    archive.save_feed(url, *validators)


async def fetch_article(session, loop, pool, archive: Archive, url: str, feed: str,
                        title: str) -> None:
    async with session.get(url) as response:
        response.raise_for_status()
        html = await response.read()
    text, on_topic = await loop.run_in_executor(pool, extract_and_judge, html, url)
    archive.save_article(url, feed, title, text, on_topic)


async def main(config_path: str, archive_path: str) -> int:
    archive = Archive(Path(archive_path))
    loop = asyncio.get_running_loop()
    with new_pool() as pool:
        connector = aiohttp.TCPConnector(limit=IN_FLIGHT, limit_per_host=PER_SITE)
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            await asyncio.gather(*(poll(session, loop, pool, archive, url)
                                   for url in feed_urls(Path(config_path))))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:3])))
