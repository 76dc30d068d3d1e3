"""Extraction: the page's main text (trafilatura, in a worker process, with a timeout).

An item without a page, or whose page yields no article text in time, keeps
the feed summary it came with (text_source "summary").
"""

from __future__ import annotations

import logging
from dataclasses import replace

from scrapy.exceptions import DropItem

from crawler.extract import extract_text
from crawler.pipelines import ContextPipeline, live_item
from crawler.workers import PoolClosed, TaskTimeout

log = logging.getLogger(__name__)


class ExtractionPipeline(ContextPipeline):
    """Replaces the summary with the page's main text when there is one."""

    async def process_item(self, item):
        item = live_item(self.context, item)
        if item.html is None:
            return item
        text = await self._extract(item.html, item.article.url, item.article.title)
        article = replace(item.article, text=text, text_source="page") if text else item.article
        return replace(item, article=article, html=None)

    async def _extract(self, html: str, url: str, title: str) -> str | None:
        timeout = self.context.extract_timeout
        try:
            text = await self.context.parsers.run(timeout, extract_text, html, url, title)
        except TaskTimeout:
            log.warning("extraction timed out, keeping the summary url=%s timeout=%s", url, timeout)
            return None
        except PoolClosed:  # stopping: the entry is read again at the next poll
            raise DropItem(f"stopping before extraction finished url={url}") from None
        except Exception as exc:  # a worker crash must not lose the entry
            log.warning("extraction failed, keeping the summary url=%s error=%s", url, exc)
            return None
        if text is None:
            log.info("no article text on the page, keeping the summary url=%s", url)
        return text
